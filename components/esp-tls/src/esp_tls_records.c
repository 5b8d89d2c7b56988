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
#define CONTENT_TYPE_ALERT 21
#define ALERT_LEN 2 /* level, description */

static size_t header_length(const uint8_t *h)
{
    return (size_t)h[3] << 8 | h[4];
}

/* Takes up to n bytes of the current header. @return how many it took. */
static size_t take_header(esp_tls_record_tracker_t *t, const unsigned char *buf, size_t n)
{
    size_t take = HEADER_LEN - t->header_got < n ? HEADER_LEN - t->header_got : n;
    memcpy(t->header + t->header_got, buf, take);
    t->header_got += take;
    t->body_left = t->header_got == HEADER_LEN ? header_length(t->header) : 0;
    size_t *largest = &t->largest[t->after_handshake ? 1 : 0];
    *largest = t->body_left > *largest ? t->body_left : *largest;
    return take;
}

/* Takes up to n bytes of the current body, keeping its first bytes. @return how many it took. */
static size_t take_body(esp_tls_record_tracker_t *t, const unsigned char *buf, size_t n)
{
    size_t take = t->body_left < n ? t->body_left : n;
    size_t at = header_length(t->header) - t->body_left;
    for (size_t i = 0; i < take && at + i < sizeof(t->body_head); i++) {
        t->body_head[at + i] = buf[i];
    }
    t->body_left -= take;
    return take;
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
        size_t take = t->header_got < HEADER_LEN ? take_header(t, buf, n) : take_body(t, buf, n);
        buf += take;
        n -= take;
    }
}

int esp_tls_record_plaintext_alert(const esp_tls_record_tracker_t *t)
{
    bool complete = t->header_got == HEADER_LEN && t->body_left == 0;
    if (!complete || t->header[0] != CONTENT_TYPE_ALERT || header_length(t->header) != ALERT_LEN) {
        return -1; /* an encrypted alert is longer: it carries a MAC or tag */
    }
    return t->body_head[1];
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
                      "max_fragment_length, or download in parts (OTA partial download); a TLS 1.3 server "
                      "that knows record_size_limit (CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT) keeps within it",
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

esp_err_t esp_tls_get_record_sizes(const esp_tls_t *tls, esp_tls_record_sizes_t *sizes)
{
    if (tls == NULL || sizes == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    sizes->handshake = tls->records.largest[0];
    sizes->after_handshake = tls->records.largest[1];
    return ESP_OK;
}

/* ---- alerts (RFC 8446 section 6, plus the TLS 1.2 ones still seen) ---- */

typedef struct {
    uint8_t description;
    const char *name;
    const char *meaning; /* what it usually says about us, the receiver; NULL if its name says it */
} alert_t;

static const alert_t alerts[] = {
    { 0, "close_notify", NULL },
    { 10, "unexpected_message", NULL },
    { 20, "bad_record_mac", NULL },
    { 21, "decryption_failed", NULL },
    { 22, "record_overflow", NULL },
    { 30, "decompression_failure", NULL },
    { 40, "handshake_failure", "no common ciphersuite, group or signature algorithm, or our parameters "
                               "were refused" },
    { 41, "no_certificate", "the peer requires a certificate and none was sent" },
    { 42, "bad_certificate", "the peer rejected our certificate, or the signature made with our key: does "
                             "the key match the certificate?" },
    { 43, "unsupported_certificate", NULL },
    { 44, "certificate_revoked", NULL },
    { 45, "certificate_expired", "the peer says our certificate has expired" },
    { 46, "certificate_unknown", "the peer could not accept our certificate" },
    { 47, "illegal_parameter", NULL },
    { 48, "unknown_ca", "the peer does not trust the CA that issued our certificate" },
    { 49, "access_denied", NULL },
    { 50, "decode_error", NULL },
    { 51, "decrypt_error", "the peer could not verify our signature or Finished: does the key match the "
                           "certificate?" },
    { 60, "export_restriction", NULL },
    { 70, "protocol_version", NULL },
    { 71, "insufficient_security", NULL },
    { 80, "internal_error", NULL },
    { 86, "inappropriate_fallback", NULL },
    { 90, "user_canceled", NULL },
    { 100, "no_renegotiation", NULL },
    { 109, "missing_extension", NULL },
    { 110, "unsupported_extension", NULL },
    { 111, "certificate_unobtainable", NULL },
    { 112, "unrecognized_name", "the peer has no certificate for the name we sent (SNI)" },
    { 113, "bad_certificate_status_response", NULL },
    { 114, "bad_certificate_hash_value", NULL },
    { 115, "unknown_psk_identity", "the peer does not know our PSK identity" },
    { 116, "certificate_required", "the peer requires a certificate and none was sent" },
    { 120, "no_application_protocol", "the peer accepts none of our ALPN protocols" },
};

static const alert_t *find_alert(int description)
{
    for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++) {
        if (alerts[i].description == description) {
            return &alerts[i];
        }
    }
    return NULL;
}

const char *esp_tls_alert_name(int description)
{
    const alert_t *a = find_alert(description);
    return a != NULL ? a->name : "unknown_alert";
}

void esp_tls_note_peer_alert(esp_tls_t *tls, int description)
{
    tls->peer_alert_received = true;
    tls->peer_alert = (uint8_t)description;
    const alert_t *a = find_alert(description);
    const char *meaning = a != NULL ? a->meaning : NULL;
    ESP_LOGE(TAG, "the peer sent alert %s (%d)%s%s", esp_tls_alert_name(description), description,
             meaning != NULL ? ": " : "", meaning != NULL ? meaning : "");
}

int esp_tls_get_peer_alert(const esp_tls_t *tls)
{
    return tls != NULL && tls->peer_alert_received ? tls->peer_alert : -1;
}
