#include "http_test_client.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "tls_test.h"

esp_err_t on_event(esp_http_client_event_t *evt)
{
    seen_t *s = evt->user_data;
    switch (evt->event_id) {
    case HTTP_EVENT_ON_DATA:
        if (s->body_len + (size_t)evt->data_len < sizeof(s->body)) {
            memcpy(s->body + s->body_len, evt->data, (size_t)evt->data_len);
            s->body_len += (size_t)evt->data_len;
        }
        s->data_total += evt->data_len;
        break;
    case HTTP_EVENT_ON_HEADER:
        s->headers++;
        if (strcasecmp(evt->header_key, "Content-Type") == 0) {
            snprintf(s->content_type, sizeof(s->content_type), "%s", evt->header_value);
        }
        break;
    case HTTP_EVENT_ON_FINISH:
        s->finished++;
        break;
    case HTTP_EVENT_ON_CONNECTED:
        s->connected++;
        break;
    case HTTP_EVENT_DISCONNECTED:
        s->disconnected++;
        break;
    case HTTP_EVENT_ERROR:
        s->errors++;
        break;
    case HTTP_EVENT_REDIRECT:
        s->redirects++;
        break;
    case HTTP_EVENT_HEADERS_SENT:
        s->heads_sent++;
        break;
    default:
        break;
    }
    return ESP_OK;
}

void url_of(char *out, size_t len, bool tls, const char *path)
{
    snprintf(out, len, "%s://localhost:%d%s", tls ? "https" : "http", tls ? nginx_group.https_port : nginx_group.http_port, path);
}

esp_http_client_handle_t client_for(const char *path, bool tls, seen_t *seen)
{
    char url[128];
    url_of(url, sizeof(url), tls, path);
    esp_http_client_config_t cfg = { .url = url, .event_handler = on_event, .user_data = seen,
                                     .cert_pem = (const char *)pki("ca.pem")->data };
    esp_http_client_handle_t client = esp_http_client_init(&cfg);
    assert_non_null(client);
    return client;
}

int wait_for_log(const nginx_t *n, const char *marker, nginx_access_t *log, int want)
{
    int total = 0;
    for (int waited = 0; waited < 20000; waited += 20) {
        if ((total = nginx_accesses(n, marker, log, want)) >= want) {
            break;
        }
        sleep_ms(20);
    }
    return total;
}
