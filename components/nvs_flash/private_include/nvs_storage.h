/*
 * nvs_storage.h: one NVS partition, loaded. The partition's bytes are mirrored in memory and
 * every flash write or erase is read back into the mirror, so the mirror is the flash even after
 * a failed (power-cut) write. Values are found by walking the pages in sequence order; where a
 * key has two copies (a power cut between writing the new one and erasing the old), the later
 * one is the value, and loading erases the other.
 *
 * Write order, which keeps every committed value through a power cut at any write:
 *  - an item: its entries, then their states WRITTEN from the last word of the state table to
 *    the first, so the header entry's state (one 4-byte write) commits it;
 *  - a new value: the new item, then the old one's states ERASED;
 *  - a blob: its chunks, then its index (the commit), then the old index, then the old chunks;
 *  - reclaiming a page: the victim FREEING, a new page ACTIVE, the victim's items copied, the
 *    victim erased. Loading a partition with a FREEING page erases the ACTIVE page after it and
 *    copies again.
 * Not thread-safe: nvs_api.c holds its lock around every call.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_partition.h"
#include "nvs.h"
#include "nvs_format.h"

typedef struct {
    uint32_t state;     /* NVS_PAGE_*, as loaded or written */
    uint32_t seq;
    uint16_t next_free; /* entries before it are used; NVS_ENTRY_COUNT unless ACTIVE */
} nvs_page_t;

typedef struct nvs_storage {
    char label[NVS_PART_NAME_MAX_SIZE + 1];
    const esp_partition_t *part;
    const uint8_t *img;    /* the partition's bytes: the mapped flash (esp_partition_mmap()), where
                              every write shows at once, else a copy in RAM (own_copy) */
    uint8_t *own_copy;     /* that copy, re-read after each write; NULL when mapped */
    size_t page_count;
    nvs_page_t *pages;
    size_t *order;         /* the pages in use, by sequence number */
    size_t used_count;
    int active;            /* the page new items go to, or -1 */
    uint32_t next_seq;
    bool failed;           /* a flash write failed: writes refused until re-init */
    struct nvs_storage *next;
} nvs_storage_t;

typedef struct {
    size_t page;  /* index into pages[] */
    size_t index; /* first entry */
    nvs_item_t item;
} nvs_loc_t;

/** Returns false to stop the walk. */
typedef bool (*nvs_visit_fn)(nvs_storage_t *st, const nvs_loc_t *loc, void *ctx);

/**
 * Loads the partition (see nvs_flash_init_partition() for the errors).
 * @param[out] out the storage (free it with nvs_storage_free())
 */
esp_err_t nvs_storage_load(const esp_partition_t *part, nvs_storage_t **out);

void nvs_storage_free(nvs_storage_t *st);

/** The page image of pages[page]. */
const uint8_t *nvs_page_image(const nvs_storage_t *st, size_t page);

/** Visits every valid item of the pages in use, oldest first. */
void nvs_storage_walk(nvs_storage_t *st, nvs_visit_fn fn, void *ctx);

/** The newest item of namespace ns and key (not BLOB_DATA); chunk-less. @return found */
bool nvs_find_key_item(nvs_storage_t *st, uint8_t ns, const char *key, nvs_loc_t *out);

/** The newest BLOB_DATA item of ns, key and chunk. @return found */
bool nvs_find_chunk(nvs_storage_t *st, uint8_t ns, const char *key, uint8_t chunk, nvs_loc_t *out);

/**
 * Writes an item (data: 8 bytes for a fixed-size type, var_len bytes for a var-length one) to
 * the active page, reclaiming a page first if it does not fit.
 * @param[out] where the written item's place (may be NULL)
 * @return ESP_OK; ESP_ERR_NVS_NOT_ENOUGH_SPACE; ESP_ERR_NVS_INVALID_STATE (an earlier write
 *         failed); flash errors
 */
esp_err_t nvs_storage_write(nvs_storage_t *st, nvs_item_t *item, const uint8_t *var_data, size_t var_len, nvs_loc_t *where);

/** Marks the item at loc ERASED (its whole span). */
esp_err_t nvs_storage_erase(nvs_storage_t *st, const nvs_loc_t *loc);

/** Data bytes the active page can take in one var-length item (0 if none). */
size_t nvs_storage_tailroom(const nvs_storage_t *st);

/** Marks the active page FULL and makes another page active (reclaiming one if needed). */
esp_err_t nvs_storage_next_page(nvs_storage_t *st);

/* Internal to the component (nvs_storage.c, used by nvs_load.c). */

/** Writes to the partition and reads the range back into the mirror; a failure sets failed. */
esp_err_t nvs_io_write(nvs_storage_t *st, size_t offset, const void *data, size_t len);

/** Erases a page, read back as nvs_io_write() does. */
esp_err_t nvs_io_erase_page(nvs_storage_t *st, size_t page);

/** Sets entries [first, first + count) of a page to state, the last state word first. */
esp_err_t nvs_set_states(nvs_storage_t *st, size_t page, size_t first, size_t count, uint8_t state);

/** Takes a free page (erasing it if it is not blank) and makes it the ACTIVE one. */
esp_err_t nvs_activate_page(nvs_storage_t *st);

/** Copies the whole items of page from to the active page. */
esp_err_t nvs_copy_items(nvs_storage_t *st, size_t from);

/** Erases a page in use and returns it to the free ones. */
esp_err_t nvs_release_page(nvs_storage_t *st, size_t page);

/** Erases every BLOB_DATA of ns and key whose chunk index is in [first, first + count). */
esp_err_t nvs_storage_erase_chunks(nvs_storage_t *st, uint8_t ns, const char *key, unsigned first, unsigned count);
