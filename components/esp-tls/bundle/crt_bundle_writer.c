#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "mbedtls/oid.h"

#include "crt_bundle_format.h"
#include "crt_bundle_writer.h"

typedef struct {
    const uint8_t *name;
    size_t name_len;
    const uint8_t *key;
    size_t key_len;
} pending_entry_t;

int crt_bundle_load(mbedtls_x509_crt *chain, const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        return -1;
    }
    int ret = S_ISDIR(sb.st_mode) ? mbedtls_x509_crt_parse_path(chain, path) : mbedtls_x509_crt_parse_file(chain, path);
    return ret < 0 ? -1 : 0;
}

static const mbedtls_x509_name *find_attr(const mbedtls_x509_name *n, const char *oid, size_t oid_len)
{
    for (; n != NULL; n = n->next) {
        if (n->oid.len == oid_len && memcmp(n->oid.p, oid, oid_len) == 0) {
            return n;
        }
    }
    return NULL;
}

void crt_bundle_cert_name(const mbedtls_x509_crt *crt, char *buf, size_t len)
{
    const mbedtls_x509_name *n = find_attr(&crt->subject, MBEDTLS_OID_AT_CN, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_CN));
    n = n ? n : find_attr(&crt->subject, MBEDTLS_OID_AT_ORG_UNIT, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_ORG_UNIT));
    n = n ? n : find_attr(&crt->subject, MBEDTLS_OID_AT_ORGANIZATION, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_ORGANIZATION));
    snprintf(buf, len, "%.*s", n ? (int)n->val.len : 0, n ? (const char *)n->val.p : "");
}

static bool selected(const mbedtls_x509_crt *crt, const char *const *names)
{
    if (names == NULL) {
        return true;
    }
    char name[256];
    crt_bundle_cert_name(crt, name, sizeof(name));
    for (; *names != NULL; names++) {
        if (strcasecmp(*names, name) == 0) {
            return true;
        }
    }
    return false;
}

size_t crt_bundle_find_non_ca(const mbedtls_x509_crt *chain, const char *const *names,
                              void (*report)(const mbedtls_x509_crt *crt, void *ctx), void *ctx)
{
    size_t n = 0;
    for (const mbedtls_x509_crt *c = chain; c != NULL && c->raw.p != NULL; c = c->next) {
        if (selected(c, names) && mbedtls_x509_crt_get_ca_istrue(c) != 1) {
            n++;
            if (report != NULL) {
                report(c, ctx);
            }
        }
    }
    return n;
}

static int entry_cmp(const void *a, const void *b)
{
    const pending_entry_t *x = a, *y = b;
    int c = crt_bundle_name_cmp(x->name, x->name_len, y->name, y->name_len);
    return c != 0 ? c : crt_bundle_name_cmp(x->key, x->key_len, y->key, y->key_len);
}

/* The selected certificates as entries, sorted, duplicates dropped. @return the count. */
static size_t collect(const mbedtls_x509_crt *chain, const char *const *names, pending_entry_t *entries)
{
    size_t n = 0;
    for (const mbedtls_x509_crt *c = chain; c != NULL && c->raw.p != NULL; c = c->next) {
        if (selected(c, names) && c->subject_raw.len <= UINT16_MAX && c->pk_raw.len <= UINT16_MAX) {
            entries[n++] = (pending_entry_t){ c->subject_raw.p, c->subject_raw.len, c->pk_raw.p, c->pk_raw.len };
        }
    }
    qsort(entries, n, sizeof(*entries), entry_cmp);
    size_t unique = 0;
    for (size_t i = 0; i < n; i++) {
        if (unique == 0 || entry_cmp(&entries[unique - 1], &entries[i]) != 0) {
            entries[unique++] = entries[i];
        }
    }
    return unique;
}

static void put_le(uint8_t *p, uint32_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint8_t *serialize(const pending_entry_t *entries, size_t n, size_t *out_len)
{
    size_t size = 4 * n;
    for (size_t i = 0; i < n; i++) {
        size += 4 + entries[i].name_len + entries[i].key_len;
    }
    uint8_t *out = malloc(size);
    if (out == NULL) {
        return NULL;
    }
    size_t at = 4 * n;
    for (size_t i = 0; i < n; i++) {
        put_le(out + 4 * i, (uint32_t)at, 4);
        put_le(out + at, (uint32_t)entries[i].name_len, 2);
        put_le(out + at + 2, (uint32_t)entries[i].key_len, 2);
        memcpy(out + at + 4, entries[i].name, entries[i].name_len);
        memcpy(out + at + 4 + entries[i].name_len, entries[i].key, entries[i].key_len);
        at += 4 + entries[i].name_len + entries[i].key_len;
    }
    *out_len = size;
    return out;
}

int crt_bundle_build(const mbedtls_x509_crt *chain, const char *const *names, uint32_t max_count, uint8_t **out,
                     size_t *out_len, uint32_t *count, const char **error)
{
    size_t total = 0;
    for (const mbedtls_x509_crt *c = chain; c != NULL; c = c->next) {
        total++;
    }
    pending_entry_t *entries = calloc(total ? total : 1, sizeof(*entries));
    *out = NULL;
    *error = entries ? NULL : "out of memory";
    size_t n = entries ? collect(chain, names, entries) : 0;
    if (entries != NULL && n == 0) {
        *error = "no certificate selected";
    } else if (n > max_count) {
        *error = "more certificates than the maximum";
    } else if (entries != NULL) {
        *out = serialize(entries, n, out_len);
        *error = *out ? NULL : "out of memory";
    }
    free(entries);
    *count = (uint32_t)n;
    return *error ? -1 : 0;
}
