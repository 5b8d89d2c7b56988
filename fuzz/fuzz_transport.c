#include "fuzz_transport.h"

#include <string.h>

static fuzz_stream_t *stream_of(esp_transport_handle_t t)
{
    return esp_transport_get_context_data(t);
}

static int fuzz_connect(esp_transport_handle_t t, const char *host, int port, int timeout_ms)
{
    (void)t;
    (void)host;
    (void)port;
    (void)timeout_ms;
    return 0;
}

static int fuzz_read(esp_transport_handle_t t, char *buffer, int len, int timeout_ms)
{
    (void)timeout_ms;
    fuzz_stream_t *s = stream_of(t);
    if (s->off >= s->len) {
        return ERR_TCP_TRANSPORT_CONNECTION_CLOSED_BY_FIN;
    }
    size_t n = s->len - s->off;
    n = n < s->step ? n : s->step;
    n = n < (size_t)len ? n : (size_t)len;
    memcpy(buffer, s->data + s->off, n);
    s->off += n;
    return (int)n;
}

static int fuzz_write(esp_transport_handle_t t, const char *buffer, int len, int timeout_ms)
{
    (void)timeout_ms;
    fuzz_stream_t *s = stream_of(t);
    if (s->on_write != NULL) {
        s->on_write(s->ctx, buffer, len);
    }
    return len;
}

static int fuzz_close(esp_transport_handle_t t)
{
    (void)t;
    return 0;
}

static int fuzz_poll_read(esp_transport_handle_t t, int timeout_ms)
{
    (void)t;
    (void)timeout_ms;
    return 1; /* data, or the close: a read answers at once either way */
}

static int fuzz_poll_write(esp_transport_handle_t t, int timeout_ms)
{
    (void)t;
    (void)timeout_ms;
    return 1;
}

esp_transport_handle_t fuzz_transport_new(fuzz_stream_t *s)
{
    esp_transport_handle_t t = esp_transport_init();
    if (t != NULL) {
        esp_transport_set_context_data(t, s);
        esp_transport_set_func(t, fuzz_connect, fuzz_read, fuzz_write, fuzz_close, fuzz_poll_read, fuzz_poll_write,
                               NULL);
    }
    return t;
}
