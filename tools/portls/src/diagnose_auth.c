/* diagnose: client authentication. Whether the server asks for a certificate, the CA names it
 * lists, and whether the given certificate and key are accepted; a key that does not belong to
 * the certificate, and a certificate from a CA the server does not trust, named as such. */
#include <stdio.h>
#include <string.h>

#include "diagnose_probe.h"
#include "diagnose_run.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/entropy.h"
#include "mbedtls/pk.h"

/* Whether the given key belongs to the given certificate. @return 1 yes, 0 no, -1 unreadable. */
static int key_matches(const diag_opts_t *o)
{
    mbedtls_x509_crt crt;
    mbedtls_pk_context key;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt_init(&crt);
    mbedtls_pk_init(&key);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    const unsigned char *pass = (const unsigned char *)o->pass;
    size_t pass_len = o->pass != NULL ? strlen(o->pass) : 0;
    int rc = -1;
    if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0) == 0 &&
        mbedtls_x509_crt_parse(&crt, o->cert_file.data, o->cert_file.len) == 0 &&
        mbedtls_pk_parse_key(&key, o->key_file.data, o->key_file.len, pass, pass_len, mbedtls_ctr_drbg_random,
                             &drbg) == 0) {
        rc = mbedtls_pk_check_pair(&crt.pk, &key, mbedtls_ctr_drbg_random, &drbg) == 0;
    }
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    mbedtls_pk_free(&key);
    mbedtls_x509_crt_free(&crt);
    return rc;
}

/* The CA names, joined, for the text. */
static void ca_names_text(const diag_probe_t *p, char *out, size_t len)
{
    size_t used = 0;
    const cJSON *n;
    out[0] = '\0';
    cJSON_ArrayForEach(n, p->ca_names) {
        used += (size_t)snprintf(out + used, used < len ? len - used : 0, "%s%s", used > 0 ? "; " : "",
                                 cJSON_GetStringValue(n));
    }
    if (out[0] == '\0') {
        snprintf(out, len, "(none: any CA)");
    }
}

/* The alert that refused us, from whichever run got one. */
static int refusal(const diag_run_t runs[2])
{
    for (int i = 0; i < 2; i++) {
        if ((runs[i].refused_after || !runs[i].connected) && runs[i].cc_known && runs[i].cc.requested &&
            runs[i].alert > 0) {
            return runs[i].alert;
        }
    }
    return -1;
}

static bool accepted(const diag_run_t runs[2])
{
    for (int i = 0; i < 2; i++) {
        if (runs[i].connected && !runs[i].refused_after) {
            return true;
        }
    }
    return false;
}

static cJSON *refused_finding(diag_t *d, const diag_opts_t *o, int alert, const char *names)
{
    int match = o->cert != NULL ? key_matches(o) : -1;
    cJSON *f = diag_add(d, "client-auth", DIAG_FAIL);
    diag_number(f, "alert", alert);
    if (o->cert == NULL) {
        diag_string(f, "problem", "no-certificate");
        diag_text(f, "saw", "the server requires a client certificate and none was given (alert %s)",
                  esp_tls_alert_name(alert));
        diag_text(f, "means", "a device without one is refused in the handshake (TLS 1.2) or on its first read "
                              "(TLS 1.3); the server lists these CAs: %s", names);
        diag_text(f, "fix", "give the device a certificate from a CA the server lists (%s): "
                            "esp_tls_cfg_t.clientcert_buf and clientkey_buf", names);
    } else if (match == 0) {
        diag_string(f, "problem", "key-mismatch");
        diag_text(f, "saw", "the key %s does not belong to the certificate %s (alert %s)", o->key, o->cert,
                  esp_tls_alert_name(alert));
        diag_text(f, "means", "the server cannot verify the device's signature and refuses it; it lists these CAs: "
                              "%s", names);
        diag_text(f, "fix", "give the device the key that was made with this certificate (clientkey_buf)");
    } else {
        diag_string(f, "problem", "wrong-ca");
        diag_text(f, "saw", "the server refused the client certificate %s with the alert %s: it does not trust the "
                            "CA that issued it", o->cert, esp_tls_alert_name(alert));
        diag_text(f, "means", "the device is refused however it is configured, until the server trusts its CA; "
                              "the server lists these CAs: %s", names);
        diag_text(f, "fix", "use a client certificate from a CA the server lists (%s), or add its CA to the "
                            "server's client CAs (nginx: ssl_client_certificate)", names);
    }
    return f;
}

static bool requested(const diag_run_t runs[2], const diag_probe_t *probe)
{
    bool asked = probe->cert_requested;
    for (int i = 0; i < 2; i++) {
        asked |= runs[i].cc_known && runs[i].cc.requested;
    }
    return asked;
}

static cJSON *accepted_finding(diag_t *d, const diag_opts_t *o, const char *names)
{
    cJSON *f = diag_add(d, "client-auth", DIAG_OK);
    if (o->cert != NULL) {
        diag_text(f, "saw", "the server asked for a client certificate and accepted %s", o->cert);
    } else {
        diag_text(f, "saw", "the server asked for a client certificate, and goes on without one");
    }
    diag_text(f, "means", "the server lists these CAs: %s", names);
    return f;
}

void diag_tls_client_auth(diag_t *d, const diag_opts_t *o, const diag_run_t runs[2], const diag_probe_t *probe)
{
    if (!requested(runs, probe)) {
        cJSON *f = diag_add(d, "client-auth", DIAG_INFO);
        diag_bool(f, "requested", false);
        diag_text(f, "saw", "the server does not ask for a client certificate");
        return;
    }
    char names[1024];
    ca_names_text(probe, names, sizeof(names));
    int alert = refusal(runs);
    cJSON *f = alert > 0 && !accepted(runs) ? refused_finding(d, o, alert, names) : accepted_finding(d, o, names);
    diag_bool(f, "requested", true);
    if (f != NULL) {
        cJSON_AddItemToObject(cJSON_GetObjectItem(f, "data"), "ca_names", cJSON_Duplicate(probe->ca_names, 1));
    }
}
