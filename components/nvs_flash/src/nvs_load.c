/* Loading a partition: the pages, then the repairs a power cut may call for, in this order:
 * half-written entries, an interrupted page reclaim, the free page reclaiming needs, duplicate
 * values, and blobs whose index or chunks are missing. A read-only partition is only read. */
#include <stdlib.h>
#include <string.h>

#include "esp_log.h"
#include "nvs_storage.h"

static const char *TAG = "nvs";

static bool in_use(uint32_t state)
{
    return state == NVS_PAGE_ACTIVE || state == NVS_PAGE_FULL || state == NVS_PAGE_FREEING;
}

/* After the last entry that holds anything: a power cut may leave bytes in entries whose state
 * never became WRITTEN, and NOR flash cannot be written there again. */
static uint16_t active_next_free(const uint8_t *img)
{
    size_t next = NVS_ENTRY_COUNT;
    while (next > 0 && nvs_entry_state(img, next - 1) == NVS_ENTRY_EMPTY && nvs_entry_blank(img, next - 1)) {
        next--;
    }
    return (uint16_t)next;
}

/* qsort has no context argument in C11: the pages to sort by go through this, set under the
 * API's lock. */
static const nvs_page_t *s_sort_pages;

static int by_seq(const void *a, const void *b)
{
    uint32_t sa = s_sort_pages[*(const size_t *)a].seq;
    uint32_t sb = s_sort_pages[*(const size_t *)b].seq;
    return (sa > sb) - (sa < sb);
}

static esp_err_t load_pages(nvs_storage_t *st)
{
    for (size_t i = 0; i < st->page_count; i++) {
        nvs_page_header_t h;
        esp_err_t err = nvs_page_header_parse(nvs_page_image(st, i), NVS_PAGE_SIZE, &h);
        if (err != ESP_OK) {
            ESP_LOGW(TAG, "page %zu of partition %s: %s", i, st->label, esp_err_to_name(err));
            return err;
        }
        bool active = h.state == NVS_PAGE_ACTIVE;
        st->pages[i] = (nvs_page_t) { h.state, h.seq, active ? active_next_free(nvs_page_image(st, i)) : NVS_ENTRY_COUNT };
        if (in_use(h.state)) {
            st->order[st->used_count++] = i;
        }
    }
    s_sort_pages = st->pages;
    qsort(st->order, st->used_count, sizeof(st->order[0]), by_seq);
    if (st->used_count > 0) {
        const nvs_page_t *last = &st->pages[st->order[st->used_count - 1]];
        st->next_seq = last->seq + 1;
        st->active = last->state == NVS_PAGE_ACTIVE ? (int)st->order[st->used_count - 1] : -1;
    }
    return ESP_OK;
}

/* Whether a lone entry (not an item's header) must be marked ERASED: anything but ERASED on the
 * active page, where ESP-IDF would write into an EMPTY one; elsewhere only entries with bytes. */
static bool stray_entry(const uint8_t *img, size_t i, bool active)
{
    uint8_t state = nvs_entry_state(img, i);
    if (state == NVS_ENTRY_ERASED) {
        return false;
    }
    return active || state != NVS_ENTRY_EMPTY || !nvs_entry_blank(img, i);
}

/* Erases what is not a whole item below next_free: entries a cut left EMPTY or half-marked,
 * and items whose span was not all marked (their data entries with them). */
static esp_err_t sweep_page(nvs_storage_t *st, size_t page)
{
    const uint8_t *img = nvs_page_image(st, page);
    bool active = st->pages[page].state == NVS_PAGE_ACTIVE;
    esp_err_t err = ESP_OK;
    for (size_t i = 0; i < st->pages[page].next_free && err == ESP_OK;) {
        nvs_item_t item;
        bool header = nvs_item_header(img, NVS_PAGE_SIZE, i, &item);
        size_t span = header ? item.span : 1;
        if (header && !nvs_span_written(img, i, span)) {
            err = nvs_set_states(st, page, i, span, NVS_ENTRY_ERASED);
        } else if (!header && stray_entry(img, i, active)) {
            err = nvs_set_states(st, page, i, 1, NVS_ENTRY_ERASED);
        }
        i += span;
    }
    return err;
}

static size_t freeing_page(const nvs_storage_t *st)
{
    for (size_t o = 0; o < st->used_count; o++) {
        if (st->pages[st->order[o]].state == NVS_PAGE_FREEING) {
            return st->order[o];
        }
    }
    return SIZE_MAX;
}

/* The page the interrupted copy went to: the active one, if newer than the victim. */
static esp_err_t drop_copy(nvs_storage_t *st, size_t victim)
{
    bool copy_started = st->active >= 0 && st->pages[st->active].seq > st->pages[victim].seq;
    return copy_started ? nvs_release_page(st, (size_t)st->active) : ESP_OK;
}

/* A cut while reclaiming left the victim FREEING: what was copied after it goes, and the copy
 * runs again. */
static esp_err_t finish_reclaim(nvs_storage_t *st)
{
    size_t victim = freeing_page(st);
    if (victim == SIZE_MAX) {
        return ESP_OK;
    }
    ESP_LOGW(TAG, "partition %s: finishing the reclaim of page %zu", st->label, victim);
    esp_err_t err = drop_copy(st, victim);
    if (err == ESP_OK && st->page_count == st->used_count) {
        return ESP_ERR_NVS_NO_FREE_PAGES;
    }
    err = err == ESP_OK ? nvs_activate_page(st) : err;
    err = err == ESP_OK ? nvs_copy_items(st, victim) : err;
    return err == ESP_OK ? nvs_release_page(st, victim) : err;
}

/* ---- duplicates: a cut between writing a value and erasing the old one leaves both ---- */

typedef struct {
    nvs_loc_t loc;
    uint32_t age;   /* position in the walk: larger is newer */
    uint16_t group; /* the chunk index of a BLOB_DATA, 0x100 for every other item */
} record_t;

typedef struct {
    record_t *recs;
    size_t count, cap;
    bool no_mem;
} records_t;

static bool collect_visit(nvs_storage_t *st, const nvs_loc_t *loc, void *ctx)
{
    (void)st;
    records_t *r = ctx;
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        record_t *grown = realloc(r->recs, cap * sizeof(*grown));
        if (grown == NULL) {
            r->no_mem = true;
            return false;
        }
        r->recs = grown;
        r->cap = cap;
    }
    uint16_t group = loc->item.type == NVS_ITEM_BLOB_DATA ? loc->item.chunk : 0x100;
    r->recs[r->count] = (record_t) { *loc, (uint32_t)r->count, group };
    r->count++;
    return true;
}

static int same_value_slot(const record_t *a, const record_t *b)
{
    if (a->loc.item.ns != b->loc.item.ns) {
        return a->loc.item.ns < b->loc.item.ns ? -1 : 1;
    }
    if (a->group != b->group) {
        return a->group < b->group ? -1 : 1;
    }
    return strncmp(a->loc.item.key, b->loc.item.key, 16);
}

static int by_slot_then_age(const void *pa, const void *pb)
{
    const record_t *a = pa;
    const record_t *b = pb;
    int c = same_value_slot(a, b);
    return c != 0 ? c : (a->age > b->age) - (a->age < b->age);
}

static esp_err_t erase_duplicates(nvs_storage_t *st)
{
    records_t r = { 0 };
    nvs_storage_walk(st, collect_visit, &r);
    esp_err_t err = r.no_mem ? ESP_ERR_NO_MEM : ESP_OK;
    if (r.count > 1) {
        qsort(r.recs, r.count, sizeof(r.recs[0]), by_slot_then_age);
    }
    for (size_t i = 0; i + 1 < r.count && err == ESP_OK; i++) {
        if (same_value_slot(&r.recs[i], &r.recs[i + 1]) == 0) {
            ESP_LOGW(TAG, "partition %s: erasing an older copy of key %s", st->label, r.recs[i].loc.item.key);
            err = nvs_storage_erase(st, &r.recs[i].loc);
        }
    }
    free(r.recs);
    return err;
}

/* ---- blobs: an index needs all its chunks, a chunk needs its index ---- */

typedef struct {
    nvs_loc_t loc;
    size_t seen_size;
    unsigned seen_count;
} blob_rec_t;

static bool covers(const blob_rec_t *b, const nvs_item_t *chunk)
{
    unsigned first = nvs_blob_idx_start(&b->loc.item);
    return chunk->ns == b->loc.item.ns && strncmp(chunk->key, b->loc.item.key, 16) == 0 && chunk->chunk >= first
           && chunk->chunk < first + nvs_blob_idx_count(&b->loc.item);
}

typedef struct {
    blob_rec_t *blobs;
    size_t count;
    bool erase_orphans;
    esp_err_t err;
} blobs_t;

static bool index_visit(nvs_storage_t *st, const nvs_loc_t *loc, void *ctx)
{
    (void)st;
    blobs_t *b = ctx;
    if (loc->item.type != NVS_ITEM_BLOB_IDX) {
        return true;
    }
    blob_rec_t *grown = realloc(b->blobs, (b->count + 1) * sizeof(*grown));
    if (grown == NULL) {
        b->err = ESP_ERR_NO_MEM;
        return false;
    }
    b->blobs = grown;
    b->blobs[b->count++] = (blob_rec_t) { *loc, 0, 0 };
    return true;
}

/* Counts each chunk for its index; in the second pass, erases the chunks of no index. */
static bool chunk_visit(nvs_storage_t *st, const nvs_loc_t *loc, void *ctx)
{
    blobs_t *b = ctx;
    if (loc->item.type != NVS_ITEM_BLOB_DATA) {
        return true;
    }
    for (size_t i = 0; i < b->count; i++) {
        if (covers(&b->blobs[i], &loc->item)) {
            b->blobs[i].seen_size += nvs_item_var_size(&loc->item);
            b->blobs[i].seen_count++;
            return true;
        }
    }
    if (b->erase_orphans) {
        b->err = nvs_storage_erase(st, loc);
    }
    return b->err == ESP_OK;
}

/* Indexes whose chunks do not add up go (a chunk lost to corruption); then their chunks. */
static esp_err_t drop_incomplete(nvs_storage_t *st, blobs_t *b)
{
    size_t kept = 0;
    for (size_t i = 0; i < b->count && b->err == ESP_OK; i++) {
        blob_rec_t *r = &b->blobs[i];
        if (r->seen_size == nvs_blob_idx_size(&r->loc.item) && r->seen_count == nvs_blob_idx_count(&r->loc.item)) {
            b->blobs[kept++] = *r;
            continue;
        }
        ESP_LOGW(TAG, "partition %s: blob %s is incomplete, erased", st->label, r->loc.item.key);
        b->err = nvs_storage_erase(st, &r->loc);
    }
    b->count = kept;
    return b->err;
}

static esp_err_t repair_blobs(nvs_storage_t *st)
{
    blobs_t b = { 0 };
    nvs_storage_walk(st, index_visit, &b);
    if (b.err == ESP_OK) {
        nvs_storage_walk(st, chunk_visit, &b);
        drop_incomplete(st, &b);
    }
    if (b.err == ESP_OK) {
        b.erase_orphans = true;
        nvs_storage_walk(st, chunk_visit, &b);
    }
    free(b.blobs);
    return b.err;
}

/* As in ESP-IDF: besides the pages in use (the first one, if none is yet), one free page. */
static bool has_free_page(const nvs_storage_t *st)
{
    size_t needed = st->used_count > 0 ? st->used_count + 1 : 2;
    return st->page_count >= needed;
}

static esp_err_t repair(nvs_storage_t *st)
{
    esp_err_t err = ESP_OK;
    for (size_t o = 0; o < st->used_count && err == ESP_OK; o++) {
        err = sweep_page(st, st->order[o]);
    }
    err = err == ESP_OK ? finish_reclaim(st) : err;
    if (err == ESP_OK && !has_free_page(st)) {
        ESP_LOGW(TAG, "partition %s has no free page: erase it (nvs_flash_erase) and init again", st->label);
        return ESP_ERR_NVS_NO_FREE_PAGES;
    }
    err = err == ESP_OK ? erase_duplicates(st) : err;
    return err == ESP_OK ? repair_blobs(st) : err;
}

void nvs_storage_free(nvs_storage_t *st)
{
    if (st != NULL) {
        free(st->own_copy);
        free(st->pages);
        free(st->order);
        free(st);
    }
}

/*
 * The partition's bytes: read in place from the mapped flash, as ESP-IDF's NVS reads pages from
 * flash rather than keep them in RAM; a partition that cannot be mapped (on another flash chip)
 * is copied. @return false when out of memory or the copy cannot be read.
 */
static bool map_or_copy(nvs_storage_t *st)
{
    size_t size = st->page_count * NVS_PAGE_SIZE;
    const void *mapped = NULL;
    esp_partition_mmap_handle_t handle;
    if (esp_partition_mmap(st->part, 0, size, ESP_PARTITION_MMAP_DATA, &mapped, &handle) == ESP_OK) {
        st->img = mapped;
        return true;
    }
    st->own_copy = malloc(size);
    if (st->own_copy == NULL || esp_partition_read(st->part, 0, st->own_copy, size) != ESP_OK) {
        return false;
    }
    st->img = st->own_copy;
    return true;
}

static nvs_storage_t *storage_alloc(const esp_partition_t *part)
{
    nvs_storage_t *st = calloc(1, sizeof(*st));
    if (st == NULL) {
        return NULL;
    }
    st->part = part;
    st->page_count = part->size / NVS_PAGE_SIZE;
    st->active = -1;
    memcpy(st->label, part->label, sizeof(st->label));
    st->pages = calloc(st->page_count, sizeof(*st->pages));
    st->order = calloc(st->page_count, sizeof(*st->order));
    if (!map_or_copy(st) || st->pages == NULL || st->order == NULL) {
        nvs_storage_free(st);
        return NULL;
    }
    return st;
}

esp_err_t nvs_storage_load(const esp_partition_t *part, nvs_storage_t **out)
{
    if (part->size < NVS_PAGE_SIZE) {
        ESP_LOGE(TAG, "partition %s is smaller than a page", part->label);
        return ESP_ERR_NVS_NO_FREE_PAGES;
    }
    nvs_storage_t *st = storage_alloc(part);
    if (st == NULL) {
        return ESP_ERR_NO_MEM;
    }
    esp_err_t err = load_pages(st);
    if (err == ESP_OK && !part->readonly) {
        err = repair(st);
    }
    if (err != ESP_OK) {
        nvs_storage_free(st);
        return err;
    }
    *out = st;
    return ESP_OK;
}
