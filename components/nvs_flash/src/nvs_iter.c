/* What a partition holds: the counts of nvs_get_stats() and the key lists iterators walk. */
#include <stdlib.h>
#include <string.h>

#include "nvs_values.h"

bool nvs_namespace_index(const nvs_loc_t *loc, uint8_t *out)
{
    uint8_t index = loc->item.data[0];
    if (loc->item.ns != NVS_NS_INDEX || loc->item.type != NVS_TYPE_U8 || index == 0 || index == NVS_NS_ANY) {
        return false;
    }
    *out = index;
    return true;
}

static size_t written_entries(const nvs_storage_t *st, size_t page)
{
    size_t used = 0;
    for (size_t i = 0; i < NVS_ENTRY_COUNT; i++) {
        used += nvs_entry_state(nvs_page_image(st, page), i) == NVS_ENTRY_WRITTEN;
    }
    return used;
}

static bool count_ns_visit(nvs_storage_t *st, const nvs_loc_t *loc, void *ctx)
{
    (void)st;
    uint8_t index;
    *(size_t *)ctx += nvs_namespace_index(loc, &index);
    return true;
}

void nvs_value_stats(nvs_storage_t *st, nvs_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    out->total_entries = st->page_count * NVS_ENTRY_COUNT;
    for (size_t o = 0; o < st->used_count; o++) {
        out->used_entries += written_entries(st, st->order[o]);
    }
    out->free_entries = out->total_entries - out->used_entries;
    out->available_entries = out->free_entries >= NVS_ENTRY_COUNT ? out->free_entries - NVS_ENTRY_COUNT : 0;
    nvs_storage_walk(st, count_ns_visit, &out->namespace_count);
}

typedef struct {
    uint8_t ns;
    size_t entries;
} ns_count_t;

static bool ns_entries_visit(nvs_storage_t *st, const nvs_loc_t *loc, void *ctx)
{
    (void)st;
    ns_count_t *c = ctx;
    c->entries += loc->item.ns == c->ns ? loc->item.span : 0;
    return true;
}

size_t nvs_value_ns_entries(nvs_storage_t *st, uint8_t ns)
{
    ns_count_t c = { ns, 0 };
    nvs_storage_walk(st, ns_entries_visit, &c);
    return c.entries;
}

typedef struct {
    uint8_t ns;
    nvs_type_t type;
    char names[256][NVS_NS_NAME_MAX_SIZE]; /* namespace names by index */
    nvs_entry_info_t *list;
    size_t count;
    bool no_mem;
} list_ctx_t;

static bool names_visit(nvs_storage_t *st, const nvs_loc_t *loc, void *ctx)
{
    (void)st;
    list_ctx_t *l = ctx;
    uint8_t index;
    if (nvs_namespace_index(loc, &index)) {
        memcpy(l->names[index], loc->item.key, NVS_NS_NAME_MAX_SIZE);
    }
    return true;
}

/* The type a key reports: a blob's index is its blob, its chunks are not keys. */
static nvs_type_t listed_type(uint8_t type)
{
    if (type == NVS_ITEM_BLOB_IDX || type == NVS_ITEM_BLOB_V1) {
        return NVS_TYPE_BLOB;
    }
    return type == NVS_ITEM_BLOB_DATA ? NVS_TYPE_ANY : (nvs_type_t)type;
}

static bool list_visit(nvs_storage_t *st, const nvs_loc_t *loc, void *ctx)
{
    (void)st;
    list_ctx_t *l = ctx;
    nvs_type_t type = listed_type(loc->item.type);
    /* a key of a namespace without a (usable) name cannot be opened: not listed */
    bool named = l->names[loc->item.ns][0] != '\0';
    bool wanted = named && loc->item.ns != NVS_NS_INDEX && (l->ns == NVS_NS_ANY || loc->item.ns == l->ns);
    if (!wanted || type == NVS_TYPE_ANY || (l->type != NVS_TYPE_ANY && type != l->type)) {
        return true;
    }
    nvs_entry_info_t *grown = realloc(l->list, (l->count + 1) * sizeof(*grown));
    if (grown == NULL) {
        l->no_mem = true;
        return false;
    }
    l->list = grown;
    nvs_entry_info_t *e = &l->list[l->count++];
    memcpy(e->namespace_name, l->names[loc->item.ns], sizeof(e->namespace_name));
    memcpy(e->key, loc->item.key, sizeof(e->key));
    e->type = type;
    return true;
}

size_t nvs_value_list(nvs_storage_t *st, uint8_t ns, nvs_type_t type, nvs_entry_info_t **out)
{
    list_ctx_t *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        return SIZE_MAX;
    }
    l->ns = ns;
    l->type = type;
    nvs_storage_walk(st, names_visit, l);
    nvs_storage_walk(st, list_visit, l);
    size_t count = l->no_mem ? SIZE_MAX : l->count;
    *out = l->no_mem ? NULL : l->list;
    if (l->no_mem) {
        free(l->list);
    }
    free(l);
    return count;
}
