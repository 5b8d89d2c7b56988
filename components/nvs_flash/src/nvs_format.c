/* The NVS page format: every read checks the page bounds first (a reader with a cursor and
 * an end), since a page comes from a flash image anyone may have written. */
#include "nvs_format.h"

#include <string.h>

#include "esp_rom_crc.h"
#include "nvs.h"

typedef struct {
    const uint8_t *cur;
    const uint8_t *end;
} reader_t;

static bool rd_bytes(reader_t *r, void *out, size_t n)
{
    if ((size_t)(r->end - r->cur) < n) {
        return false;
    }
    memcpy(out, r->cur, n);
    r->cur += n;
    return true;
}

static bool rd_u32(reader_t *r, uint32_t *out)
{
    uint8_t b[4];
    if (!rd_bytes(r, b, sizeof(b))) {
        return false;
    }
    *out = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return true;
}

uint32_t nvs_crc(const void *data, size_t len)
{
    return esp_rom_crc32_le(UINT32_MAX, data, (uint32_t)len);
}

static bool all_ff(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] != 0xFF) {
            return false;
        }
    }
    return true;
}

static bool state_in_use(uint32_t state)
{
    return state == NVS_PAGE_ACTIVE || state == NVS_PAGE_FULL || state == NVS_PAGE_FREEING;
}

/* The header's fields; @return false if the page is shorter than a header */
static bool read_header(reader_t *r, nvs_page_header_t *out, uint32_t *crc)
{
    uint8_t rest[20] = { 0 };
    bool read = rd_u32(r, &out->state) && rd_u32(r, &out->seq);
    read = read && rd_bytes(r, rest, sizeof(rest)) && rd_u32(r, crc);
    out->version = rest[0];
    return read;
}

esp_err_t nvs_page_header_parse(const uint8_t *page, size_t len, nvs_page_header_t *out)
{
    reader_t r = { page, page + len };
    uint32_t crc;
    if (len != NVS_PAGE_SIZE || !read_header(&r, out, &crc)) {
        return ESP_ERR_INVALID_SIZE;
    }
    if (out->state == NVS_PAGE_EMPTY) {
        out->state = all_ff(page, len) ? NVS_PAGE_EMPTY : NVS_PAGE_CORRUPT;
        return ESP_OK;
    }
    if (crc != nvs_crc(page + 4, 24) || !state_in_use(out->state)) {
        out->state = NVS_PAGE_CORRUPT;
        return ESP_OK;
    }
    return out->version < NVS_VERSION ? ESP_ERR_NVS_NEW_VERSION_FOUND : ESP_OK;
}

void nvs_page_header_encode(uint32_t seq, uint8_t out[NVS_ENTRY_SIZE])
{
    memset(out, 0xFF, NVS_ENTRY_SIZE);
    nvs_put_le32(out, NVS_PAGE_ACTIVE);
    nvs_put_le32(out + 4, seq);
    out[8] = NVS_VERSION;
    nvs_put_le32(out + 28, nvs_crc(out + 4, 24));
}

uint8_t nvs_entry_state(const uint8_t *page, size_t index)
{
    uint32_t word = nvs_le32(page + NVS_TABLE_OFFSET + (index / 16) * 4);
    return (uint8_t)((word >> ((index % 16) * 2)) & 3);
}

bool nvs_entry_blank(const uint8_t *page, size_t index)
{
    return all_ff(page + NVS_DATA_OFFSET + index * NVS_ENTRY_SIZE, NVS_ENTRY_SIZE);
}

bool nvs_type_var_length(uint8_t type)
{
    return type == NVS_TYPE_STR || type == NVS_ITEM_BLOB_V1 || type == NVS_ITEM_BLOB_DATA;
}

static bool type_primitive(uint8_t type)
{
    switch (type) {
    case NVS_TYPE_U8: case NVS_TYPE_I8: case NVS_TYPE_U16: case NVS_TYPE_I16:
    case NVS_TYPE_U32: case NVS_TYPE_I32: case NVS_TYPE_U64: case NVS_TYPE_I64:
        return true;
    default:
        return false;
    }
}

size_t nvs_span_for(size_t len)
{
    return 1 + (len + NVS_ENTRY_SIZE - 1) / NVS_ENTRY_SIZE;
}

size_t nvs_item_var_size(const nvs_item_t *item)
{
    return (size_t)item->data[0] | (size_t)item->data[1] << 8;
}

uint32_t nvs_blob_idx_size(const nvs_item_t *item)
{
    return nvs_le32(item->data);
}

uint8_t nvs_blob_idx_count(const nvs_item_t *item)
{
    return item->data[4];
}

uint8_t nvs_blob_idx_start(const nvs_item_t *item)
{
    return item->data[5];
}

static uint32_t item_crc(const uint8_t raw[NVS_ENTRY_SIZE])
{
    uint32_t crc = esp_rom_crc32_le(UINT32_MAX, raw, 4);
    return esp_rom_crc32_le(crc, raw + 8, 24);
}

static bool blob_idx_ok(const nvs_item_t *item)
{
    return item->span == 1 && item->chunk == NVS_CHUNK_ANY && nvs_blob_idx_size(item) <= 127u * NVS_CHUNK_MAX;
}

/* The rules of ESP-IDF's header check: per type, the span and chunk index it allows. */
static bool item_shape_ok(const nvs_item_t *item, size_t index)
{
    if (type_primitive(item->type)) {
        return item->span == 1;
    }
    if (item->type == NVS_ITEM_BLOB_IDX) {
        return blob_idx_ok(item);
    }
    if (!nvs_type_var_length(item->type)) {
        return false;
    }
    bool chunk_ok = item->type != NVS_ITEM_BLOB_DATA || item->chunk != NVS_CHUNK_ANY;
    return chunk_ok && item->span <= NVS_ENTRY_COUNT - index && item->span == nvs_span_for(nvs_item_var_size(item));
}

bool nvs_span_written(const uint8_t *page, size_t index, size_t span)
{
    for (size_t i = index; i < index + span; i++) {
        if (nvs_entry_state(page, i) != NVS_ENTRY_WRITTEN) {
            return false;
        }
    }
    return true;
}

/* An entry's fields; @return false if the page ends inside it */
static bool read_item(reader_t *r, nvs_item_t *out, uint32_t *crc)
{
    uint8_t head[4];
    if (!rd_bytes(r, head, sizeof(head)) || !rd_u32(r, crc)) {
        return false;
    }
    out->ns = head[0];
    out->type = head[1];
    out->span = head[2];
    out->chunk = head[3];
    return rd_bytes(r, out->key, sizeof(out->key)) && rd_bytes(r, out->data, sizeof(out->data));
}

bool nvs_item_header(const uint8_t *page, size_t len, size_t index, nvs_item_t *out)
{
    if (len != NVS_PAGE_SIZE || index >= NVS_ENTRY_COUNT || nvs_entry_state(page, index) != NVS_ENTRY_WRITTEN) {
        return false;
    }
    const uint8_t *raw = page + NVS_DATA_OFFSET + index * NVS_ENTRY_SIZE;
    reader_t r = { raw, page + len };
    uint32_t crc;
    if (!read_item(&r, out, &crc) || crc != item_crc(raw)) {
        return false;
    }
    return out->key[15] == '\0' && item_shape_ok(out, index);
}

bool nvs_item_at(const uint8_t *page, size_t len, size_t index, nvs_item_t *out)
{
    return nvs_item_header(page, len, index, out) && nvs_span_written(page, index, out->span);
}

bool nvs_item_read_data(const uint8_t *page, size_t index, const nvs_item_t *item, uint8_t *out)
{
    size_t size = nvs_item_var_size(item);
    memcpy(out, page + NVS_DATA_OFFSET + (index + 1) * NVS_ENTRY_SIZE, size);
    return nvs_crc(out, size) == nvs_le32(item->data + 4);
}

void nvs_item_encode(nvs_item_t *item, const uint8_t *var_data, size_t var_len, uint8_t raw[NVS_ENTRY_SIZE])
{
    if (nvs_type_var_length(item->type)) {
        memset(item->data, 0xFF, sizeof(item->data));
        item->data[0] = (uint8_t)var_len;
        item->data[1] = (uint8_t)(var_len >> 8);
        nvs_put_le32(item->data + 4, nvs_crc(var_data, var_len));
    }
    raw[0] = item->ns;
    raw[1] = item->type;
    raw[2] = item->span;
    raw[3] = item->chunk;
    memcpy(raw + 8, item->key, sizeof(item->key));
    memcpy(raw + 24, item->data, sizeof(item->data));
    nvs_put_le32(raw + 4, item_crc(raw));
}
