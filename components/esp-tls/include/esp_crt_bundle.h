/*
 * esp_crt_bundle.h: ESP-IDF's certificate bundle, the trust store a browser has, in a compact
 * form (see components/esp-tls/bundle/crt_bundle_format.h for the bytes).
 *
 * The default bundle is built into the library from the host's Mozilla CA set (Debian's
 * ca-certificates) when it is compiled; `portls bundle build` makes others. Verification finds a
 * root by the issuer of the certificate being checked and builds only that root, so the set is
 * never parsed as a whole; and mbedTLS tries the bundle before the peer's own chain at each step,
 * so a cross-signed chain verifies through whichever path ends in the bundle.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Makes conf (an mbedtls_ssl_config *) trust the current bundle. Usually passed as
 * esp_tls_cfg_t.crt_bundle_attach. The conf keeps a pointer to the bundle's bytes.
 * @return ESP_OK; ESP_ERR_INVALID_ARG if conf is NULL; ESP_ERR_INVALID_STATE if there is no
 *         bundle (a build without CONFIG_MBEDTLS_CERTIFICATE_BUNDLE and no esp_crt_bundle_set());
 *         ESP_ERR_NOT_SUPPORTED if mbedTLS lacks MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK
 *         (a system mbedTLS such as Debian's; such a build has no built-in bundle).
 */
esp_err_t esp_crt_bundle_attach(void *conf);

/** Stops conf from trusting the bundle. NULL is ignored. */
void esp_crt_bundle_detach(mbedtls_ssl_config *conf);

/**
 * Replaces the bundle used by later attaches. The bytes are checked (offsets, lengths, order,
 * at most CONFIG_MBEDTLS_CERTIFICATE_BUNDLE_MAX_CERTS entries) and not copied: they must stay
 * valid and unchanged as long as a connection may use them.
 * @return ESP_OK; ESP_ERR_INVALID_ARG for NULL or a malformed bundle (the log says how);
 *         ESP_ERR_NOT_SUPPORTED if mbedTLS lacks MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK.
 */
esp_err_t esp_crt_bundle_set(const uint8_t *x509_bundle, size_t bundle_size);

/**
 * Whether ca_chain is a trust anchor that came from a bundle during verification. (In ESP-IDF it
 * tests for the placeholder chain its attach installs; portls installs none.)
 */
bool esp_crt_bundle_in_use(const mbedtls_x509_crt *ca_chain);

#ifdef __cplusplus
}
#endif
