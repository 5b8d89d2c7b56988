/* portls get -m: a thread that ends a transfer which outlives its time, by shutting down the
 * connection's socket (the blocked read or write then fails and perform() returns). */
#pragma once

#include <pthread.h>
#include <stdbool.h>

#include "esp_deadline.h"

typedef struct {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    esp_deadline_t deadline;
    int fd;       /* the connection's socket, -1 between connections */
    bool running; /* the thread was started */
    bool done;    /* the transfer ended: the thread returns */
    bool fired;   /* the time ran out first */
} watchdog_t;

/* Starts the thread, due after seconds. @return 0, or -1 (no thread: out of resources). */
int watchdog_start(watchdog_t *w, int seconds);

/* The socket of the connection now open (-1: none). After the time ran out, it is shut down at
 * once. Safe on a watchdog never started. */
void watchdog_set_fd(watchdog_t *w, int fd);

/* Milliseconds left, at least 1; INT_MAX when not started. */
int watchdog_ms_left(const watchdog_t *w);

/* Ends the thread. @return whether the time ran out. Safe on a watchdog never started. */
bool watchdog_stop(watchdog_t *w);
