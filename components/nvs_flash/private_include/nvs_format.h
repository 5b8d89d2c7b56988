/*
 * nvs_format.h: ESP-IDF's NVS page format (version 2), parsed from a page image in memory.
 *
 * A page is one 4 KiB flash sector: a 32-byte header (state, sequence number, version, CRC-32 of
 * bytes 4-27), a 32-byte table of 2-bit entry states (entry i at bits 2*(i%16) of word i/16),
 * and 126 entries of 32 bytes. An item is one entry (namespace index, type, span, chunk index,
 * CRC-32, key, 8 data bytes) followed, for strings and blob chunks, by span - 1 entries of data.
 * States only lose bits, as NOR flash writes can: a page goes EMPTY, ACTIVE, FULL, FREEING; an
 * entry EMPTY, WRITTEN, ERASED.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"

#define NVS_PAGE_SIZE 4096
#define NVS_ENTRY_SIZE 32
#define NVS_ENTRY_COUNT 126
#define NVS_TABLE_OFFSET 32
#define NVS_DATA_OFFSET 64
#define NVS_CHUNK_MAX (NVS_ENTRY_SIZE * (NVS_ENTRY_COUNT - 1)) /* 4000 data bytes per item */
#define NVS_VERSION 0xFE   /* version 2; ESP-IDF counts versions down */
#define NVS_VERSION_1 0xFF /* version 1 pages read the same, with single-page blobs */

#define NVS_PAGE_EMPTY 0xFFFFFFFFu
#define NVS_PAGE_ACTIVE 0xFFFFFFFEu
#define NVS_PAGE_FULL 0xFFFFFFFCu
#define NVS_PAGE_FREEING 0xFFFFFFF8u
#define NVS_PAGE_CORRUPT 0xFFFFFFF0u /* also what we call any page we cannot use */

#define NVS_ENTRY_EMPTY 3
#define NVS_ENTRY_WRITTEN 2
#define NVS_ENTRY_ILLEGAL 1
#define NVS_ENTRY_ERASED 0

#define NVS_ITEM_BLOB_V1 0x41  /* a version 1 blob: one item */
#define NVS_ITEM_BLOB_DATA 0x42 /* a chunk of a version 2 blob (NVS_TYPE_BLOB) */
#define NVS_ITEM_BLOB_IDX 0x48  /* a version 2 blob's index */

#define NVS_NS_INDEX 0     /* namespace entries live in namespace 0 */
#define NVS_NS_ANY 0xFF    /* no namespace has this index */
#define NVS_CHUNK_ANY 0xFF /* the chunk index of every item but BLOB_DATA */
#define NVS_VER_0 0x00     /* blob chunk indices start here or at NVS_VER_1, alternating */
#define NVS_VER_1 0x80

typedef struct {
    uint32_t state; /* NVS_PAGE_*; NVS_PAGE_CORRUPT for a bad CRC, a stray state or an EMPTY page that is not blank */
    uint32_t seq;
    uint8_t version;
} nvs_page_header_t;

typedef struct {
    uint8_t ns;
    uint8_t type;
    uint8_t span;
    uint8_t chunk;
    char key[16];    /* NUL-terminated (byte 15 is checked) */
    uint8_t data[8]; /* the value, or: u16 size, u16 0xFFFF, u32 data CRC; or for BLOB_IDX: u32 size, u8 chunk count, u8 chunk start */
} nvs_item_t;

static inline uint32_t nvs_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void nvs_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/** esp_rom_crc32_le(UINT32_MAX, ...): the CRC every NVS field uses. */
uint32_t nvs_crc(const void *data, size_t len);

/**
 * Parses the header of the page at page (len bytes).
 * @return ESP_OK; ESP_ERR_NVS_NEW_VERSION_FOUND (a valid header of a newer version);
 *         ESP_ERR_INVALID_SIZE (len is not a page)
 */
esp_err_t nvs_page_header_parse(const uint8_t *page, size_t len, nvs_page_header_t *out);

/** The 32-byte header of an ACTIVE page with seq. */
void nvs_page_header_encode(uint32_t seq, uint8_t out[NVS_ENTRY_SIZE]);

/** The state of entry index (< NVS_ENTRY_COUNT) of a page image of NVS_PAGE_SIZE bytes. */
uint8_t nvs_entry_state(const uint8_t *page, size_t index);

/** Whether entry index of the page is 32 bytes of 0xFF. */
bool nvs_entry_blank(const uint8_t *page, size_t index);

/**
 * Whether entry index is an item's header: WRITTEN, its CRC right, a known type, a span that
 * fits the page and matches the data size, and a NUL-terminated key (ESP-IDF's header check).
 */
bool nvs_item_header(const uint8_t *page, size_t len, size_t index, nvs_item_t *out);

/**
 * The item whose first entry is index, if it is a whole one: nvs_item_header() and every entry
 * of its span WRITTEN. Var-length data is not read (nvs_item_read_data() checks its CRC).
 */
bool nvs_item_at(const uint8_t *page, size_t len, size_t index, nvs_item_t *out);

/** Whether entries [index, index + span) are all WRITTEN (span must fit the page). */
bool nvs_span_written(const uint8_t *page, size_t index, size_t span);

/** Whether type carries data entries (strings, blob chunks, version 1 blobs). */
bool nvs_type_var_length(uint8_t type);

/** A var-length item's data size (its 16-bit size field). */
size_t nvs_item_var_size(const nvs_item_t *item);

/** A BLOB_IDX item's fields. */
uint32_t nvs_blob_idx_size(const nvs_item_t *item);
uint8_t nvs_blob_idx_count(const nvs_item_t *item);
uint8_t nvs_blob_idx_start(const nvs_item_t *item);

/**
 * Copies the data of the var-length item at index into out (nvs_item_var_size() bytes) and
 * checks it against the item's data CRC. @return false on a mismatch
 */
bool nvs_item_read_data(const uint8_t *page, size_t index, const nvs_item_t *item, uint8_t *out);

/**
 * Encodes item (its key zero-padded, data as given) into raw with the entry CRC; for a
 * var-length type, data[0..8) is set from len and the data's CRC.
 */
void nvs_item_encode(nvs_item_t *item, const uint8_t *var_data, size_t var_len, uint8_t raw[NVS_ENTRY_SIZE]);

/** The number of entries a var-length item of len data bytes takes (header entry included). */
size_t nvs_span_for(size_t len);
