/* esp_restart(): the program starts again, as a chip does after a software reset. */
#define _GNU_SOURCE /* close_range() */
#ifndef __linux__ /* a port to another POSIX host starts here */
#error "Linux-only here: /proc/self/cmdline, /proc/thread-self/exe and /proc/self/fd for esp_restart()"
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esp_system.h"

#define SHUTDOWN_HANDLERS_NO 5

static shutdown_handler_t s_handlers[SHUTDOWN_HANDLERS_NO];

esp_err_t esp_register_shutdown_handler(shutdown_handler_t handler)
{
    for (int i = 0; i < SHUTDOWN_HANDLERS_NO; i++) {
        if (s_handlers[i] == handler) {
            return ESP_ERR_INVALID_STATE;
        }
        if (s_handlers[i] == NULL) {
            s_handlers[i] = handler;
            return ESP_OK;
        }
    }
    return ESP_ERR_NO_MEM;
}

esp_err_t esp_unregister_shutdown_handler(shutdown_handler_t handler)
{
    for (int i = 0; i < SHUTDOWN_HANDLERS_NO; i++) {
        if (s_handlers[i] == handler) {
            s_handlers[i] = NULL;
            return ESP_OK;
        }
    }
    return ESP_ERR_INVALID_STATE;
}

/* The arguments the program was started with, from /proc/self/cmdline (NUL-separated), read at
 * startup: a program may change its argv strings later. */
static char *s_cmdline;
static size_t s_cmdline_len;

__attribute__((constructor)) static void save_cmdline(void)
{
    FILE *f = fopen("/proc/self/cmdline", "re");
    if (f == NULL) {
        return;
    }
    size_t cap = 0;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        char *grown = realloc(s_cmdline, cap + n);
        if (grown == NULL) {
            break;
        }
        memcpy(grown + cap, buf, n);
        s_cmdline = grown;
        cap += n;
    }
    s_cmdline_len = cap;
    fclose(f);
}

/* argv for execv(), pointing into s_cmdline. */
static char **saved_argv(void)
{
    size_t count = 0;
    for (size_t i = 0; i < s_cmdline_len; i++) {
        count += s_cmdline[i] == '\0';
    }
    char **argv = calloc(count + 1, sizeof(char *));
    if (argv == NULL || count == 0) {
        free(argv);
        return NULL;
    }
    for (size_t i = 0, arg = 0; i < s_cmdline_len && arg < count; arg++) {
        argv[arg] = &s_cmdline[i];
        i += strlen(&s_cmdline[i]) + 1;
    }
    return argv;
}

/* Marks every descriptor above stderr close-on-exec: close_range(), or one by one where the
 * kernel lacks CLOSE_RANGE_CLOEXEC (before 5.11). */
static void close_on_exec(void)
{
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0) {
        return;
    }
    DIR *dir = opendir("/proc/self/fd");
    struct dirent *e;
    while (dir != NULL && (e = readdir(dir)) != NULL) {
        int fd = atoi(e->d_name);
        if (fd > 2 && fd != dirfd(dir)) {
            fcntl(fd, F_SETFD, FD_CLOEXEC);
        }
    }
    if (dir != NULL) {
        closedir(dir);
    }
}

void esp_restart(void)
{
    for (int i = SHUTDOWN_HANDLERS_NO - 1; i >= 0; i--) {
        if (s_handlers[i] != NULL) {
            s_handlers[i]();
        }
    }
    fflush(NULL);
    char **argv = saved_argv();
    if (argv == NULL) {
        fputs("esp_restart: the program's arguments are unknown (/proc/self/cmdline)\n", stderr);
        abort();
    }
    close_on_exec(); /* a reset leaves nothing open */
    /* The calling thread's view: once the main thread has ended (app_main returned, as on a
     * chip, and an app task restarts), the process's /proc/self/exe no longer resolves. */
    execv("/proc/thread-self/exe", argv);
    fprintf(stderr, "esp_restart: cannot execute /proc/thread-self/exe again: %s\n", strerror(errno));
    abort();
}
