/*
 * The certificate bundle format of ESP-IDF v5.4 and later, little-endian:
 *
 *   u32 offsets[N]      offsets[0] == 4 * N; offsets[i] is where entry i starts
 *   entry i:            u16 name_len, u16 key_len, subject DER [name_len],
 *                       SubjectPublicKeyInfo DER [key_len]
 *
 * Entries are sorted by subject DER (bytewise; a prefix sorts first), so a root is found by a
 * binary search on a certificate's issuer. This file reads and checks bundles and turns an entry
 * back into a certificate mbedTLS can use as a trust anchor. It uses no library: the fuzz target
 * builds it alone.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    CRT_BUNDLE_OK = 0,
    CRT_BUNDLE_EMPTY,        /* NULL, or too short for one offset */
    CRT_BUNDLE_BAD_TABLE,    /* offsets[0] is 0, not a multiple of 4, or past the end */
    CRT_BUNDLE_TOO_MANY,     /* more entries than allowed */
    CRT_BUNDLE_BAD_OFFSET,   /* an offset does not point where the previous entry ends */
    CRT_BUNDLE_TRUNCATED,    /* an entry runs past the end, or bytes follow the last one */
    CRT_BUNDLE_EMPTY_ENTRY,  /* an entry with no subject or no key */
    CRT_BUNDLE_UNSORTED,     /* entries out of order */
} crt_bundle_status_t;

/* A checked bundle; it points into the caller's bytes. */
typedef struct {
    const uint8_t *data;
    size_t size;
    uint32_t count;
} crt_bundle_t;

typedef struct {
    const uint8_t *name; /* subject DER */
    uint16_t name_len;
    const uint8_t *key;  /* SubjectPublicKeyInfo DER */
    uint16_t key_len;
} crt_bundle_entry_t;

/* Checks every offset, length and the order. out is set only on CRT_BUNDLE_OK. */
crt_bundle_status_t crt_bundle_check(const uint8_t *data, size_t size, uint32_t max_count, crt_bundle_t *out);

/* The view of bytes that crt_bundle_check() accepted before, from the bytes alone. */
crt_bundle_t crt_bundle_from_checked(const uint8_t *data);

/* Plain words for a status. */
const char *crt_bundle_status_text(crt_bundle_status_t status);

/* Entry i (< b->count) of a checked bundle. */
crt_bundle_entry_t crt_bundle_entry(const crt_bundle_t *b, uint32_t i);

/* Bytewise order of two DER names, shorter first on a common prefix: <0, 0 or >0. */
int crt_bundle_name_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);

/* The entries whose subject equals name: *first and *count (0 when there is none). */
void crt_bundle_find(const crt_bundle_t *b, const uint8_t *name, size_t name_len, uint32_t *first, uint32_t *count);

/* The size of the certificate crt_bundle_root_der() makes for e. */
size_t crt_bundle_root_der_size(const crt_bundle_entry_t *e);

/*
 * An X.509 v1 certificate made of the entry's subject (also its issuer) and key, valid
 * 1950-9999, with a fixed serial marking it as ours and a placeholder signature: enough for
 * mbedTLS to use it as a trust anchor, whose own signature is never checked. Returns the length
 * written to out, or 0 if out_len is too small.
 */
size_t crt_bundle_root_der(const crt_bundle_entry_t *e, uint8_t *out, size_t out_len);

/* The serial number crt_bundle_root_der() gives its certificates. */
extern const uint8_t crt_bundle_root_serial[8];
