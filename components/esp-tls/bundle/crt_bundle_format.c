#include <string.h>

#include "crt_bundle_format.h"

#define ENTRY_HEADER 4u /* u16 name_len, u16 key_len */

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

const char *crt_bundle_status_text(crt_bundle_status_t status)
{
    static const char *const text[] = {
        [CRT_BUNDLE_OK] = "valid",
        [CRT_BUNDLE_EMPTY] = "empty or too short",
        [CRT_BUNDLE_BAD_TABLE] = "the offset table is malformed",
        [CRT_BUNDLE_TOO_MANY] = "more certificates than CONFIG_MBEDTLS_CERTIFICATE_BUNDLE_MAX_CERTS",
        [CRT_BUNDLE_BAD_OFFSET] = "an offset does not match the entry before it",
        [CRT_BUNDLE_TRUNCATED] = "an entry runs past the end, or bytes follow the last entry",
        [CRT_BUNDLE_EMPTY_ENTRY] = "an entry has no subject or no key",
        [CRT_BUNDLE_UNSORTED] = "the entries are not sorted by subject",
    };
    return (unsigned)status < sizeof(text) / sizeof(text[0]) ? text[status] : "unknown status";
}

int crt_bundle_name_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    int c = memcmp(a, b, a_len < b_len ? a_len : b_len);
    if (c != 0) {
        return c;
    }
    return a_len < b_len ? -1 : (a_len > b_len ? 1 : 0);
}

/* Checks entry i, which starts at `at`; *end receives where it ends. */
static crt_bundle_status_t check_entry(const uint8_t *data, size_t size, size_t at, size_t *end)
{
    if (at > size || size - at < ENTRY_HEADER) {
        return CRT_BUNDLE_TRUNCATED;
    }
    uint16_t name_len = get_u16(data + at);
    uint16_t key_len = get_u16(data + at + 2);
    if (name_len == 0 || key_len == 0) {
        return CRT_BUNDLE_EMPTY_ENTRY;
    }
    if (size - at - ENTRY_HEADER < (size_t)name_len + key_len) {
        return CRT_BUNDLE_TRUNCATED;
    }
    *end = at + ENTRY_HEADER + name_len + key_len;
    return CRT_BUNDLE_OK;
}

static crt_bundle_status_t check_entries(const uint8_t *data, size_t size, uint32_t count)
{
    size_t end = (size_t)count * 4;
    for (uint32_t i = 0; i < count; i++) {
        if (get_u32(data + (size_t)i * 4) != end) {
            return CRT_BUNDLE_BAD_OFFSET;
        }
        crt_bundle_status_t st = check_entry(data, size, end, &end);
        if (st != CRT_BUNDLE_OK) {
            return st;
        }
    }
    return end == size ? CRT_BUNDLE_OK : CRT_BUNDLE_TRUNCATED;
}

static crt_bundle_status_t check_order(const crt_bundle_t *b)
{
    for (uint32_t i = 1; i < b->count; i++) {
        crt_bundle_entry_t prev = crt_bundle_entry(b, i - 1);
        crt_bundle_entry_t cur = crt_bundle_entry(b, i);
        if (crt_bundle_name_cmp(prev.name, prev.name_len, cur.name, cur.name_len) > 0) {
            return CRT_BUNDLE_UNSORTED;
        }
    }
    return CRT_BUNDLE_OK;
}

crt_bundle_status_t crt_bundle_check(const uint8_t *data, size_t size, uint32_t max_count, crt_bundle_t *out)
{
    if (data == NULL || size < 4) {
        return CRT_BUNDLE_EMPTY;
    }
    uint32_t table = get_u32(data);
    if (table == 0 || table % 4 != 0 || table >= size) {
        return CRT_BUNDLE_BAD_TABLE;
    }
    if (table / 4 > max_count) {
        return CRT_BUNDLE_TOO_MANY;
    }
    crt_bundle_t b = { .data = data, .size = size, .count = table / 4 };
    crt_bundle_status_t st = check_entries(data, size, b.count);
    st = st != CRT_BUNDLE_OK ? st : check_order(&b);
    if (st == CRT_BUNDLE_OK && out != NULL) {
        *out = b;
    }
    return st;
}

crt_bundle_t crt_bundle_from_checked(const uint8_t *data)
{
    crt_bundle_t b = { .data = data, .count = get_u32(data) / 4 };
    const uint8_t *last = data + get_u32(data + (size_t)(b.count - 1) * 4);
    b.size = (size_t)(last - data) + ENTRY_HEADER + get_u16(last) + get_u16(last + 2);
    return b;
}

crt_bundle_entry_t crt_bundle_entry(const crt_bundle_t *b, uint32_t i)
{
    const uint8_t *p = b->data + get_u32(b->data + (size_t)i * 4);
    crt_bundle_entry_t e = { .name_len = get_u16(p), .key_len = get_u16(p + 2) };
    e.name = p + ENTRY_HEADER;
    e.key = e.name + e.name_len;
    return e;
}

static int cmp_entry(const crt_bundle_t *b, uint32_t i, const uint8_t *name, size_t name_len)
{
    crt_bundle_entry_t e = crt_bundle_entry(b, i);
    return crt_bundle_name_cmp(e.name, e.name_len, name, name_len);
}

void crt_bundle_find(const crt_bundle_t *b, const uint8_t *name, size_t name_len, uint32_t *first, uint32_t *count)
{
    uint32_t lo = 0, hi = b->count; /* the first entry not below name is in [lo, hi] */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cmp_entry(b, mid, name, name_len) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    uint32_t n = 0;
    while (lo + n < b->count && cmp_entry(b, lo + n, name, name_len) == 0) {
        n++;
    }
    *first = lo;
    *count = n;
}

/* ---- the synthetic root ---- */

const uint8_t crt_bundle_root_serial[8] = { 0x70, 0x6f, 0x72, 0x74, 0x6c, 0x73, 0x00, 0x01 }; /* "portls" 0 1 */

/* sha256WithRSAEncryption with NULL parameters: any known algorithm parses, and a trust
 * anchor's own signature is never verified. */
static const uint8_t sig_alg[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                                   0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };
/* notBefore 1950-01-01 (UTCTime), notAfter 9999-12-31 (GeneralizedTime). */
static const uint8_t validity[] = { 0x30, 0x20, 0x17, 0x0d, '5', '0', '0', '1', '0', '1', '0', '0', '0', '0', '0', '0',
                                    'Z', 0x18, 0x0f, '9', '9', '9', '9', '1', '2', '3', '1', '2', '3', '5', '9', '5',
                                    '9', 'Z' };
static const uint8_t placeholder_signature[] = { 0x03, 0x02, 0x00, 0x00 };

typedef struct {
    uint8_t *p;
    size_t left;
    bool ok;
} der_out_t;

static void put(der_out_t *o, const void *bytes, size_t len)
{
    if (!o->ok || o->left < len) {
        o->ok = false;
        return;
    }
    memcpy(o->p, bytes, len);
    o->p += len;
    o->left -= len;
}

/* A SEQUENCE header for content_len bytes of content. */
static void put_sequence(der_out_t *o, size_t content_len)
{
    uint8_t h[5] = { 0x30 };
    size_t n = 1;
    if (content_len < 0x80) {
        h[n++] = (uint8_t)content_len;
    } else if (content_len <= 0xff) {
        h[n++] = 0x81;
        h[n++] = (uint8_t)content_len;
    } else if (content_len <= 0xffff) {
        h[n++] = 0x82;
        h[n++] = (uint8_t)(content_len >> 8);
        h[n++] = (uint8_t)content_len;
    } else {
        h[n++] = 0x83;
        h[n++] = (uint8_t)(content_len >> 16);
        h[n++] = (uint8_t)(content_len >> 8);
        h[n++] = (uint8_t)content_len;
    }
    put(o, h, n);
}

static size_t sequence_header_len(size_t content_len)
{
    return content_len < 0x80 ? 2 : content_len <= 0xff ? 3 : content_len <= 0xffff ? 4 : 5;
}

static const uint8_t serial_header[] = { 0x02, sizeof(crt_bundle_root_serial) };

static size_t tbs_size(const crt_bundle_entry_t *e)
{
    return sizeof(serial_header) + sizeof(crt_bundle_root_serial) + sizeof(sig_alg) + e->name_len +
           sizeof(validity) + e->name_len + e->key_len;
}

static size_t cert_content_size(const crt_bundle_entry_t *e)
{
    size_t tbs = tbs_size(e);
    return sequence_header_len(tbs) + tbs + sizeof(sig_alg) + sizeof(placeholder_signature);
}

size_t crt_bundle_root_der_size(const crt_bundle_entry_t *e)
{
    size_t content = cert_content_size(e);
    return sequence_header_len(content) + content;
}

size_t crt_bundle_root_der(const crt_bundle_entry_t *e, uint8_t *out, size_t out_len)
{
    der_out_t o = { .p = out, .left = out_len, .ok = out != NULL };
    put_sequence(&o, cert_content_size(e));
    put_sequence(&o, tbs_size(e));
    put(&o, serial_header, sizeof(serial_header));
    put(&o, crt_bundle_root_serial, sizeof(crt_bundle_root_serial));
    put(&o, sig_alg, sizeof(sig_alg));
    put(&o, e->name, e->name_len); /* issuer: self-issued */
    put(&o, validity, sizeof(validity));
    put(&o, e->name, e->name_len);
    put(&o, e->key, e->key_len);
    put(&o, sig_alg, sizeof(sig_alg));
    put(&o, placeholder_signature, sizeof(placeholder_signature));
    return o.ok ? out_len - o.left : 0;
}
