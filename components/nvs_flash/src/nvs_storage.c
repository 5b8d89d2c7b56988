/* One loaded NVS partition: the flash writes, in the order nvs_storage.h gives, finding items,
 * and reclaiming pages. */
#include "nvs_storage.h"

#include <stdlib.h>
#include <string.h>

#include "esp_log.h"

static const char *TAG = "nvs";

const uint8_t *nvs_page_image(const nvs_storage_t *st, size_t page)
{
    return st->img + page * NVS_PAGE_SIZE;
}

static esp_err_t io_done(nvs_storage_t *st, esp_err_t err, size_t offset, size_t len)
{
    esp_err_t rerr = st->own_copy != NULL ? esp_partition_read(st->part, offset, st->own_copy + offset, len) : ESP_OK;
    if (err == ESP_OK && rerr == ESP_OK) {
        return ESP_OK;
    }
    st->failed = true;
    err = err != ESP_OK ? err : rerr;
    ESP_LOGE(TAG, "flash write at 0x%zx of partition %s failed (%s): writes refused until nvs_flash_init()", offset,
             st->label, esp_err_to_name(err));
    return err;
}

esp_err_t nvs_io_write(nvs_storage_t *st, size_t offset, const void *data, size_t len)
{
    if (st->failed) {
        return ESP_ERR_NVS_INVALID_STATE;
    }
    return io_done(st, esp_partition_write(st->part, offset, data, len), offset, len);
}

esp_err_t nvs_io_erase_page(nvs_storage_t *st, size_t page)
{
    if (st->failed) {
        return ESP_ERR_NVS_INVALID_STATE;
    }
    size_t offset = page * NVS_PAGE_SIZE;
    return io_done(st, esp_partition_erase_range(st->part, offset, NVS_PAGE_SIZE), offset, NVS_PAGE_SIZE);
}

static uint32_t word_with_states(uint32_t word, size_t w, size_t first, size_t end, uint8_t state)
{
    size_t lo = first > w * 16 ? first : w * 16;
    size_t hi = end < w * 16 + 16 ? end : w * 16 + 16;
    for (size_t i = lo; i < hi; i++) {
        unsigned shift = (unsigned)(i % 16) * 2;
        word = (word & ~(3u << shift)) | ((uint32_t)state << shift);
    }
    return word;
}

esp_err_t nvs_set_states(nvs_storage_t *st, size_t page, size_t first, size_t count, uint8_t state)
{
    size_t end = first + count;
    size_t table = page * NVS_PAGE_SIZE + NVS_TABLE_OFFSET;
    for (size_t w = (end - 1) / 16 + 1; w-- > first / 16;) {
        uint8_t bytes[4];
        nvs_put_le32(bytes, word_with_states(nvs_le32(st->img + table + w * 4), w, first, end, state));
        esp_err_t err = nvs_io_write(st, table + w * 4, bytes, sizeof(bytes));
        if (err != ESP_OK) {
            return err;
        }
    }
    return ESP_OK;
}

static bool walk_page(nvs_storage_t *st, size_t page, nvs_visit_fn fn, void *ctx)
{
    const uint8_t *img = nvs_page_image(st, page);
    nvs_loc_t loc = { .page = page };
    for (size_t i = 0; i < st->pages[page].next_free;) {
        if (!nvs_item_at(img, NVS_PAGE_SIZE, i, &loc.item)) {
            i++;
            continue;
        }
        loc.index = i;
        if (!fn(st, &loc, ctx)) {
            return false;
        }
        i += loc.item.span;
    }
    return true;
}

void nvs_storage_walk(nvs_storage_t *st, nvs_visit_fn fn, void *ctx)
{
    for (size_t o = 0; o < st->used_count; o++) {
        if (!walk_page(st, st->order[o], fn, ctx)) {
            return;
        }
    }
}

typedef struct {
    uint8_t ns;
    const char *key;
    bool chunk_wanted;
    uint8_t chunk;
    nvs_loc_t *out;
    bool found;
} find_ctx_t;

/* Every match is taken: the walk goes oldest first, so the last one is the value. */
static bool find_visit(nvs_storage_t *st, const nvs_loc_t *loc, void *ctx)
{
    (void)st;
    find_ctx_t *f = ctx;
    bool is_chunk = loc->item.type == NVS_ITEM_BLOB_DATA;
    if (loc->item.ns != f->ns || is_chunk != f->chunk_wanted || strncmp(loc->item.key, f->key, 16) != 0) {
        return true;
    }
    if (!is_chunk || loc->item.chunk == f->chunk) {
        *f->out = *loc;
        f->found = true;
    }
    return true;
}

bool nvs_find_key_item(nvs_storage_t *st, uint8_t ns, const char *key, nvs_loc_t *out)
{
    find_ctx_t f = { .ns = ns, .key = key, .out = out };
    nvs_storage_walk(st, find_visit, &f);
    return f.found;
}

bool nvs_find_chunk(nvs_storage_t *st, uint8_t ns, const char *key, uint8_t chunk, nvs_loc_t *out)
{
    find_ctx_t f = { .ns = ns, .key = key, .chunk_wanted = true, .chunk = chunk, .out = out };
    nvs_storage_walk(st, find_visit, &f);
    return f.found;
}

static esp_err_t set_page_state(nvs_storage_t *st, size_t page, uint32_t state)
{
    uint8_t bytes[4];
    nvs_put_le32(bytes, state);
    esp_err_t err = nvs_io_write(st, page * NVS_PAGE_SIZE, bytes, sizeof(bytes));
    if (err == ESP_OK) {
        st->pages[page].state = state;
    }
    return err;
}

/* The free page after the newest one, round the partition, so that erases spread. */
static size_t pick_free_page(const nvs_storage_t *st)
{
    size_t start = st->used_count > 0 ? st->order[st->used_count - 1] + 1u : 0;
    for (size_t n = 0; n < st->page_count; n++) {
        size_t p = (start + n) % st->page_count;
        uint32_t s = st->pages[p].state;
        if (s == NVS_PAGE_EMPTY || s == NVS_PAGE_CORRUPT) {
            return p;
        }
    }
    return SIZE_MAX;
}

esp_err_t nvs_activate_page(nvs_storage_t *st)
{
    size_t page = pick_free_page(st);
    if (page == SIZE_MAX) {
        return ESP_ERR_NVS_NOT_ENOUGH_SPACE;
    }
    esp_err_t err = ESP_OK;
    if (st->pages[page].state != NVS_PAGE_EMPTY) {
        err = nvs_io_erase_page(st, page);
    }
    uint8_t header[NVS_ENTRY_SIZE];
    nvs_page_header_encode(st->next_seq, header);
    if (err == ESP_OK) {
        err = nvs_io_write(st, page * NVS_PAGE_SIZE, header, sizeof(header));
    }
    if (err != ESP_OK) {
        return err;
    }
    st->pages[page] = (nvs_page_t) { .state = NVS_PAGE_ACTIVE, .seq = st->next_seq++, .next_free = 0 };
    st->order[st->used_count++] = page;
    st->active = (int)page;
    return ESP_OK;
}

/* Writes span entries at the page's next free one, then their states. */
static esp_err_t write_entries(nvs_storage_t *st, size_t page, const uint8_t *raw, size_t span, nvs_loc_t *where)
{
    nvs_page_t *p = &st->pages[page];
    size_t first = p->next_free;
    p->next_free = (uint16_t)(first + span); /* taken even if the write fails: the entries may hold bytes */
    esp_err_t err = nvs_io_write(st, page * NVS_PAGE_SIZE + NVS_DATA_OFFSET + first * NVS_ENTRY_SIZE, raw,
                                 span * NVS_ENTRY_SIZE);
    if (err == ESP_OK) {
        err = nvs_set_states(st, page, first, span, NVS_ENTRY_WRITTEN);
    }
    if (where != NULL) {
        where->page = page;
        where->index = first;
    }
    return err;
}

typedef struct {
    esp_err_t err;
} copy_ctx_t;

static bool copy_visit(nvs_storage_t *st, const nvs_loc_t *loc, void *ctx)
{
    copy_ctx_t *c = ctx;
    const uint8_t *raw = nvs_page_image(st, loc->page) + NVS_DATA_OFFSET + loc->index * NVS_ENTRY_SIZE;
    c->err = write_entries(st, (size_t)st->active, raw, loc->item.span, NULL);
    return c->err == ESP_OK;
}

esp_err_t nvs_copy_items(nvs_storage_t *st, size_t from)
{
    copy_ctx_t c = { ESP_OK };
    walk_page(st, from, copy_visit, &c);
    return c.err;
}

esp_err_t nvs_release_page(nvs_storage_t *st, size_t page)
{
    esp_err_t err = nvs_io_erase_page(st, page);
    if (err != ESP_OK) {
        return err;
    }
    size_t o = 0;
    while (o < st->used_count && st->order[o] != page) {
        o++;
    }
    memmove(&st->order[o], &st->order[o + 1], (st->used_count - o - 1) * sizeof(st->order[0]));
    st->used_count--;
    st->pages[page].state = NVS_PAGE_EMPTY;
    if (st->active == (int)page) {
        st->active = -1;
    }
    return ESP_OK;
}

static size_t unused_entries(const nvs_storage_t *st, size_t page)
{
    size_t unused = 0;
    const uint8_t *img = nvs_page_image(st, page);
    for (size_t i = 0; i < NVS_ENTRY_COUNT; i++) {
        unused += nvs_entry_state(img, i) != NVS_ENTRY_WRITTEN;
    }
    return unused;
}

/* The last free page is spent only here: the page with the most unused entries is copied to it
 * and erased. */
static esp_err_t reclaim(nvs_storage_t *st)
{
    size_t victim = SIZE_MAX;
    size_t most = 0;
    for (size_t o = 0; o < st->used_count; o++) {
        size_t unused = unused_entries(st, st->order[o]);
        if (unused > most) {
            most = unused;
            victim = st->order[o];
        }
    }
    if (victim == SIZE_MAX) {
        return ESP_ERR_NVS_NOT_ENOUGH_SPACE;
    }
    esp_err_t err = set_page_state(st, victim, NVS_PAGE_FREEING);
    if (err == ESP_OK) {
        err = nvs_activate_page(st);
    }
    if (err == ESP_OK) {
        err = nvs_copy_items(st, victim);
    }
    return err == ESP_OK ? nvs_release_page(st, victim) : err;
}

esp_err_t nvs_storage_next_page(nvs_storage_t *st)
{
    if (st->active >= 0) {
        esp_err_t err = set_page_state(st, (size_t)st->active, NVS_PAGE_FULL);
        if (err != ESP_OK) {
            return err;
        }
        st->active = -1;
    }
    return st->page_count - st->used_count >= 2 ? nvs_activate_page(st) : reclaim(st);
}

size_t nvs_storage_tailroom(const nvs_storage_t *st)
{
    if (st->active < 0 || st->pages[st->active].next_free + 1u >= NVS_ENTRY_COUNT) {
        return 0;
    }
    return (NVS_ENTRY_COUNT - st->pages[st->active].next_free - 1u) * NVS_ENTRY_SIZE;
}

static bool fits(const nvs_storage_t *st, size_t span)
{
    return st->active >= 0 && st->pages[st->active].next_free + span <= NVS_ENTRY_COUNT;
}

/* Room for span entries on the active page, starting a new page if needed. */
static esp_err_t make_room(nvs_storage_t *st, size_t span)
{
    if (fits(st, span)) {
        return ESP_OK;
    }
    esp_err_t err = nvs_storage_next_page(st);
    if (err == ESP_OK && !fits(st, span)) {
        err = ESP_ERR_NVS_NOT_ENOUGH_SPACE;
    }
    return err;
}

esp_err_t nvs_storage_write(nvs_storage_t *st, nvs_item_t *item, const uint8_t *var_data, size_t var_len, nvs_loc_t *where)
{
    if (st->failed) {
        return ESP_ERR_NVS_INVALID_STATE;
    }
    size_t span = nvs_type_var_length(item->type) ? nvs_span_for(var_len) : 1;
    item->span = (uint8_t)span;
    esp_err_t err = make_room(st, span);
    if (err != ESP_OK) {
        return err;
    }
    uint8_t *raw = malloc(span * NVS_ENTRY_SIZE);
    if (raw == NULL) {
        return ESP_ERR_NO_MEM;
    }
    memset(raw, 0xFF, span * NVS_ENTRY_SIZE);
    nvs_item_encode(item, var_data, var_len, raw);
    if (var_len > 0) {
        memcpy(raw + NVS_ENTRY_SIZE, var_data, var_len);
    }
    err = write_entries(st, (size_t)st->active, raw, span, where);
    free(raw);
    return err;
}

esp_err_t nvs_storage_erase(nvs_storage_t *st, const nvs_loc_t *loc)
{
    return nvs_set_states(st, loc->page, loc->index, loc->item.span, NVS_ENTRY_ERASED);
}

typedef struct {
    uint8_t ns;
    const char *key;
    unsigned first, count;
    esp_err_t err;
} chunks_ctx_t;

static bool erase_chunk_visit(nvs_storage_t *st, const nvs_loc_t *loc, void *ctx)
{
    chunks_ctx_t *c = ctx;
    const nvs_item_t *it = &loc->item;
    if (it->type != NVS_ITEM_BLOB_DATA || it->ns != c->ns || strncmp(it->key, c->key, 16) != 0
        || it->chunk < c->first || it->chunk >= c->first + c->count) {
        return true;
    }
    c->err = nvs_storage_erase(st, loc);
    return c->err == ESP_OK;
}

esp_err_t nvs_storage_erase_chunks(nvs_storage_t *st, uint8_t ns, const char *key, unsigned first, unsigned count)
{
    chunks_ctx_t c = { ns, key, first, count, ESP_OK };
    nvs_storage_walk(st, erase_chunk_visit, &c);
    return c.err;
}
