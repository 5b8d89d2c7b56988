/*
 * SSLKEYLOGFILE (esp_tls_keylog.h) through mbedTLS's key export callback. A line is
 * "LABEL <client random> <secret>", both in lowercase hex: CLIENT_RANDOM (the TLS 1.2 master
 * secret), or TLS 1.3's traffic secrets. mbedTLS 3.6 exports no exporter secret, so there is no
 * EXPORTER_SECRET line; Wireshark does not need one.
 *
 * mbedtls_ssl_set_export_keys_cb() is in every configuration of every mbedTLS the configure takes
 * (3.6 up to 4.0, not included), a system library's too, so no probe decides about it.
 *
 * Each line goes out in one write() on a descriptor opened with O_APPEND, so lines of concurrent
 * connections, and of other processes appending to the same file, never interleave inside a line.
 */
#define _GNU_SOURCE /* secure_getenv() */
#ifndef __linux__ /* a port to another POSIX host starts here */
#error "Linux-only here: secure_getenv() (issetugid() on the BSDs)"
#endif

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mbedtls/platform_util.h"

#include "esp_log.h"
#include "esp_tls_keylog.h"

static const char *TAG = "esp-tls";

#define KEYLOG_RANDOM_LEN 32
#define KEYLOG_SECRET_MAX 64 /* SHA-512's length; TLS uses up to SHA-384's 48 */
#define KEYLOG_LABEL_MAX (sizeof("CLIENT_HANDSHAKE_TRAFFIC_SECRET") - 1) /* the longest */
#define KEYLOG_LINE_MAX (KEYLOG_LABEL_MAX + 1 + 2 * KEYLOG_RANDOM_LEN + 1 + 2 * KEYLOG_SECRET_MAX + 1)

static int keylog_fd = -1;
static pthread_once_t keylog_once = PTHREAD_ONCE_INIT;
static atomic_flag write_failed = ATOMIC_FLAG_INIT; /* only the first failure is worth a warning */

/* NSS's names, indexed by mbedTLS's export type. 0-RTT's secrets are left out (NULL): ESP-TLS
 * never enables early data, so mbedTLS never exports them. */
static const char *const labels[] = {
    [MBEDTLS_SSL_KEY_EXPORT_TLS12_MASTER_SECRET] = "CLIENT_RANDOM",
#ifdef MBEDTLS_SSL_PROTO_TLS1_3
    [MBEDTLS_SSL_KEY_EXPORT_TLS1_3_CLIENT_HANDSHAKE_TRAFFIC_SECRET] = "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
    [MBEDTLS_SSL_KEY_EXPORT_TLS1_3_SERVER_HANDSHAKE_TRAFFIC_SECRET] = "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    [MBEDTLS_SSL_KEY_EXPORT_TLS1_3_CLIENT_APPLICATION_TRAFFIC_SECRET] = "CLIENT_TRAFFIC_SECRET_0",
    [MBEDTLS_SSL_KEY_EXPORT_TLS1_3_SERVER_APPLICATION_TRAFFIC_SECRET] = "SERVER_TRAFFIC_SECRET_0",
#endif
};

static void keylog_open(void)
{
    const char *path = secure_getenv("SSLKEYLOGFILE");
    if (path == NULL || path[0] == '\0') {
        return;
    }
    keylog_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
    if (keylog_fd < 0) {
        ESP_LOGW(TAG, "SSLKEYLOGFILE: cannot open %s (%s); no TLS secrets are logged", path, strerror(errno));
        return;
    }
    ESP_LOGW(TAG, "SSLKEYLOGFILE: the TLS secrets of every connection go to %s; whoever reads it can decrypt them",
             path);
}

static char *put_hex(char *out, const unsigned char *in, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        *out++ = digits[in[i] >> 4];
        *out++ = digits[in[i] & 0x0f];
    }
    return out;
}

static void keylog_write(const char *line, size_t len)
{
    ssize_t n;
    do {
        n = write(keylog_fd, line, len);
    } while (n < 0 && errno == EINTR);
    if (n != (ssize_t)len && !atomic_flag_test_and_set(&write_failed)) {
        ESP_LOGW(TAG, "SSLKEYLOGFILE: a write failed (%s); the key log is incomplete",
                 n < 0 ? strerror(errno) : "short write");
    }
}

static void keylog_export(void *ctx, mbedtls_ssl_key_export_type type, const unsigned char *secret,
                          size_t secret_len, const unsigned char client_random[KEYLOG_RANDOM_LEN],
                          const unsigned char server_random[KEYLOG_RANDOM_LEN], mbedtls_tls_prf_types prf)
{
    (void)ctx;
    (void)server_random;
    (void)prf;
    if ((size_t)type >= sizeof(labels) / sizeof(labels[0]) || labels[type] == NULL ||
        secret_len > KEYLOG_SECRET_MAX) {
        return;
    }
    char line[KEYLOG_LINE_MAX];
    size_t label_len = strlen(labels[type]);
    memcpy(line, labels[type], label_len);
    char *p = line + label_len;
    *p++ = ' ';
    p = put_hex(p, client_random, KEYLOG_RANDOM_LEN);
    *p++ = ' ';
    p = put_hex(p, secret, secret_len);
    *p++ = '\n';
    keylog_write(line, (size_t)(p - line));
    mbedtls_platform_zeroize(line, sizeof(line));
}

void esp_tls_keylog_attach(mbedtls_ssl_context *ssl)
{
    pthread_once(&keylog_once, keylog_open);
    if (keylog_fd >= 0) {
        mbedtls_ssl_set_export_keys_cb(ssl, keylog_export, NULL);
    }
}
