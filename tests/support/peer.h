/*
 * Real peers for loopback tests: openssl s_server, socat, or a bare listening socket.
 * A peer runs as a child process on a free port and is stopped (SIGTERM, then reaped) by
 * peer_stop(). Certificates come from the directory the "certs" CTest fixture fills.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

typedef struct {
    pid_t pid;
    int port;
    int listen_fd; /* for peer_listen_silent(), else -1 */
    int stdin_fd;  /* the child's stdin, held open: s_server stops at end of input */
} peer_t;

/* A TCP port on loopback that nothing listens on right now. */
int peer_free_port(void);

/* Starts argv (argv[0] is looked up in PATH) after replacing each "{PORT}" in it with a free
 * port, and waits until that port accepts connections on host ("127.0.0.1" or "::1").
 * The child's output goes to stderr when PORTLS_TEST_VERBOSE is set, else to /dev/null.
 * @return 0, or -1 if it did not come up within 10 s. */
int peer_start(peer_t *p, const char *host, const char *const argv[]);

/* Starts argv as it is (a server whose configuration names its ports) and waits until port
 * accepts connections on host. @return 0, or -1 if it did not come up within 10 s. */
int peer_start_on(peer_t *p, const char *host, int port, const char *const argv[]);

/* openssl s_server on 127.0.0.1 with cert/key from the test PKI, plus extra arguments
 * (NULL-terminated). */
int peer_start_s_server(peer_t *p, const char *cert, const char *key, const char *const extra[]);

/* Whether name is an executable in PATH (a test whose peer is missing skips). */
bool peer_program_exists(const char *name);

/* gnutls-serv (GnuTLS's test server) with cert/key from the test PKI, plus extra arguments
 * (NULL-terminated). It listens on every address: it has no option to bind loopback alone. */
int peer_start_gnutls_serv(peer_t *p, const char *cert, const char *key, const char *const extra[]);

/* Starts a client program (argv as for peer_start, "{PORT}" is not replaced) without waiting for
 * anything; its stdout and stderr go to the file output_path. */
int peer_spawn(peer_t *p, const char *const argv[], const char *output_path);

/* Closes the child's stdin and waits for it to exit. @return its exit status, or -1. */
int peer_wait(peer_t *p);

/* A listening socket on 127.0.0.1 with a port the kernel chose (into *port), for servers on a
 * thread. @return the socket, or -1. */
int peer_listen_loopback(int *port);

#define PEER_CLOSE_WAIT_MS 10000 /* how long a server of the tests waits for its client's close */

/* Reads and drops what the other end of fd sends, until it closes, a read fails, or nothing came
 * for PEER_CLOSE_WAIT_MS. */
void peer_drain(int fd);

/* Ends a test server's side of a connection with FIN, never RST: shutdown(SHUT_WR) after what it
 * sent, peer_drain(), then close(). A socket closed with bytes it has not read (the client's
 * request, its close_notify) sends RST instead, and a reset can reach the client before it has
 * read what was sent, which a loaded machine makes likely. */
void peer_close_gently(int fd);

/* A socket that accepts TCP connections (the kernel completes them) and never speaks. */
int peer_listen_silent(peer_t *p);

void peer_stop(peer_t *p);

/* Sleeps ms milliseconds (the tests' pause between looks at something they wait for). */
void sleep_ms(int ms);

/* Path of a file of the test PKI, e.g. cert_path("ca.pem"), in a static ring of 32 buffers:
 * valid until 32 more calls. Not thread-safe. */
const char *cert_path(const char *name);
