#include <limits.h>
#include <sys/socket.h>

#include "get_watchdog.h"

static void *watch(void *arg)
{
    watchdog_t *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->done && !esp_deadline_expired(w->deadline)) {
        esp_deadline_cond_wait(&w->cond, &w->lock, w->deadline);
    }
    if (!w->done) {
        w->fired = true;
        if (w->fd >= 0) {
            shutdown(w->fd, SHUT_RDWR);
        }
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int watchdog_start(watchdog_t *w, int seconds)
{
    w->fd = -1;
    w->deadline = esp_deadline_in_ms((int64_t)seconds * 1000);
    if (pthread_mutex_init(&w->lock, NULL) != 0) {
        return -1;
    }
    if (esp_deadline_cond_init(&w->cond) != 0) {
        pthread_mutex_destroy(&w->lock);
        return -1;
    }
    if (pthread_create(&w->thread, NULL, watch, w) != 0) {
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        return -1;
    }
    w->running = true;
    return 0;
}

void watchdog_set_fd(watchdog_t *w, int fd)
{
    if (!w->running) {
        return;
    }
    pthread_mutex_lock(&w->lock);
    w->fd = fd;
    if (w->fired && fd >= 0) {
        shutdown(fd, SHUT_RDWR);
    }
    pthread_mutex_unlock(&w->lock);
}

int watchdog_ms_left(const watchdog_t *w)
{
    if (!w->running) {
        return INT_MAX;
    }
    int left = esp_deadline_ms_left(w->deadline);
    return left > 0 ? left : 1;
}

bool watchdog_stop(watchdog_t *w)
{
    if (!w->running) {
        return false;
    }
    pthread_mutex_lock(&w->lock);
    w->done = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    w->running = false;
    return w->fired;
}
