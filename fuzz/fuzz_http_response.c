/*
 * libFuzzer target for esp_http_client's response path: the bytes are what a server answers,
 * over a transport that hands them out a few at a time. perform() parses them (status line,
 * headers, Content-Length, chunked or until-close bodies), follows redirects and answers 401s
 * with credentials, all within the receive buffer. Nothing may read or write out of bounds,
 * leak, or loop once the bytes run out.
 *
 * Input: byte 0 sets the read size (1..256), byte 1 the receive buffer (32..2072 bytes), the
 * rest is the server's side of the connection.
 */
#include <stdint.h>
#include <stdlib.h>

#include "esp_http_client.h"
#include "fuzz_transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads every byte an event hands over, so that ASan checks the whole range. */
static esp_err_t touch(esp_http_client_event_t *evt)
{
    volatile uint8_t sink = 0;
    const uint8_t *p = evt->data;
    for (int i = 0; evt->event_id == HTTP_EVENT_ON_DATA && i < evt->data_len; i++) {
        sink ^= p[i];
    }
    for (const char *h = evt->header_value; h != NULL && *h != '\0'; h++) {
        sink ^= (uint8_t)*h;
    }
    (void)sink;
    return ESP_OK;
}

static void query_response(esp_http_client_handle_t client)
{
    char *value = NULL;
    int chunk = 0;
    (void)esp_http_client_get_status_code(client);
    (void)esp_http_client_get_content_length(client);
    (void)esp_http_client_get_content_range(client);
    (void)esp_http_client_get_chunk_length(client, &chunk);
    (void)esp_http_client_get_response_header(client, "Location", &value);
    (void)esp_http_client_is_persistent_connection(client);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    fuzz_stream_t stream = { .data = data + 2, .len = size - 2, .step = 1 + (size_t)data[0] };
    esp_transport_handle_t t = fuzz_transport_new(&stream);
    if (t == NULL) {
        return 0;
    }
    esp_http_client_config_t cfg = { .url = "http://fuzz.invalid/start", .transport = t,
                                     .buffer_size = 32 + 8 * data[1], .username = "user", .password = "pass",
                                     .event_handler = touch, .timeout_ms = 1 };
    esp_http_client_handle_t client = esp_http_client_init(&cfg);
    if (client != NULL) {
        (void)esp_http_client_perform(client);
        query_response(client);
        esp_http_client_cleanup(client);
    }
    esp_transport_destroy(t);
    return 0;
}
