/*
 * esp_crt_bundle.h: ESP-IDF's certificate bundle, the trust store a browser has, in a compact
 * form (see components/esp-tls/bundle/crt_bundle_format.h for the bytes).
 *
 * The default bundle is built into the library from the host's Mozilla CA set (Debian's
 * ca-certificates) when it is compiled; `portls bundle build` makes others. Verification finds a
 * root by the issuer of the certificate being checked and builds only that root, so the set is
 * never parsed as a whole; and mbedTLS tries the bundle before the peer's own chain at each step,
 * so a cross-signed chain verifies through whichever path ends in the bundle (but see
 * esp_crt_bundle_attach() for a conf given a CA chain after the attach).
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
 *
 * It installs two callbacks. The bundle is mbedTLS's trusted-certificate callback
 * (mbedtls_ssl_conf_ca_cb()), so mbedTLS builds and checks the whole path itself, through the
 * bundle where a path ends there. It is also a verify callback (mbedtls_ssl_conf_verify(), which
 * replaces one set before), as ESP-IDF's attach installs, that changes nothing while the first is
 * in place. mbedtls_ssl_conf_ca_chain() after the attach removes the first (ESP-IDF's
 * https_mbedtls example sets an empty chain after attaching); the verify callback then takes over
 * as ESP-IDF's does: mbedTLS builds the path from the peer's certificates and the chain given, and
 * flags MBEDTLS_X509_BADCERT_NOT_TRUSTED a certificate for which it found no trusted signer (the
 * top of the path). If the bundle has roots named as that certificate's issuer, mbedTLS verifies
 * the certificate against them (its signature, with the default profile); if one signed it,
 * NOT_TRUSTED is cleared, any flag that check raised is added, and "Certificate validated" is
 * logged. Every other flag stays: an expired certificate, a host name mismatch, a weak hash (which
 * ESP-IDF forgives) still fail. The callback returns no error, so mbedtls_ssl_get_verify_result()
 * gives the flags and a required verification fails with MBEDTLS_ERR_X509_CERT_VERIFY_FAILED
 * (ESP-IDF's callback fails it itself, and the flags are lost). In that mode, as in ESP-IDF, the
 * bundle is asked only about the certificates mbedTLS could not chain: a cross-signed chain whose
 * top is signed by a root outside the bundle fails.
 *
 * A verify callback set after the attach replaces the bundle's, as in ESP-IDF: while the
 * trusted-certificate callback is in place the bundle still verifies and that callback sees the
 * result; after mbedtls_ssl_conf_ca_chain() the bundle no longer applies.
 *
 * The current bundle is the last esp_crt_bundle_set()'s; before one, the app's own if the program
 * links one under the symbols ESP-IDF's build gives the bundle it embeds
 * (_binary_x509_crt_bundle_start and _end: the file x509_crt_bundle embedded as EMBED_FILES does),
 * else the built-in one.
 * @return ESP_OK; ESP_ERR_INVALID_ARG if conf is NULL; ESP_ERR_INVALID_STATE if there is no
 *         bundle (a build without CONFIG_MBEDTLS_CERTIFICATE_BUNDLE, no app bundle and no
 *         esp_crt_bundle_set()) or the app's bundle is damaged (the log says how; the built-in
 *         one does not stand in for it);
 *         ESP_ERR_NOT_SUPPORTED if mbedTLS lacks MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK
 *         (a system mbedTLS such as Debian's; such a build has no built-in bundle).
 */
esp_err_t esp_crt_bundle_attach(void *conf);

/**
 * Stops conf from trusting the bundle: removes its trusted-certificate callback (and with it any CA
 * chain) and its verify callback (whichever is installed, as ESP-IDF's detach). NULL is ignored.
 */
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
