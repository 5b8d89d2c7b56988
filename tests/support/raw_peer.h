/*
 * A peer on a thread that plays back bytes: it accepts one connection on a loopback port, sends
 * `data`, then FIN (or, with keep_open, nothing more), and closes only once the client has closed
 * (peer_close_gently()), so the client reads every byte and then the end of the stream, never a
 * reset, however late it gets to them.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const void *data;
    size_t len;
    bool keep_open; /* no FIN after data: the client must end the connection on what it got */
    int port;
    int listen_fd;
    pthread_t thread;
} raw_peer_t;

/* Listens and starts the thread (asserted). Set data, len and keep_open first. */
void raw_peer_start(raw_peer_t *p);

/* Waits for the thread: it ends once the client closed, or after 10 s without a connection or
 * a close. */
void raw_peer_join(raw_peer_t *p);
