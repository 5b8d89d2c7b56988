/* Values: replacing one in the order that survives a power cut, blobs as chunks plus index. */
#include "nvs_values.h"

#include <stdlib.h>
#include <string.h>

#include "spi_flash_mmap.h"

size_t nvs_value_size(const nvs_loc_t *loc)
{
    return loc->item.type == NVS_ITEM_BLOB_IDX ? nvs_blob_idx_size(&loc->item) : nvs_item_var_size(&loc->item);
}

static esp_err_t read_chunks(nvs_storage_t *st, const nvs_item_t *idx, uint8_t *out)
{
    size_t size = nvs_blob_idx_size(idx);
    size_t off = 0;
    for (unsigned n = 0; n < nvs_blob_idx_count(idx); n++) {
        nvs_loc_t c;
        if (!nvs_find_chunk(st, idx->ns, idx->key, (uint8_t)(nvs_blob_idx_start(idx) + n), &c)
            || nvs_item_var_size(&c.item) > size - off
            || !nvs_item_read_data(nvs_page_image(st, c.page), c.index, &c.item, out + off)) {
            return ESP_ERR_NVS_NOT_FOUND;
        }
        off += nvs_item_var_size(&c.item);
    }
    return off == size ? ESP_OK : ESP_ERR_NVS_NOT_FOUND;
}

esp_err_t nvs_value_read(nvs_storage_t *st, const nvs_loc_t *loc, uint8_t *out)
{
    if (loc->item.type == NVS_ITEM_BLOB_IDX) {
        return read_chunks(st, &loc->item, out);
    }
    return nvs_item_read_data(nvs_page_image(st, loc->page), loc->index, &loc->item, out) ? ESP_OK
                                                                                          : ESP_ERR_NVS_NOT_FOUND;
}

esp_err_t nvs_value_erase(nvs_storage_t *st, const nvs_loc_t *loc)
{
    esp_err_t err = nvs_storage_erase(st, loc);
    if (err == ESP_OK && loc->item.type == NVS_ITEM_BLOB_IDX) {
        err = nvs_storage_erase_chunks(st, loc->item.ns, loc->item.key, nvs_blob_idx_start(&loc->item),
                                       nvs_blob_idx_count(&loc->item));
    }
    return err;
}

typedef struct {
    uint8_t ns;
    const char *key; /* NULL: every key of ns */
    nvs_loc_t keep;  /* not erased (page SIZE_MAX: none) */
    esp_err_t err;
} erase_ctx_t;

static bool erase_visit(nvs_storage_t *st, const nvs_loc_t *loc, void *ctx)
{
    erase_ctx_t *e = ctx;
    bool chunk = loc->item.type == NVS_ITEM_BLOB_DATA;
    if (loc->item.ns != e->ns || (e->key != NULL && (chunk || strncmp(loc->item.key, e->key, 16) != 0))) {
        return true;
    }
    if (loc->page == e->keep.page && loc->index == e->keep.index) {
        return true;
    }
    e->err = e->key != NULL ? nvs_value_erase(st, loc) : nvs_storage_erase(st, loc);
    return e->err == ESP_OK;
}

esp_err_t nvs_value_erase_ns(nvs_storage_t *st, uint8_t ns)
{
    erase_ctx_t e = { .ns = ns, .keep = { .page = SIZE_MAX }, .err = ESP_OK };
    nvs_storage_walk(st, erase_visit, &e);
    return e.err;
}

/* After the new item is on flash: the old ones go, wherever a reclaim moved them. */
static esp_err_t erase_older(nvs_storage_t *st, const nvs_item_t *item, const nvs_loc_t *keep)
{
    erase_ctx_t e = { .ns = item->ns, .key = item->key, .keep = *keep, .err = ESP_OK };
    nvs_storage_walk(st, erase_visit, &e);
    return e.err == ESP_ERR_FLASH_OP_FAIL ? ESP_ERR_NVS_REMOVE_FAILED : e.err;
}

static bool holds(nvs_storage_t *st, const nvs_loc_t *old, const nvs_item_t *item, const uint8_t *data, size_t len)
{
    if (old->item.type != item->type) {
        return false;
    }
    if (!nvs_type_var_length(item->type) && item->type != NVS_ITEM_BLOB_IDX) {
        return memcmp(old->item.data, item->data, sizeof(item->data)) == 0;
    }
    if (nvs_value_size(old) != len) {
        return false;
    }
    uint8_t *cur = malloc(len ? len : 1);
    bool same = cur != NULL && nvs_value_read(st, old, cur) == ESP_OK && memcmp(cur, data, len) == 0;
    free(cur);
    return same;
}

esp_err_t nvs_value_set(nvs_storage_t *st, nvs_item_t *item, const uint8_t *var_data, size_t var_len)
{
    nvs_loc_t old;
    if (nvs_find_key_item(st, item->ns, item->key, &old) && holds(st, &old, item, var_data, var_len)) {
        return ESP_OK;
    }
    nvs_loc_t written;
    esp_err_t err = nvs_storage_write(st, item, var_data, var_len, &written);
    return err == ESP_OK ? erase_older(st, item, &written) : err;
}

/* The blob's largest size: a chunk per page but the one kept free, at most 127 chunks. */
static size_t blob_max(const nvs_storage_t *st)
{
    size_t pages = st->page_count - 1;
    return (pages < 127 ? pages : 127) * NVS_CHUNK_MAX;
}

/* Whether to start on a new page: no room, or a first chunk that would be a small piece. */
static bool needs_page(size_t room, unsigned chunks, size_t rest)
{
    return room == 0 || (chunks == 0 && room < rest && room < NVS_CHUNK_MAX / 10);
}

/* Starts a new page for the next chunk. @return ESP_ERR_NVS_NOT_ENOUGH_SPACE if it has no more room */
static esp_err_t chunk_page(nvs_storage_t *st, size_t room)
{
    esp_err_t err = nvs_storage_next_page(st);
    if (err == ESP_OK && nvs_storage_tailroom(st) <= room) {
        err = ESP_ERR_NVS_NOT_ENOUGH_SPACE;
    }
    return err;
}

/* The chunks, each as much as the active page takes (at least one, even for an empty blob). */
static esp_err_t write_chunks(nvs_storage_t *st, nvs_item_t *chunk, const uint8_t *data, size_t len, unsigned *count)
{
    size_t off = 0;
    uint8_t start = chunk->chunk;
    esp_err_t err = ESP_OK;
    for (unsigned n = 0; err == ESP_OK && (n == 0 || off < len); *count = n) {
        size_t room = nvs_storage_tailroom(st);
        if (n >= 127) {
            return ESP_ERR_NVS_NOT_ENOUGH_SPACE;
        }
        if (needs_page(room, n, len - off)) {
            err = chunk_page(st, room);
            continue;
        }
        size_t piece = len - off < room ? len - off : room;
        chunk->chunk = (uint8_t)(start + n++);
        err = nvs_storage_write(st, chunk, data + off, piece, NULL);
        off += piece;
    }
    return err;
}

static esp_err_t write_blob(nvs_storage_t *st, nvs_item_t *item, const uint8_t *data, size_t len, uint8_t start,
                            nvs_loc_t *written)
{
    unsigned count = 0;
    item->type = NVS_ITEM_BLOB_DATA;
    item->chunk = start;
    esp_err_t err = write_chunks(st, item, data, len, &count);
    if (err == ESP_OK) {
        item->type = NVS_ITEM_BLOB_IDX;
        item->chunk = NVS_CHUNK_ANY;
        memset(item->data, 0xFF, sizeof(item->data));
        nvs_put_le32(item->data, (uint32_t)len);
        item->data[4] = (uint8_t)count;
        item->data[5] = start;
        err = nvs_storage_write(st, item, NULL, 0, written);
    }
    if (err != ESP_OK && !st->failed) {
        nvs_storage_erase_chunks(st, item->ns, item->key, start, 127); /* the new version's pieces */
    }
    return err;
}

esp_err_t nvs_value_set_blob(nvs_storage_t *st, uint8_t ns, const char *key, const uint8_t *data, size_t len)
{
    if (len > blob_max(st)) {
        return ESP_ERR_NVS_VALUE_TOO_LONG;
    }
    nvs_item_t item = { .ns = ns, .type = NVS_ITEM_BLOB_IDX };
    strncpy(item.key, key, sizeof(item.key) - 1);
    nvs_loc_t old;
    bool had = nvs_find_key_item(st, ns, key, &old);
    if (had && holds(st, &old, &item, data, len)) {
        return ESP_OK;
    }
    /* the new chunks take the other version's indices, so the old blob stays whole until the new index */
    bool old_v0 = had && old.item.type == NVS_ITEM_BLOB_IDX && nvs_blob_idx_start(&old.item) == NVS_VER_0;
    nvs_loc_t written;
    esp_err_t err = write_blob(st, &item, data, len, old_v0 ? NVS_VER_1 : NVS_VER_0, &written);
    return err == ESP_OK ? erase_older(st, &item, &written) : err;
}
