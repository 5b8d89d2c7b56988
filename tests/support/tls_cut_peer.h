/*
 * A TLS server on a thread, made with OpenSSL, whose stream ends in the middle of a record: after
 * the handshake it reads the client's request (if asked to), sends `whole` in complete records,
 * then only the first half of the record that carries `cut`, and sends FIN. With `cut` NULL it
 * closes at the record boundary instead, without close_notify. One connection, on a loopback
 * port; the server certificate is the test PKI's server_ec.pem (CN localhost).
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    bool tls13;          /* TLS 1.3, else TLS 1.2 */
    bool read_request;   /* wait for the client's bytes up to an empty line before answering */
    const char *whole;   /* sent in whole records */
    const char *cut;     /* its record is cut in half; NULL: none */
    int port;
    int listen_fd;
    size_t cut_record_len; /* the cut record's size on the wire, header included */
    bool done;             /* the peer got as far as the cut (or the close) */
    void *ctx;             /* OpenSSL's SSL_CTX */
    pthread_t thread;
} tls_cut_peer_t;

/* Listens and starts the thread (asserted). Set the fields above port first. */
void tls_cut_peer_start(tls_cut_peer_t *p);

/* Waits for the thread: it ends once the client closed, or after 10 s. */
void tls_cut_peer_join(tls_cut_peer_t *p);
