/* libFuzzer target for the bundle parser: whatever the bytes, crt_bundle_check() must not read
 * outside them, and on a bundle it accepts, every entry, lookup and synthetic root must stay in
 * bounds too. */
#include <stdlib.h>

#include "crt_bundle_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const crt_bundle_t *b)
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
        free(der);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
        exercise(&b);
        crt_bundle_t again = crt_bundle_from_checked(copy);
        if (again.size != b.size || again.count != b.count) {
            abort();
        }
    }
    free(copy);
    return 0;
}
