#include <stdlib.h>
#include <string.h>

#include "mbedtls/error.h"
#include "mbedtls/oid.h"
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

/* The DNS names of a certificate's subjectAltName, comma-separated. @return how many bytes. */
static size_t dns_names(const mbedtls_x509_crt *crt, char *buf, size_t len)
{
    size_t n = 0;
    for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s != NULL && s->buf.p != NULL; s = s->next) {
        if ((s->buf.tag & MBEDTLS_ASN1_TAG_VALUE_MASK) == MBEDTLS_X509_SAN_DNS_NAME && n < len) {
            n += (size_t)snprintf(buf + n, len - n, "%s%.*s", n ? ", " : "", (int)s->buf.len, s->buf.p);
        }
    }
    return n;
}

/* The names a certificate is for: its subjectAltName's DNS names, else its CN. */
static void names_of(const mbedtls_x509_crt *crt, char *buf, size_t len)
{
    buf[0] = '\0';
    if (dns_names(crt, buf, len) > 0) {
        return;
    }
    for (const mbedtls_x509_name *a = &crt->subject; a != NULL; a = a->next) {
        if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &a->oid) == 0) {
            snprintf(buf, len, "%.*s", (int)a->val.len, a->val.p);
        }
    }
}

static bool self_signed(const mbedtls_x509_crt *crt)
{
    return crt->subject_raw.len == crt->issuer_raw.len &&
           memcmp(crt->subject_raw.p, crt->issuer_raw.p, crt->issuer_raw.len) == 0;
}

/* NOT_TRUSTED: the CA the chain ends at (sent, or only named as the top's issuer) is not in trust. */
static void try_trust(FILE *out, const mbedtls_x509_crt *chain, const char *trust)
{
    const mbedtls_x509_crt *top = chain;
    while (top->next != NULL && top->next->raw.len > 0) {
        top = top->next;
    }
    char dn[512];
    mbedtls_x509_dn_gets(dn, sizeof(dn), &top->issuer);
    if (self_signed(top) || top != chain) {
        fprintf(out, "try: --cacert FILE (or --bundle FILE) holding the CA \"%s\": %s does not trust it\n", dn,
                trust);
    } else {
        fprintf(out, "try: --cacert FILE holding \"%s\", the CA that issued the server's certificate (%s does "
                     "not hold it); if that CA is an intermediate, configure the server to send it too\n",
                dn, trust);
    }
}

static void try_fix(FILE *out, const mbedtls_x509_crt *chain, uint32_t flags, const char *trust)
{
    char text[512];
    if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) {
        names_of(chain, text, sizeof(text));
        fprintf(out, "try: --servername NAME with a name the certificate holds (%s), or connect to one of them\n",
                text);
    } else if (flags & MBEDTLS_X509_BADCERT_EXPIRED) {
        fputs("try: renew the server's certificate (a certificate above has expired), or check this machine's "
              "clock\n", out);
    } else if (flags & MBEDTLS_X509_BADCERT_FUTURE) {
        fputs("try: check this machine's clock: a certificate above is not valid yet\n", out);
    } else if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) {
        try_trust(out, chain, trust);
    } else {
        mbedtls_x509_crt_verify_info(text, sizeof(text), "", flags);
        fprintf(out, "try: a chain without these faults: %s", text);
    }
}

static void print_chain(FILE *out, const mbedtls_x509_crt *chain)
{
    int depth = 0;
    for (const mbedtls_x509_crt *crt = chain; crt != NULL && crt->raw.len > 0; crt = crt->next) {
        report_cert(out, depth++, crt);
    }
}

bool report_unverified(FILE *out, esp_tls_t *tls, const char *trust)
{
    const mbedtls_x509_crt *chain = esp_tls_get_unverified_peer_chain(tls);
    mbedtls_ssl_context *ssl = esp_tls_get_ssl_context(tls);
    if (chain == NULL || ssl == NULL) {
        return false;
    }
    fputs("Peer certificate chain (NOT verified):\n", out);
    print_chain(out, chain);
    fprintf(out, "Trust: %s\n", trust);
    try_fix(out, chain, mbedtls_ssl_get_verify_result(ssl), trust);
    return true;
}

/* One phase's time, or that the connect did not get that far (esp_tls_conn_timing_t's 0). */
static void print_phase(FILE *out, const char *name, int64_t us, const char *sep)
{
    if (us > 0) {
        fprintf(out, "%s %.2f ms%s", name, us / 1000.0, sep);
    } else {
        fprintf(out, "%s not reached%s", name, sep);
    }
}

void report_timing(FILE *out, const esp_tls_t *tls)
{
    esp_tls_conn_timing_t t;
    if (esp_tls_get_conn_timing(tls, &t) == ESP_OK) {
        fputs("Timing: ", out);
        print_phase(out, "DNS", t.dns_us, ", ");
        print_phase(out, "TCP", t.tcp_us, ", ");
        print_phase(out, "TLS", t.handshake_us, "\n");
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

/* ---- JSON ---- */

static void json_time(cJSON *obj, const char *name, const mbedtls_x509_time *t)
{
    char text[32];
    snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02dZ", t->year, t->mon, t->day, t->hour, t->min, t->sec);
    cJSON_AddStringToObject(obj, name, text);
}

static cJSON *json_chain(const mbedtls_x509_crt *chain)
{
    cJSON *list = cJSON_CreateArray();
    for (const mbedtls_x509_crt *crt = chain; list != NULL && crt != NULL && crt->raw.len > 0; crt = crt->next) {
        cJSON *c = cJSON_CreateObject();
        char dn[512];
        mbedtls_x509_dn_gets(dn, sizeof(dn), &crt->subject);
        cJSON_AddStringToObject(c, "subject", dn);
        mbedtls_x509_dn_gets(dn, sizeof(dn), &crt->issuer);
        cJSON_AddStringToObject(c, "issuer", dn);
        json_time(c, "not_before", &crt->valid_from);
        json_time(c, "not_after", &crt->valid_to);
        cJSON_AddStringToObject(c, "key_type", mbedtls_pk_get_name(&crt->pk));
        cJSON_AddNumberToObject(c, "key_bits", (double)mbedtls_pk_get_bitlen(&crt->pk));
        cJSON_AddItemToArray(list, c);
    }
    return list;
}

static void json_verification(cJSON *obj, mbedtls_ssl_context *ssl)
{
    uint32_t flags = mbedtls_ssl_get_verify_result(ssl);
    const char *name = mbedtls_ssl_get_hostname(ssl);
    bool client = mbedtls_ssl_conf_get_endpoint(mbedtls_ssl_context_get_config(ssl)) == MBEDTLS_SSL_IS_CLIENT;
    cJSON *v = cJSON_AddObjectToObject(obj, "verification");
    cJSON_AddBoolToObject(v, "ok", flags == 0);
    cJSON_AddNumberToObject(v, "flags", flags);
    cJSON_AddBoolToObject(v, "name_checked", client && name != NULL && name[0] != '\0');
    if (client && name != NULL && name[0] != '\0') {
        cJSON_AddStringToObject(v, "name", name);
    }
}

void report_json_session(cJSON *obj, esp_tls_t *tls)
{
    mbedtls_ssl_context *ssl = esp_tls_get_ssl_context(tls);
    if (ssl == NULL) {
        return;
    }
    const char *alpn = mbedtls_ssl_get_alpn_protocol(ssl);
    cJSON *t = cJSON_AddObjectToObject(obj, "tls");
    cJSON_AddStringToObject(t, "version", mbedtls_ssl_get_version(ssl));
    cJSON_AddStringToObject(t, "ciphersuite", mbedtls_ssl_get_ciphersuite(ssl));
    cJSON_AddItemToObject(t, "alpn", alpn != NULL ? cJSON_CreateString(alpn) : cJSON_CreateNull());
    cJSON_AddBoolToObject(t, "resumed", esp_tls_session_was_resumed(tls));
    const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(ssl);
    if (crt != NULL) {
        cJSON_AddItemToObject(obj, "chain", json_chain(crt));
        json_verification(obj, ssl);
    }
    esp_tls_client_cert_info_t info;
    if (esp_tls_get_client_cert_info(tls, &info) == ESP_OK) {
        cJSON *c = cJSON_AddObjectToObject(obj, "client_certificate");
        cJSON_AddBoolToObject(c, "requested", info.requested);
        cJSON_AddBoolToObject(c, "sent", info.sent);
    }
}

static cJSON *json_phase(int64_t us)
{
    return us > 0 ? cJSON_CreateNumber(us / 1000.0) : cJSON_CreateNull();
}

void report_json_timing(cJSON *obj, const esp_tls_t *tls)
{
    esp_tls_conn_timing_t t;
    if (esp_tls_get_conn_timing(tls, &t) == ESP_OK) {
        cJSON *j = cJSON_AddObjectToObject(obj, "timing_ms");
        cJSON_AddItemToObject(j, "dns", json_phase(t.dns_us));
        cJSON_AddItemToObject(j, "tcp", json_phase(t.tcp_us));
        cJSON_AddItemToObject(j, "tls", json_phase(t.handshake_us));
    }
}

void report_json_heap(cJSON *obj, const esp_tls_t *tls)
{
    esp_tls_heap_stats_t stats;
    if (esp_tls_get_heap_stats(tls, &stats) == ESP_OK) {
        cJSON *h = cJSON_AddObjectToObject(obj, "heap");
        cJSON_AddNumberToObject(h, "peak", (double)stats.peak);
        cJSON_AddNumberToObject(h, "current", (double)stats.current);
        cJSON_AddNumberToObject(h, "allocations", (double)stats.allocations);
        cJSON_AddNumberToObject(h, "limit", (double)portls_heap_get_limit());
        cJSON_AddNumberToObject(h, "refused", (double)stats.failures);
    }
}

static void json_mbedtls(cJSON *e, int code)
{
    char text[200];
    snprintf(text, sizeof(text), "-0x%04X", (unsigned)code);
    cJSON_AddStringToObject(e, "mbedtls", text);
    mbedtls_strerror(-code, text, sizeof(text));
    cJSON_AddStringToObject(e, "mbedtls_text", text);
}

void report_json_error(cJSON *obj, esp_tls_t *tls)
{
    esp_tls_error_handle_t h;
    if (esp_tls_get_error_handle(tls, &h) != ESP_OK) {
        return;
    }
    int sys_errno = 0, code = 0, flags = 0, alert = esp_tls_get_peer_alert(tls);
    esp_tls_get_and_clear_error_type(h, ESP_TLS_ERR_TYPE_SYSTEM, &sys_errno);
    esp_err_t err = esp_tls_get_and_clear_last_error(h, &code, &flags);
    cJSON *e = cJSON_AddObjectToObject(obj, "error");
    cJSON_AddStringToObject(e, "esp_err", esp_err_to_name(err));
    cJSON_AddNumberToObject(e, "esp_err_code", err);
    if (code != 0) {
        json_mbedtls(e, code);
    }
    cJSON_AddItemToObject(e, "alert", alert >= 0 ? cJSON_CreateString(esp_tls_alert_name(alert)) : cJSON_CreateNull());
    cJSON_AddNumberToObject(e, "verify_flags", (unsigned)flags);
    cJSON_AddNumberToObject(e, "errno", sys_errno);
}

void report_json_unverified(cJSON *obj, esp_tls_t *tls, const char *trust)
{
    const mbedtls_x509_crt *chain = esp_tls_get_unverified_peer_chain(tls);
    mbedtls_ssl_context *ssl = esp_tls_get_ssl_context(tls);
    if (chain == NULL || ssl == NULL) {
        return;
    }
    cJSON_AddItemToObject(obj, "unverified_chain", json_chain(chain));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f != NULL) {
        try_fix(f, chain, mbedtls_ssl_get_verify_result(ssl), trust);
        fclose(f);
        text[strcspn(text, "\n")] = '\0';
        cJSON_AddStringToObject(obj, "try", strncmp(text, "try: ", 5) == 0 ? text + 5 : text);
    }
    free(text);
}

int report_json_print(FILE *out, cJSON *obj)
{
    char *text = cJSON_Print(obj);
    cJSON_Delete(obj);
    if (text == NULL) {
        return -1;
    }
    fprintf(out, "%s\n", text);
    cJSON_free(text);
    return 0;
}
