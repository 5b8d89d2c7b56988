/* What the esp_http_client tests share: an event recorder, URLs on the shared nginx
 * (nginx_group), and a wait for nginx's access log. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "esp_http_client.h"
#include "nginx.h"

/* What the event handler saw: the body's first bytes (NUL-terminated), its total, and counts. */
typedef struct {
    char body[8192];
    size_t body_len;
    long long data_total;
    int headers, finished, connected, disconnected, errors, redirects, heads_sent;
    char content_type[64];
} seen_t;

/* An event handler that records into the seen_t given as user_data. */
esp_err_t on_event(esp_http_client_event_t *evt);

/* "http(s)://localhost:<nginx_group's port><path>" into out. */
void url_of(char *out, size_t len, bool tls, const char *path);

/* A handle for path on nginx_group, trusting the test CA, recording into seen (asserted). */
esp_http_client_handle_t client_for(const char *path, bool tls, seen_t *seen);

/* nginx logs after it answers: waits until the log has want lines with marker. @return how many. */
int wait_for_log(const nginx_t *n, const char *marker, nginx_access_t *log, int want);
