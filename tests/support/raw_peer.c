#include "raw_peer.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "peer.h"

static void *run(void *arg)
{
    raw_peer_t *p = arg;
    struct pollfd pfd = { .fd = p->listen_fd, .events = POLLIN };
    int fd = poll(&pfd, 1, PEER_CLOSE_WAIT_MS) > 0 ? accept(p->listen_fd, NULL, NULL) : -1;
    if (fd < 0) {
        return NULL;
    }
    if (send(fd, p->data, p->len, MSG_NOSIGNAL) == (ssize_t)p->len && p->keep_open) {
        peer_drain(fd); /* the client ends it */
    }
    peer_close_gently(fd);
    return NULL;
}

void raw_peer_start(raw_peer_t *p)
{
    p->listen_fd = peer_listen_loopback(&p->port);
    assert_true(p->listen_fd >= 0);
    assert_int_equal(pthread_create(&p->thread, NULL, run, p), 0);
}

void raw_peer_join(raw_peer_t *p)
{
    pthread_join(p->thread, NULL);
    close(p->listen_fd);
}
