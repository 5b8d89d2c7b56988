/* The certificate bundle as an mbedTLS trusted-certificate callback, and a verify callback that
 * takes over where a later mbedtls_ssl_conf_ca_chain() removed the first. */
#include <pthread.h>
#include <string.h>

#include "mbedtls/platform.h"

#include "crt_bundle_format.h"
#include "esp_crt_bundle.h"
#include "esp_crt_bundle_private.h"
#include "esp_log.h"
#include "sdkconfig.h"
#ifdef CONFIG_MBEDTLS_CERTIFICATE_BUNDLE
#include "esp_crt_bundle_default.h"
#endif

static const char *TAG = "esp-x509-crt-bundle";

#ifdef MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK
static pthread_mutex_t bundle_lock = PTHREAD_MUTEX_INITIALIZER;
static const uint8_t *active; /* checked bundle bytes, or NULL */

/* An app's own bundle, under the symbols ESP-IDF's build gives the bundle it embeds in the app
 * (the binary file x509_crt_bundle); weak, so a program without them links, and they are NULL. */
extern const uint8_t app_bundle_start[] __asm__("_binary_x509_crt_bundle_start") __attribute__((weak));
extern const uint8_t app_bundle_end[] __asm__("_binary_x509_crt_bundle_end") __attribute__((weak));

static const uint8_t *checked_bundle(const uint8_t *data, size_t size, const char *what)
{
    crt_bundle_status_t st = crt_bundle_check(data, size, CONFIG_MBEDTLS_CERTIFICATE_BUNDLE_MAX_CERTS, NULL);
    if (st == CRT_BUNDLE_OK) {
        return data;
    }
    ESP_LOGE(TAG, "%s is damaged: %s", what, crt_bundle_status_text(st));
    return NULL;
}

/* The app's own bundle if the program links one, else the built-in one; NULL if neither. */
static const uint8_t *default_bundle(void)
{
    if (app_bundle_start != NULL && app_bundle_end != NULL) {
        return checked_bundle(app_bundle_start, (size_t)(app_bundle_end - app_bundle_start),
                              "the app's bundle (x509_crt_bundle)");
    }
#ifdef CONFIG_MBEDTLS_CERTIFICATE_BUNDLE
    return checked_bundle(esp_crt_bundle_default_data, esp_crt_bundle_default_size, "the built-in bundle");
#else
    return NULL;
#endif
}

static const uint8_t *current_bundle(void)
{
    pthread_mutex_lock(&bundle_lock);
    if (active == NULL) {
        active = default_bundle();
    }
    const uint8_t *b = active;
    pthread_mutex_unlock(&bundle_lock);
    return b;
}

esp_err_t esp_crt_bundle_set(const uint8_t *x509_bundle, size_t bundle_size)
{
    crt_bundle_status_t st = crt_bundle_check(x509_bundle, bundle_size, CONFIG_MBEDTLS_CERTIFICATE_BUNDLE_MAX_CERTS,
                                              NULL);
    if (st != CRT_BUNDLE_OK) {
        ESP_LOGE(TAG, "rejected bundle (%zu bytes): %s", bundle_size, crt_bundle_status_text(st));
        return ESP_ERR_INVALID_ARG;
    }
    pthread_mutex_lock(&bundle_lock);
    active = x509_bundle;
    pthread_mutex_unlock(&bundle_lock);
    return ESP_OK;
}
#else
static esp_err_t no_callback(void)
{
    ESP_LOGE(TAG, "this mbedTLS lacks MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK, which the bundle needs");
    return ESP_ERR_NOT_SUPPORTED;
}

esp_err_t esp_crt_bundle_set(const uint8_t *x509_bundle, size_t bundle_size)
{
    (void)x509_bundle;
    (void)bundle_size;
    return no_callback();
}
#endif

bool esp_crt_bundle_in_use(const mbedtls_x509_crt *ca_chain)
{
    return ca_chain != NULL && ca_chain->serial.len == sizeof(crt_bundle_root_serial) &&
           memcmp(ca_chain->serial.p, crt_bundle_root_serial, sizeof(crt_bundle_root_serial)) == 0;
}

#ifdef MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK
/* Appends the trust anchor of entry e to chain; an entry mbedTLS cannot parse is skipped. */
static int add_root(mbedtls_x509_crt *chain, const crt_bundle_entry_t *e)
{
    size_t size = crt_bundle_root_der_size(e);
    uint8_t *der = mbedtls_calloc(1, size);
    if (der == NULL) {
        return MBEDTLS_ERR_X509_ALLOC_FAILED;
    }
    int ret = mbedtls_x509_crt_parse_der(chain, der, crt_bundle_root_der(e, der, size));
    mbedtls_free(der);
    return ret == MBEDTLS_ERR_X509_ALLOC_FAILED ? ret : 0;
}

/* mbedTLS asks, for each certificate of the peer's chain, which trusted roots could have
 * signed it: the bundle entries named as its issuer. */
int esp_crt_bundle_ca_cb(void *ctx, const mbedtls_x509_crt *child, mbedtls_x509_crt **candidates)
{
    crt_bundle_t b = crt_bundle_from_checked(ctx);
    uint32_t first, count;
    *candidates = NULL;
    crt_bundle_find(&b, child->issuer_raw.p, child->issuer_raw.len, &first, &count);
    if (count == 0) {
        return 0;
    }
    mbedtls_x509_crt *chain = mbedtls_calloc(1, sizeof(*chain));
    if (chain == NULL) {
        return MBEDTLS_ERR_X509_ALLOC_FAILED;
    }
    mbedtls_x509_crt_init(chain);
    int ret = 0;
    for (uint32_t i = first; i < first + count && ret == 0; i++) {
        crt_bundle_entry_t e = crt_bundle_entry(&b, i);
        ret = add_root(chain, &e);
    }
    if (ret != 0 || chain->raw.p == NULL) {
        mbedtls_x509_crt_free(chain);
        mbedtls_free(chain);
        return ret;
    }
    *candidates = chain;
    return 0;
}

/* Whether mbedTLS, verifying crt alone against the bundle's roots named as its issuer, trusts it;
 * *more receives the other flags that verification raised (a weak root key, crt's own dates). */
static bool bundle_signed(const uint8_t *bundle, const mbedtls_x509_crt *crt, uint32_t *more)
{
    mbedtls_x509_crt alone;
    mbedtls_x509_crt_init(&alone);
    uint32_t flags = MBEDTLS_X509_BADCERT_NOT_TRUSTED;
    if (mbedtls_x509_crt_parse_der_nocopy(&alone, crt->raw.p, crt->raw.len) == 0) {
        int ret = mbedtls_x509_crt_verify_with_ca_cb(&alone, esp_crt_bundle_ca_cb, (void *)bundle,
                                                     &mbedtls_x509_crt_profile_default, NULL, &flags, NULL, NULL);
        if (ret != 0 && ret != MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
            flags = MBEDTLS_X509_BADCERT_NOT_TRUSTED; /* no memory: not verified */
        }
    }
    mbedtls_x509_crt_free(&alone);
    *more = flags;
    return (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) == 0;
}

/* mbedTLS calls this for each certificate of the path it built, the top first. It flags
 * NOT_TRUSTED a certificate it found no trusted signer for: the top, or one whose signer in the
 * peer's chain did not sign it. While the trusted-certificate callback is in place, mbedTLS has
 * tried the bundle's roots for it already, so this finds none either; after
 * mbedtls_ssl_conf_ca_chain() removed that callback, this is what finds them. A certificate a
 * bundle root signed is trusted wherever it stands; those above it keep their own flags. */
int esp_crt_bundle_verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    (void)depth;
    if ((*flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) == 0) {
        return 0;
    }
    crt_bundle_t b = crt_bundle_from_checked(ctx);
    uint32_t first, count;
    crt_bundle_find(&b, crt->issuer_raw.p, crt->issuer_raw.len, &first, &count);
    if (count == 0) {
        return 0;
    }
    uint32_t more;
    if (!bundle_signed(ctx, crt, &more)) {
        ESP_LOGW(TAG, "a certificate names a CA of the bundle as its issuer, but no key of that name signed it");
        return 0;
    }
    *flags = (*flags & ~(uint32_t)MBEDTLS_X509_BADCERT_NOT_TRUSTED) | more;
    ESP_LOGI(TAG, "Certificate validated");
    return 0;
}
#endif

esp_err_t esp_crt_bundle_attach(void *conf)
{
    if (conf == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
#ifdef MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK
    const uint8_t *bundle = current_bundle();
    if (bundle == NULL) {
        ESP_LOGE(TAG, "no certificate bundle: this build has none built in and the app links none "
                      "(x509_crt_bundle); call esp_crt_bundle_set()");
        return ESP_ERR_INVALID_STATE;
    }
    mbedtls_ssl_conf_ca_cb(conf, esp_crt_bundle_ca_cb, (void *)bundle);
    mbedtls_ssl_conf_verify(conf, esp_crt_bundle_verify_cb, (void *)bundle);
    return ESP_OK;
#else
    return no_callback();
#endif
}

void esp_crt_bundle_detach(mbedtls_ssl_config *conf)
{
#ifdef MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK
    if (conf != NULL) {
        mbedtls_ssl_conf_ca_cb(conf, NULL, NULL);
        mbedtls_ssl_conf_verify(conf, NULL, NULL);
    }
#else
    (void)conf;
#endif
}
