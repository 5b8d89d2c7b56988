/* Flash image files with NVS partitions for the nvs_flash tests. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "esp_partition.h"

#define NVS_FIX_MAIN 0x9000  /* "nvs": 6 pages, as ESP-IDF's generator output in tests/data/nvs */
#define NVS_FIX_MAIN_SIZE 0x6000
#define NVS_FIX_SMALL 0xF000 /* "nvs2": 5 pages */
#define NVS_FIX_SMALL_SIZE 0x5000
#define NVS_FIX_RO 0x14000   /* "nvs_ro": 2 pages, read-only */
#define NVS_FIX_ONE 0x16000  /* "one": 1 page */

/* A new flash with those partitions and a factory app, powered on. @return its path */
char *nvs_fixture_start(void);

/* Unmaps and deletes it. */
void nvs_fixture_end(char *path);

/* A whole file's bytes (malloc'd), its size in *len; fails the test if it cannot be read. */
uint8_t *nvs_fixture_file(const char *name, size_t *len);

/* The partition labelled label (data/nvs). */
const esp_partition_t *nvs_fixture_part(const char *label);

/* Writes a 4 KiB page header at offset of the flash (not through NVS): state, seq, version,
 * with the right CRC. */
void nvs_fixture_page_header(const char *path, uint32_t offset, uint32_t state, uint32_t seq, uint8_t version);
