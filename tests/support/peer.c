#define _GNU_SOURCE /* pipe2 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "peer.h"

#define MAX_ARGS 64
#define START_TIMEOUT_MS 10000

/* The kernel's ephemeral range starts here (outgoing connections take their ports above it). */
static int ephemeral_low(void)
{
    int low = 32768, high = 60999;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f != NULL) {
        if (fscanf(f, "%d %d", &low, &high) != 2) {
            low = 32768;
        }
        fclose(f);
    }
    return low;
}

static bool port_is_free(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    bool free_now = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (fd >= 0) {
        close(fd);
    }
    return free_now;
}

/* A random free port below the ephemeral range: no outgoing connection can take it between this
 * pick and the server's bind, nor before a server restarts on it. Tests running side by side
 * pick from some 20000 ports, and a port in use is skipped. */
int peer_free_port(void)
{
    const int low = 10000, high = ephemeral_low() - 1;
    for (int tries = 0; high - low > 1000 && tries < 1000; tries++) {
        unsigned r = 0;
        if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
            break;
        }
        int port = low + (int)(r % (unsigned)(high - low + 1));
        if (port_is_free(port)) {
            return port;
        }
    }
    return -1;
}

static bool port_accepts(const char *host, int port)
{
    struct sockaddr_storage ss = { 0 };
    socklen_t len;
    if (strchr(host, ':')) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        inet_pton(AF_INET6, host, &a6->sin6_addr);
        len = sizeof(*a6);
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, host, &a4->sin_addr);
        len = sizeof(*a4);
    }
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&ss, len) == 0;
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

void sleep_ms(int ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

/* output_path NULL: /dev/null, or stderr when PORTLS_TEST_VERBOSE is set. */
static void exec_child(char *const argv[], int stdin_fd, const char *output_path)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* a failed assertion must not leave the peer running */
    dup2(stdin_fd, STDIN_FILENO);
    if (output_path != NULL || getenv("PORTLS_TEST_VERBOSE") == NULL) {
        int out = output_path ? open(output_path, O_WRONLY | O_CREAT | O_TRUNC, 0644) : open("/dev/null", O_RDWR);
        dup2(out, STDOUT_FILENO);
        dup2(out, STDERR_FILENO);
    } else {
        dup2(STDERR_FILENO, STDOUT_FILENO);
    }
    execvp(argv[0], argv);
    _exit(127);
}

/* Forks argv with its stdin on a pipe we hold; p->pid is -1 on failure. */
static void spawn(peer_t *p, char *const argv[], const char *output_path)
{
    int in[2];
    p->pid = -1;
    p->stdin_fd = -1;
    if (pipe2(in, O_CLOEXEC) != 0) {
        return;
    }
    fflush(NULL);
    p->pid = fork();
    if (p->pid == 0) {
        exec_child(argv, in[0], output_path);
    }
    close(in[0]);
    p->stdin_fd = in[1];
}

static char *with_port(const char *arg, int port)
{
    const char *at = strstr(arg, "{PORT}");
    char *s = malloc(strlen(arg) + 8);
    if (at == NULL) {
        strcpy(s, arg);
    } else {
        sprintf(s, "%.*s%d%s", (int)(at - arg), arg, port, at + 6);
    }
    return s;
}

/* Waits until p's child accepts on host:p->port. @return 0, or -1 (stopped) after 10 s or if
 * the child exited. */
static int wait_listening(peer_t *p, const char *host, const char *name)
{
    for (int waited = 0; p->pid > 0 && waited < START_TIMEOUT_MS; waited += 20) {
        if (port_accepts(host, p->port)) {
            return 0;
        }
        if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
            p->pid = 0;
            break;
        }
        sleep_ms(20);
    }
    fprintf(stderr, "peer %s did not start on port %d\n", name, p->port);
    peer_stop(p);
    return -1;
}

int peer_start(peer_t *p, const char *host, const char *const argv[])
{
    char *args[MAX_ARGS + 1];
    int n = 0;
    p->port = peer_free_port();
    p->listen_fd = -1;
    p->stdin_fd = -1;
    for (; argv[n] != NULL && n < MAX_ARGS; n++) {
        args[n] = with_port(argv[n], p->port);
    }
    args[n] = NULL;
    spawn(p, args, NULL);
    for (int i = 0; i < n; i++) {
        free(args[i]);
    }
    return wait_listening(p, host, argv[0]);
}

int peer_start_on(peer_t *p, const char *host, int port, const char *const argv[])
{
    p->port = port;
    p->listen_fd = -1;
    spawn(p, (char *const *)argv, NULL);
    return wait_listening(p, host, argv[0]);
}

/* Starts argv's first n arguments and then extra's (NULL-terminated; those past MAX_ARGS are
 * dropped) on 127.0.0.1. argv has room for MAX_ARGS + 1. */
static int start_with_extra(peer_t *p, const char *argv[], int n, const char *const extra[])
{
    for (int i = 0; extra != NULL && extra[i] != NULL && n < MAX_ARGS; i++) {
        argv[n++] = extra[i];
    }
    argv[n] = NULL;
    return peer_start(p, "127.0.0.1", argv);
}

int peer_start_s_server(peer_t *p, const char *cert, const char *key, const char *const extra[])
{
    const char *argv[MAX_ARGS + 1] = { "openssl", "s_server", "-accept", "127.0.0.1:{PORT}", "-cert",
                                       cert_path(cert), "-key", cert_path(key), "-quiet" };
    return start_with_extra(p, argv, 9, extra);
}

bool peer_program_exists(const char *name)
{
    const char *path = getenv("PATH");
    char candidate[1024];
    while (path != NULL && *path != '\0') {
        size_t len = strcspn(path, ":");
        snprintf(candidate, sizeof(candidate), "%.*s/%s", (int)len, path, name);
        if (access(candidate, X_OK) == 0) {
            return true;
        }
        path += len + (path[len] == ':');
    }
    return false;
}

int peer_start_gnutls_serv(peer_t *p, const char *cert, const char *key, const char *const extra[])
{
    const char *argv[MAX_ARGS + 1] = { "gnutls-serv", "--port", "{PORT}", "--x509certfile", cert_path(cert),
                                       "--x509keyfile", cert_path(key), "--quiet" };
    return start_with_extra(p, argv, 8, extra);
}

int peer_spawn(peer_t *p, const char *const argv[], const char *output_path)
{
    p->port = -1;
    p->listen_fd = -1;
    spawn(p, (char *const *)argv, output_path);
    return p->pid > 0 ? 0 : -1;
}

int peer_wait(peer_t *p)
{
    int status = -1;
    if (p->stdin_fd >= 0) {
        close(p->stdin_fd);
        p->stdin_fd = -1;
    }
    if (p->pid > 0 && waitpid(p->pid, &status, 0) == p->pid) {
        p->pid = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    return -1;
}

int peer_listen_loopback(int *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 8) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

void peer_drain(int fd)
{
    char buf[4096];
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    while (poll(&pfd, 1, PEER_CLOSE_WAIT_MS) > 0 && recv(fd, buf, sizeof(buf), 0) > 0) {
    }
}

void peer_close_gently(int fd)
{
    shutdown(fd, SHUT_WR);
    peer_drain(fd);
    close(fd);
}

int peer_listen_silent(peer_t *p)
{
    p->pid = 0;
    p->stdin_fd = -1;
    p->listen_fd = peer_listen_loopback(&p->port);
    return p->listen_fd >= 0 ? 0 : -1;
}

void peer_stop(peer_t *p)
{
    if (p->pid > 0) {
        kill(p->pid, SIGTERM);
        waitpid(p->pid, NULL, 0);
        p->pid = 0;
    }
    if (p->listen_fd >= 0) {
        close(p->listen_fd);
        p->listen_fd = -1;
    }
    if (p->stdin_fd >= 0) {
        close(p->stdin_fd);
        p->stdin_fd = -1;
    }
}

const char *cert_path(const char *name)
{
    static char paths[32][512];
    static unsigned next;
    const char *dir = getenv("PORTLS_TEST_CERTS");
    char *path = paths[next++ % 32];
    snprintf(path, sizeof(paths[0]), "%s/%s", dir ? dir : ".", name);
    return path;
}
