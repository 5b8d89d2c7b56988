/*
 * Record boundaries seen from the socket, to say why mbedTLS refused what the peer sent.
 * mbedTLS reports a 16 KiB record into a 4 KiB buffer, an HTTP answer on a TLS port and a
 * connection cut mid-record with the same few codes (-0x7200 INVALID_RECORD, CONN_EOF); the
 * bytes themselves tell them apart.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "esp_log.h"
#include "esp_tls_private.h"

static const char *TAG = "esp-tls-records";

#define HEADER_LEN 5

static size_t header_length(const uint8_t *h)
{
    return (size_t)h[3] << 8 | h[4];
}

void esp_tls_record_track(esp_tls_record_tracker_t *t, const unsigned char *buf, size_t n)
{
    if (n == 0) {
        t->peer_closed = true;
        return;
    }
    while (n > 0) {
        if (t->header_got == HEADER_LEN && t->body_left == 0) {
            t->header_got = 0; /* the previous record is complete: a new header starts */
        }
        size_t take;
        if (t->header_got < HEADER_LEN) {
            take = HEADER_LEN - t->header_got < n ? HEADER_LEN - t->header_got : n;
            memcpy(t->header + t->header_got, buf, take);
            t->header_got += take;
            t->body_left = t->header_got == HEADER_LEN ? header_length(t->header) : 0;
        } else {
            take = t->body_left < n ? t->body_left : n;
            t->body_left -= take;
        }
        buf += take;
        n -= take;
    }
}

bool esp_tls_record_mid_record(const esp_tls_record_tracker_t *t)
{
    return (t->header_got > 0 && t->header_got < HEADER_LEN) || t->body_left > 0;
}

static bool looks_like_tls(const uint8_t *h)
{
    return h[0] >= 20 && h[0] <= 23 && h[1] == 3;
}

/* The header bytes as text if they are text (an HTTP status line, say), else in hex. */
static void describe_bytes(const uint8_t *h, char *out, size_t len)
{
    bool text = true;
    for (int i = 0; i < HEADER_LEN; i++) {
        text = text && isprint(h[i]);
    }
    if (text) {
        snprintf(out, len, "\"%.5s...\"", (const char *)h);
    } else {
        snprintf(out, len, "%02x %02x %02x %02x %02x", h[0], h[1], h[2], h[3], h[4]);
    }
}

esp_tls_record_problem_t esp_tls_record_explain(esp_tls_record_tracker_t *t)
{
    char bytes[32];
    if (t->peer_closed && esp_tls_record_mid_record(t)) {
        ESP_LOGE(TAG, "the peer closed the connection in the middle of a record (%zu of %zu bytes came): "
                      "a truncated record, not a clean close",
                 t->header_got < HEADER_LEN ? t->header_got : HEADER_LEN + header_length(t->header) - t->body_left,
                 t->header_got < HEADER_LEN ? (size_t)HEADER_LEN : HEADER_LEN + header_length(t->header));
        t->problem = ESP_TLS_RECORD_TRUNCATED;
    } else if (t->header_got == HEADER_LEN && !looks_like_tls(t->header)) {
        describe_bytes(t->header, bytes, sizeof(bytes));
        ESP_LOGE(TAG, "the peer is not speaking TLS: it sent %s (is this a plain HTTP or other server on "
                      "a TLS port?)", bytes);
        t->problem = ESP_TLS_RECORD_NOT_TLS;
    } else if (t->header_got == HEADER_LEN && header_length(t->header) > MBEDTLS_SSL_IN_CONTENT_LEN) {
        ESP_LOGE(TAG, "the peer sent a record of %zu bytes, more than CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN (%d): "
                      "raise CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN (16384 takes any record), use TLS 1.2 with "
                      "max_fragment_length, or download in parts (OTA partial download)",
                 header_length(t->header), MBEDTLS_SSL_IN_CONTENT_LEN);
        t->problem = ESP_TLS_RECORD_TOO_LARGE;
    }
    return t->problem;
}

esp_err_t esp_tls_get_last_record_info(const esp_tls_t *tls, esp_tls_record_info_t *info)
{
    if (tls == NULL || info == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    const esp_tls_record_tracker_t *t = &tls->records;
    bool have_header = t->header_got == HEADER_LEN;
    *info = (esp_tls_record_info_t){
        .content_type = t->header_got > 0 ? t->header[0] : 0,
        .version = have_header ? (uint16_t)(t->header[1] << 8 | t->header[2]) : 0,
        .length = have_header ? header_length(t->header) : 0,
        .received = have_header ? header_length(t->header) - t->body_left : 0,
        .in_content_len = MBEDTLS_SSL_IN_CONTENT_LEN,
        .problem = t->problem,
    };
    return ESP_OK;
}
