/* The bundle's trust and verify callbacks, visible to the tests and the fuzz target that drive
 * them. Not public. */
#pragma once

#include "mbedtls/x509_crt.h"

#ifdef MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK
/*
 * The mbedTLS trusted-certificate callback esp_crt_bundle_attach() installs. ctx is a bundle that
 * crt_bundle_check() accepted. *candidates receives a chain of the trust anchors of the entries
 * named as child's issuer (each built as a synthetic root and parsed by mbedTLS; one mbedTLS
 * cannot parse is left out), or NULL when there are none; the caller frees it with
 * mbedtls_x509_crt_free() and mbedtls_free(). @return 0, or MBEDTLS_ERR_X509_ALLOC_FAILED.
 */
int esp_crt_bundle_ca_cb(void *ctx, const mbedtls_x509_crt *child, mbedtls_x509_crt **candidates);

/*
 * The mbedTLS verify callback esp_crt_bundle_attach() installs, ctx as above. For a crt that
 * *flags marks MBEDTLS_X509_BADCERT_NOT_TRUSTED and whose issuer names bundle entries, mbedTLS
 * verifies a copy of crt alone against those entries' roots (esp_crt_bundle_ca_cb(), the default
 * profile); if it finds a signer, NOT_TRUSTED is cleared and the flags that verification raised
 * are added. Every other *flags is left as it is. @return 0 always (a failure shows in *flags).
 */
int esp_crt_bundle_verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags);
#endif
