/* A scratch flash image file for the flash fuzz targets. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Maps a new flash of size bytes, erased, with a one-partition table (an app at 0x10000 of
 * app_size bytes) and logging off; the file is deleted at once (the mapping keeps it). Aborts on
 * failure. */
void fuzz_flash_start(size_t size, uint32_t app_size);

/* Erases [offset, offset + len) rounded out to sectors, then writes data there. */
void fuzz_flash_put(uint32_t offset, const uint8_t *data, size_t len);
