/* The bundle's trust callback, visible to the fuzz target that drives it. Not public. */
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
#endif
