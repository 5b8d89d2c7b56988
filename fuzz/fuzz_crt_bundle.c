/* libFuzzer target for the bundle: whatever the bytes, crt_bundle_check() must not read outside
 * them; and on a bundle it accepts, every entry, lookup and synthetic root must stay in bounds,
 * each synthetic root goes through mbedTLS's parser, and the trust callback mbedTLS calls at
 * verification (esp_crt_bundle_ca_cb) is asked for the issuers named by each entry, also inside a
 * whole mbedtls_x509_crt_verify_with_ca_cb(); and the verify callback (esp_crt_bundle_verify_cb),
 * which looks up and verifies a certificate flagged NOT_TRUSTED, is given each synthetic root. */
#include <stdlib.h>

#include "crt_bundle_format.h"
#include "esp_crt_bundle_private.h"
#include "mbedtls/platform.h"
#include "psa/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The candidates the callback gives for a certificate issued by e's name: at most the entries
 * of that name, and at least one when e's own root parses (it is one of them). */
static void ask_trust_callback(const uint8_t *bundle, const crt_bundle_entry_t *e, uint32_t named, bool parses)
{
    mbedtls_x509_crt child;
    mbedtls_x509_crt_init(&child);
    child.issuer_raw.p = (unsigned char *)e->name;
    child.issuer_raw.len = e->name_len;
    mbedtls_x509_crt *candidates = NULL;
    if (esp_crt_bundle_ca_cb((void *)bundle, &child, &candidates) != 0) {
        abort(); /* only an allocation failure may fail it */
    }
    uint32_t n = 0;
    for (const mbedtls_x509_crt *c = candidates; c != NULL && c->raw.p != NULL; c = c->next) {
        n++;
    }
    if (n > named || (parses && n == 0)) {
        abort();
    }
    mbedtls_x509_crt_free(candidates);
    mbedtls_free(candidates);
}

/* The verify callback keeps every flag it is given but NOT_TRUSTED, and keeps that one too for a
 * synthetic root: its placeholder signature verifies under no key. */
static void ask_verify_callback(const uint8_t *bundle, mbedtls_x509_crt *root)
{
    const uint32_t others = MBEDTLS_X509_BADCERT_CN_MISMATCH | MBEDTLS_X509_BADCERT_BAD_MD;
    uint32_t flags = MBEDTLS_X509_BADCERT_NOT_TRUSTED | others;
    if (esp_crt_bundle_verify_cb((void *)bundle, root, 0, &flags) != 0 ||
        flags != (MBEDTLS_X509_BADCERT_NOT_TRUSTED | others)) {
        abort();
    }
}

/* e's synthetic root through mbedTLS's parser, the callback, and a verification that uses it. */
static void exercise_trust(const uint8_t *bundle, const crt_bundle_entry_t *e, uint32_t named, const uint8_t *der,
                           size_t der_len)
{
    mbedtls_x509_crt root;
    mbedtls_x509_crt_init(&root);
    bool parses = mbedtls_x509_crt_parse_der(&root, der, der_len) == 0;
    ask_trust_callback(bundle, e, named, parses);
    if (parses) {
        uint32_t flags = 0;
        mbedtls_x509_crt_verify_with_ca_cb(&root, esp_crt_bundle_ca_cb, (void *)bundle,
                                           &mbedtls_x509_crt_profile_default, NULL, &flags, NULL, NULL);
        ask_verify_callback(bundle, &root);
    }
    mbedtls_x509_crt_free(&root);
}

static void exercise(const uint8_t *bundle, const crt_bundle_t *b)
{
    for (uint32_t i = 0; i < b->count; i++) {
        crt_bundle_entry_t e = crt_bundle_entry(b, i);
        uint32_t first, count;
        crt_bundle_find(b, e.name, e.name_len, &first, &count);
        if (count == 0 || first > i || i >= first + count) {
            abort(); /* an entry must be found under its own name */
        }
        size_t size = crt_bundle_root_der_size(&e);
        uint8_t *der = malloc(size);
        if (der != NULL && crt_bundle_root_der(&e, der, size) != size) {
            abort();
        }
        if (der != NULL) {
            exercise_trust(bundle, &e, count, der, size);
        }
        free(der);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (psa_crypto_init() != PSA_SUCCESS) { /* verification hashes through PSA */
        abort();
    }
    /* A copy of exactly size bytes, so that ASan sees any read past the end. */
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL) {
        return 0;
    }
    for (size_t i = 0; i < size; i++) {
        copy[i] = data[i];
    }
    crt_bundle_t b;
    if (crt_bundle_check(copy, size, 200, &b) == CRT_BUNDLE_OK) {
        exercise(copy, &b);
        crt_bundle_t again = crt_bundle_from_checked(copy);
        if (again.size != b.size || again.count != b.count) {
            abort();
        }
    }
    free(copy);
    return 0;
}
