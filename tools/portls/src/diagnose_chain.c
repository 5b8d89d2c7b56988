/* diagnose: the server's certificate chain as it sends it: each certificate's key, signature,
 * expiry and names; the order; what is missing; and what the device's verification said. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "diagnose_chain.h"
#include "mbedtls/oid.h"
#include "mbedtls/x509.h"

/* One subjectAltName as text: a DNS name or an IP address; "" for other kinds. */
static void san_text(const mbedtls_x509_subject_alternative_name *san, char *out, size_t len)
{
    const mbedtls_x509_buf *v = &san->san.unstructured_name;
    out[0] = '\0';
    if (san->type == MBEDTLS_X509_SAN_DNS_NAME) {
        snprintf(out, len, "%.*s", (int)v->len, v->p);
    } else if (san->type == MBEDTLS_X509_SAN_IP_ADDRESS && (v->len == 4 || v->len == 16)) {
        inet_ntop(v->len == 4 ? AF_INET : AF_INET6, v->p, out, (socklen_t)len);
    }
}

/* The certificate's DNS names and IP addresses, comma-separated, as many as fit in len. */
static void names_of(const mbedtls_x509_crt *crt, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s != NULL && s->buf.p != NULL; s = s->next) {
        mbedtls_x509_subject_alternative_name san;
        if (mbedtls_x509_parse_subject_alt_name(&s->buf, &san) != 0) {
            continue;
        }
        char one[64];
        san_text(&san, one, sizeof(one));
        mbedtls_x509_free_subject_alt_name(&san);
        if (one[0] != '\0' && used + strlen(one) + 3 < len) {
            used += (size_t)snprintf(out + used, len - used, "%s%s", used > 0 ? ", " : "", one);
        }
    }
}

static bool same_name(const mbedtls_x509_buf *a, const mbedtls_x509_buf *b)
{
    return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* One certificate as a JSON object, and its line of text. */
static cJSON *describe(const mbedtls_x509_crt *crt, char *line, size_t len)
{
    char subject[256], issuer[256], names[256];
    const char *sig = "unknown";
    mbedtls_x509_dn_gets(subject, sizeof(subject), &crt->subject);
    mbedtls_x509_dn_gets(issuer, sizeof(issuer), &crt->issuer);
    mbedtls_oid_get_sig_alg_desc(&crt->sig_oid, &sig);
    names_of(crt, names, sizeof(names));
    char expiry[32];
    snprintf(expiry, sizeof(expiry), "%04d-%02d-%02d", crt->valid_to.year, crt->valid_to.mon, crt->valid_to.day);
    bool expired = mbedtls_x509_time_is_past(&crt->valid_to);
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "subject", subject);
    cJSON_AddStringToObject(c, "issuer", issuer);
    cJSON_AddStringToObject(c, "key", mbedtls_pk_get_name(&crt->pk));
    cJSON_AddNumberToObject(c, "key_bits", (double)mbedtls_pk_get_bitlen(&crt->pk));
    cJSON_AddStringToObject(c, "signature", sig);
    cJSON_AddStringToObject(c, "expires", expiry);
    cJSON_AddBoolToObject(c, "expired", expired);
    cJSON_AddStringToObject(c, "names", names);
    snprintf(line, len, "%s (issuer %s; %s %zu bits, %s; expires %s%s%s%s)", subject, issuer,
             mbedtls_pk_get_name(&crt->pk), mbedtls_pk_get_bitlen(&crt->pk), sig, expiry,
             expired ? " EXPIRED" : "", names[0] != '\0' ? "; names " : "", names);
    return c;
}

/* The chain finding: every certificate, as sent. @return the number sent. */
static int list_chain(diag_t *d, const mbedtls_x509_crt *chain)
{
    cJSON *f = diag_add(d, "chain", DIAG_INFO);
    cJSON *list = cJSON_CreateArray();
    char text[4096] = "", line[1024];
    int n = 0;
    for (const mbedtls_x509_crt *c = chain; c != NULL && c->raw.len > 0; c = c->next, n++) {
        cJSON_AddItemToArray(list, describe(c, line, sizeof(line)));
        size_t used = strlen(text);
        snprintf(text + used, sizeof(text) - used, "%s[%d] %s", n > 0 ? "; " : "", n, line);
    }
    if (f != NULL) {
        cJSON_AddItemToObject(cJSON_GetObjectItem(f, "data"), "certificates", list);
    } else {
        cJSON_Delete(list);
    }
    diag_text(f, "saw", "the server sends %d certificate%s: %s", n, n == 1 ? "" : "s", text);
    return n;
}

/* A certificate that does not certify the one before it. @return its index, or -1. */
static int out_of_order(const mbedtls_x509_crt *chain)
{
    int i = 1;
    for (const mbedtls_x509_crt *c = chain; c->next != NULL && c->next->raw.len > 0; c = c->next, i++) {
        if (!same_name(&c->issuer_raw, &c->next->subject_raw)) {
            return i;
        }
    }
    return -1;
}

static const mbedtls_x509_crt *last_of(const mbedtls_x509_crt *chain)
{
    while (chain->next != NULL && chain->next->raw.len > 0) {
        chain = chain->next;
    }
    return chain;
}

static void order_finding(diag_t *d, const mbedtls_x509_crt *chain)
{
    int at = out_of_order(chain);
    if (at < 0) {
        return;
    }
    cJSON *f = diag_add(d, "chain-order", DIAG_WARN);
    diag_number(f, "index", at);
    diag_text(f, "saw", "certificate [%d] of the chain does not certify the one before it: the chain is sent out "
                        "of order, or with a certificate that does not belong", at);
    diag_text(f, "means", "mbedTLS looks for each issuer among what was sent, so order alone does not stop the "
                          "device, but other clients may fail");
    diag_text(f, "fix", "send the chain leaf first, then each issuer in turn (nginx: ssl_certificate with the "
                        "full chain, leaf first)");
}

/* The first expired certificate of the chain, or NULL. */
static const mbedtls_x509_crt *first_expired(const mbedtls_x509_crt *c)
{
    for (; c != NULL && c->raw.len > 0; c = c->next) {
        if (mbedtls_x509_time_is_past(&c->valid_to)) {
            return c;
        }
    }
    return NULL;
}

static void expired_finding(diag_t *d, const diag_chain_input_t *in)
{
    const mbedtls_x509_crt *c = in->chain != NULL ? first_expired(in->chain) : NULL;
    cJSON *f = diag_add(d, "chain-expired", DIAG_FAIL);
    if (c != NULL) {
        char subject[256];
        mbedtls_x509_dn_gets(subject, sizeof(subject), &c->subject);
        diag_string(f, "subject", subject);
        diag_text(f, "saw", "the server's certificate %s expired on %04d-%02d-%02d", subject, c->valid_to.year,
                  c->valid_to.mon, c->valid_to.day);
    } else {
        diag_text(f, "saw", "a certificate of the server's chain has expired");
    }
    diag_text(f, "means", "the device refuses it: MBEDTLS_X509_BADCERT_EXPIRED, -0x2700 in the handshake");
    diag_text(f, "fix", "renew the server's certificate (a device whose clock is wrong sees this too: set it "
                        "with SNTP before connecting)");
}

static void name_finding(diag_t *d, const diag_chain_input_t *in)
{
    char names[256] = "";
    if (in->chain != NULL) {
        names_of(in->chain, names, sizeof(names));
    }
    cJSON *f = diag_add(d, "chain-name", DIAG_FAIL);
    diag_string(f, "names", names);
    diag_text(f, "saw", "the server's certificate is not for the name %s: it is for %s", in->host,
              names[0] != '\0' ? names : "other names");
    diag_text(f, "means", "the device refuses it: MBEDTLS_X509_BADCERT_CN_MISMATCH, -0x2700 in the handshake");
    diag_text(f, "fix", "connect with a name the certificate lists, or set esp_tls_cfg_t.common_name to it, or "
                        "give the server a certificate for %s", in->host);
}

/* Not trusted: a chain that ends in a root the trust does not hold, or one that stops short of a
 * root (an intermediate left out, or another CA's). */
static void untrusted_finding(diag_t *d, const diag_chain_input_t *in)
{
    const mbedtls_x509_crt *last = in->chain != NULL ? last_of(in->chain) : NULL;
    bool self = last == NULL || same_name(&last->issuer_raw, &last->subject_raw);
    char issuer[256] = "";
    if (!self) {
        mbedtls_x509_dn_gets(issuer, sizeof(issuer), &last->issuer);
    }
    cJSON *f = diag_add(d, "chain-untrusted", DIAG_FAIL);
    diag_bool(f, "incomplete", !self);
    diag_string(f, "missing_issuer", issuer);
    if (self) {
        diag_text(f, "saw", "the chain ends in a root the device does not trust (%s)", in->trust);
    } else {
        diag_text(f, "saw", "the chain is incomplete or from another CA: it ends at a certificate issued by %s, "
                            "which neither the server sends nor %s holds", issuer, in->trust);
    }
    diag_text(f, "means", "the device refuses it: MBEDTLS_X509_BADCERT_NOT_TRUSTED, -0x2700 in the handshake");
    diag_text(f, "fix", "have the server send its whole chain (the intermediate certificates; nginx: "
                        "ssl_certificate with the full chain), or give the device the CA that issued it "
                        "(esp_tls_cfg_t.cacert_buf, or CONFIG_MBEDTLS_CUSTOM_CERTIFICATE_BUNDLE_PATH for the bundle)");
}

/* What the device's verification said (flags from the esp_tls connection). */
static void verify_finding(diag_t *d, const diag_chain_input_t *in)
{
    uint32_t flags = (uint32_t)in->flags;
    if (flags & MBEDTLS_X509_BADCERT_EXPIRED) {
        expired_finding(d, in);
    }
    if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) {
        name_finding(d, in);
    }
    if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) {
        untrusted_finding(d, in);
    }
}

void diag_chain(diag_t *d, const diag_chain_input_t *in)
{
    if (in->chain != NULL) {
        list_chain(d, in->chain);
        order_finding(d, in->chain);
    }
    if (in->flags != 0) {
        verify_finding(d, in);
    } else if (in->verified) {
        cJSON *f = diag_add(d, "chain-verify", DIAG_OK);
        diag_text(f, "saw", "the chain verifies against %s and the certificate is for %s", in->trust, in->host);
    }
}
