#include <string.h>

#include "mbedtls/error.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"

#include "esp_tls_heap.h"
#include "report.h"

static void print_time(FILE *out, const mbedtls_x509_time *t)
{
    fprintf(out, "%04d-%02d-%02d %02d:%02d:%02d UTC", t->year, t->mon, t->day, t->hour, t->min, t->sec);
}

static void report_cert(FILE *out, int depth, const mbedtls_x509_crt *crt)
{
    char dn[512];
    mbedtls_x509_dn_gets(dn, sizeof(dn), &crt->subject);
    fprintf(out, "  [%d] subject: %s\n", depth, dn);
    mbedtls_x509_dn_gets(dn, sizeof(dn), &crt->issuer);
    fprintf(out, "      issuer:  %s\n      valid:   ", dn);
    print_time(out, &crt->valid_from);
    fputs(" to ", out);
    print_time(out, &crt->valid_to);
    fprintf(out, "\n      key:     %s %zu bits\n", mbedtls_pk_get_name(&crt->pk), mbedtls_pk_get_bitlen(&crt->pk));
}

static void report_verification(FILE *out, mbedtls_ssl_context *ssl)
{
    uint32_t flags = mbedtls_ssl_get_verify_result(ssl);
    if (flags != 0) {
        char text[512];
        mbedtls_x509_crt_verify_info(text, sizeof(text), "  ! ", flags);
        fprintf(out, "Verification: NOT VERIFIED (flags 0x%x)\n%s", (unsigned)flags, text);
        return;
    }
    const char *name = mbedtls_ssl_get_hostname(ssl); /* "" when the check is skipped */
    if (name != NULL && name[0] != '\0') {
        fprintf(out, "Verification: OK (chain trusted, name \"%s\" matched)\n", name);
    } else if (mbedtls_ssl_conf_get_endpoint(mbedtls_ssl_context_get_config(ssl)) == MBEDTLS_SSL_IS_CLIENT) {
        /* skip_common_name: any certificate a trusted CA issued, for any name, passes */
        fputs("Verification: PARTIAL (chain trusted; the server's name was NOT checked, no SNI sent)\n", out);
    } else {
        fputs("Verification: OK (chain trusted; a client certificate has no name to match)\n", out);
    }
}

void report_session(FILE *out, esp_tls_t *tls)
{
    mbedtls_ssl_context *ssl = esp_tls_get_ssl_context(tls);
    if (ssl == NULL) {
        fputs("Plain TCP (no TLS)\n", out);
        return;
    }
    const char *alpn = mbedtls_ssl_get_alpn_protocol(ssl);
    fprintf(out, "  TLS version:  %s\n  Ciphersuite:  %s\n  ALPN:         %s\n", mbedtls_ssl_get_version(ssl),
            mbedtls_ssl_get_ciphersuite(ssl), alpn ? alpn : "(none)");
    const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(ssl);
    if (crt == NULL) {
        /* a resumed session (verified when first made), a PSK, or a client a server did not ask */
        fputs(esp_tls_session_was_resumed(tls) ? "Peer certificate: not sent again (a resumed session, verified "
                                                 "when it was made)\n"
                                               : "Peer certificate: none\n",
              out);
        return;
    }
    fputs("Peer certificate chain:\n", out);
    for (int depth = 0; crt != NULL && crt->raw.len > 0; crt = crt->next, depth++) {
        report_cert(out, depth, crt);
    }
    report_verification(out, ssl);
}

void report_timing(FILE *out, const esp_tls_t *tls)
{
    esp_tls_conn_timing_t t;
    if (esp_tls_get_conn_timing(tls, &t) == ESP_OK) {
        fprintf(out, "Timing: DNS %.2f ms, TCP %.2f ms, TLS %.2f ms\n", t.dns_us / 1000.0, t.tcp_us / 1000.0,
                t.handshake_us / 1000.0);
    }
}

void report_heap(FILE *out, const esp_tls_t *tls)
{
    esp_tls_heap_stats_t stats;
    if (esp_tls_get_heap_stats(tls, &stats) == ESP_OK) {
        fprintf(out, "Heap: peak %zu bytes, %zu bytes held now (%lu allocations", stats.peak, stats.current,
                stats.allocations);
        size_t limit = portls_heap_get_limit();
        if (limit != 0) {
            fprintf(out, ", %lu refused under the %zu-byte limit", stats.failures, limit);
        }
        fputs(")\n", out);
    }
}

void report_error(FILE *out, esp_tls_t *tls)
{
    esp_tls_error_handle_t h;
    if (esp_tls_get_error_handle(tls, &h) != ESP_OK) {
        return;
    }
    int sys_errno = 0, code = 0, flags = 0;
    esp_tls_get_and_clear_error_type(h, ESP_TLS_ERR_TYPE_SYSTEM, &sys_errno);
    esp_err_t err = esp_tls_get_and_clear_last_error(h, &code, &flags);
    report_error_codes(out, err, code, esp_tls_get_peer_alert(tls), flags, sys_errno);
}

void report_error_codes(FILE *out, esp_err_t err, int code, int alert, int flags, int sys_errno)
{
    fprintf(out, "  error:        %s (0x%x)\n", esp_err_to_name(err), (unsigned)err);
    if (code != 0) {
        char text[200];
        mbedtls_strerror(-code, text, sizeof(text));
        fprintf(out, "  mbedTLS:      -0x%04X %s\n", (unsigned)code, text);
    }
    if (alert >= 0) {
        fprintf(out, "  alert:        %s (%d), sent by the peer\n", esp_tls_alert_name(alert), alert);
    }
    if (flags != 0) {
        char text[512];
        mbedtls_x509_crt_verify_info(text, sizeof(text), "                ", (uint32_t)flags);
        fprintf(out, "  verify flags: 0x%x\n%s", (unsigned)flags, text);
    }
    if (sys_errno != 0) {
        fprintf(out, "  errno:        %d (%s)\n", sys_errno, strerror(sys_errno));
    }
}

void report_client_cert(FILE *out, const esp_tls_t *tls)
{
    esp_tls_client_cert_info_t info;
    if (esp_tls_get_client_cert_info(tls, &info) != ESP_OK) {
        return;
    }
    fprintf(out, "Client certificate: %s\n",
            !info.requested ? "not requested by the server"
            : info.sent     ? "requested by the server, sent"
                            : "requested by the server, none sent (no --cert)");
}
