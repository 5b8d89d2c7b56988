/*
 * A transport over a byte string, for the fuzz targets: the component under test reads the
 * string as if a server sent it, at most `step` bytes a read, then sees the server close.
 * Writes are handed to on_write (when set) and otherwise dropped.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "esp_transport.h"

typedef struct {
    const uint8_t *data;
    size_t len;
    size_t off;
    size_t step; /* >= 1 */
    void (*on_write)(void *ctx, const char *buf, int len);
    void *ctx;
} fuzz_stream_t;

/* A transport reading s (which must outlive it). @return NULL when out of memory. */
esp_transport_handle_t fuzz_transport_new(fuzz_stream_t *s);
