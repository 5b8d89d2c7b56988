/* Making bundles (see crt_bundle_format.h) from PEM and DER certificates, for the build and for
 * `portls bundle`. Uses mbedTLS's X.509 parser. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "mbedtls/x509_crt.h"

/*
 * Appends every certificate of path to chain: a PEM or DER file, or each such file of a
 * directory (others are skipped). @return 0, or -1 if nothing at path parsed.
 */
int crt_bundle_load(mbedtls_x509_crt *chain, const char *path);

/* The name a certificate goes by, for filters and listings: its CN, else its OU, else its O. */
void crt_bundle_cert_name(const mbedtls_x509_crt *crt, char *buf, size_t len);

/*
 * Calls report(crt, ctx) for each certificate of chain that names selects (as in
 * crt_bundle_build()) and that is not a CA: without basicConstraints CA:TRUE. Such an entry
 * would still be a trust anchor, and an unconstrained one: an entry keeps only the subject and
 * the key, so whatever that key signs would be trusted, for any name. report may be NULL.
 * @return how many there are.
 */
size_t crt_bundle_find_non_ca(const mbedtls_x509_crt *chain, const char *const *names,
                              void (*report)(const mbedtls_x509_crt *crt, void *ctx), void *ctx);

/*
 * A bundle of the certificates in chain whose name is in names (NULL-terminated, compared
 * without case; NULL takes every certificate), sorted, each subject-and-key pair once.
 * @param out     receives a malloc'd bundle, or NULL on failure
 * @param count   receives the number of entries
 * @return 0, or -1 with *error set: no certificate selected, more than max_count, or no memory.
 */
int crt_bundle_build(const mbedtls_x509_crt *chain, const char *const *names, uint32_t max_count, uint8_t **out,
                     size_t *out_len, uint32_t *count, const char **error);
