/* The C API of nvs.h and nvs_flash.h: partitions by label, handles, argument checks, one lock. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "esp_log.h"
#include "nvs_flash.h"
#include "nvs_values.h"

typedef struct {
    nvs_handle_t id;
    nvs_storage_t *st;
    uint8_t ns;
    bool readonly;
} handle_t;

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static nvs_storage_t *s_storages;
static handle_t *s_handles;
static size_t s_handle_count;
static nvs_handle_t s_last_handle;

static nvs_storage_t *storage_named(const char *label)
{
    nvs_storage_t *st = s_storages;
    while (st != NULL && strcmp(st->label, label) != 0) {
        st = st->next;
    }
    return st;
}

static esp_err_t init_partition(const char *label)
{
    if (label == NULL || strlen(label) > NVS_PART_NAME_MAX_SIZE) {
        return ESP_ERR_INVALID_ARG;
    }
    if (storage_named(label) != NULL) {
        return ESP_OK;
    }
    const esp_partition_t *part = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_DATA_NVS, label);
    if (part == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    nvs_storage_t *st;
    esp_err_t err = nvs_storage_load(part, &st);
    if (err == ESP_OK) {
        st->next = s_storages;
        s_storages = st;
    }
    return err;
}

esp_err_t nvs_flash_init_partition(const char *partition_label)
{
    pthread_mutex_lock(&s_lock);
    esp_err_t err = init_partition(partition_label);
    pthread_mutex_unlock(&s_lock);
    return err;
}

esp_err_t nvs_flash_init_partition_ptr(const esp_partition_t *partition)
{
    return partition == NULL ? ESP_ERR_INVALID_ARG : nvs_flash_init_partition(partition->label);
}

esp_err_t nvs_flash_init(void)
{
    return nvs_flash_init_partition(NVS_DEFAULT_PART_NAME);
}

static esp_err_t deinit_partition(const char *label)
{
    nvs_storage_t **link = &s_storages;
    while (*link != NULL && (label == NULL || strcmp((*link)->label, label) != 0)) {
        link = &(*link)->next;
    }
    nvs_storage_t *st = *link;
    if (st == NULL) {
        return ESP_ERR_NVS_NOT_INITIALIZED;
    }
    size_t kept = 0;
    for (size_t i = 0; i < s_handle_count; i++) {
        if (s_handles[i].st != st) {
            s_handles[kept++] = s_handles[i];
        }
    }
    s_handle_count = kept;
    *link = st->next;
    nvs_storage_free(st);
    return ESP_OK;
}

esp_err_t nvs_flash_deinit_partition(const char *partition_name)
{
    if (partition_name == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    pthread_mutex_lock(&s_lock);
    esp_err_t err = deinit_partition(partition_name);
    pthread_mutex_unlock(&s_lock);
    return err;
}

esp_err_t nvs_flash_deinit(void)
{
    return nvs_flash_deinit_partition(NVS_DEFAULT_PART_NAME);
}

esp_err_t nvs_flash_erase_partition(const char *part_name)
{
    if (part_name == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    pthread_mutex_lock(&s_lock);
    deinit_partition(part_name);
    const esp_partition_t *part = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_DATA_NVS, part_name);
    esp_err_t err = part == NULL ? ESP_ERR_NOT_FOUND : esp_partition_erase_range(part, 0, part->size);
    pthread_mutex_unlock(&s_lock);
    return err;
}

esp_err_t nvs_flash_erase_partition_ptr(const esp_partition_t *partition)
{
    return partition == NULL ? ESP_ERR_INVALID_ARG : nvs_flash_erase_partition(partition->label);
}

esp_err_t nvs_flash_erase(void)
{
    return nvs_flash_erase_partition(NVS_DEFAULT_PART_NAME);
}

/* ---- names ---- */

static esp_err_t check_name(const char *name)
{
    if (name == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (name[0] == '\0') {
        return ESP_ERR_NVS_INVALID_NAME;
    }
    return strlen(name) >= NVS_KEY_NAME_MAX_SIZE ? ESP_ERR_NVS_KEY_TOO_LONG : ESP_OK;
}

static nvs_item_t item_for(uint8_t ns, uint8_t type, const char *key)
{
    nvs_item_t item = { .ns = ns, .type = type, .span = 1, .chunk = NVS_CHUNK_ANY };
    strncpy(item.key, key, sizeof(item.key) - 1);
    memset(item.data, 0xFF, sizeof(item.data));
    return item;
}

/* Indices in use: those of namespace entries, and those of keys left without one (a new
 * namespace must not adopt them). */
static bool used_ns_visit(nvs_storage_t *st, const nvs_loc_t *loc, void *ctx)
{
    (void)st;
    bool *used = ctx;
    uint8_t index;
    if (nvs_namespace_index(loc, &index)) {
        used[index] = true;
    }
    used[loc->item.ns] = true;
    return true;
}

static esp_err_t open_namespace(nvs_storage_t *st, const char *name, bool create, uint8_t *out)
{
    nvs_loc_t loc;
    if (nvs_find_key_item(st, NVS_NS_INDEX, name, &loc) && nvs_namespace_index(&loc, out)) {
        return ESP_OK;
    }
    if (!create) {
        return ESP_ERR_NVS_NOT_FOUND;
    }
    bool used[256] = { false };
    nvs_storage_walk(st, used_ns_visit, used);
    unsigned index = 1;
    while (index < 0xFF && used[index]) {
        index++;
    }
    if (index == 0xFF) {
        return ESP_ERR_NVS_NOT_ENOUGH_SPACE;
    }
    nvs_item_t item = item_for(NVS_NS_INDEX, NVS_TYPE_U8, name);
    item.data[0] = (uint8_t)index;
    *out = (uint8_t)index;
    return nvs_value_set(st, &item, NULL, 0);
}

/* ---- handles ---- */

static esp_err_t add_handle(nvs_storage_t *st, uint8_t ns, bool readonly, nvs_handle_t *out)
{
    handle_t *grown = realloc(s_handles, (s_handle_count + 1) * sizeof(*grown));
    if (grown == NULL) {
        return ESP_ERR_NO_MEM;
    }
    s_handles = grown;
    s_last_handle = s_last_handle == UINT32_MAX ? 1 : s_last_handle + 1;
    s_handles[s_handle_count++] = (handle_t) { s_last_handle, st, ns, readonly };
    *out = s_last_handle;
    return ESP_OK;
}

/* The partition a handle of mode may be opened on. */
static esp_err_t partition_for(const char *part_name, nvs_open_mode_t mode, nvs_storage_t **out)
{
    *out = storage_named(part_name);
    if (*out == NULL) {
        return s_storages == NULL ? ESP_ERR_NVS_NOT_INITIALIZED : ESP_ERR_NVS_PART_NOT_FOUND;
    }
    return mode == NVS_READWRITE && (*out)->part->readonly ? ESP_ERR_NOT_ALLOWED : ESP_OK;
}

static esp_err_t open_locked(const char *part_name, const char *name, nvs_open_mode_t mode, nvs_handle_t *out)
{
    if (part_name == NULL || out == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    nvs_storage_t *st;
    uint8_t ns = 0;
    esp_err_t err = check_name(name);
    err = err == ESP_OK ? partition_for(part_name, mode, &st) : err;
    err = err == ESP_OK ? open_namespace(st, name, mode == NVS_READWRITE, &ns) : err;
    return err == ESP_OK ? add_handle(st, ns, mode == NVS_READONLY, out) : err;
}

esp_err_t nvs_open_from_partition(const char *part_name, const char *namespace_name, nvs_open_mode_t open_mode,
                                  nvs_handle_t *out_handle)
{
    pthread_mutex_lock(&s_lock);
    esp_err_t err = open_locked(part_name, namespace_name, open_mode, out_handle);
    pthread_mutex_unlock(&s_lock);
    return err;
}

esp_err_t nvs_open(const char *namespace_name, nvs_open_mode_t open_mode, nvs_handle_t *out_handle)
{
    return nvs_open_from_partition(NVS_DEFAULT_PART_NAME, namespace_name, open_mode, out_handle);
}

static handle_t *handle_of(nvs_handle_t id)
{
    for (size_t i = 0; i < s_handle_count; i++) {
        if (s_handles[i].id == id) {
            return &s_handles[i];
        }
    }
    return NULL;
}

void nvs_close(nvs_handle_t handle)
{
    pthread_mutex_lock(&s_lock);
    handle_t *h = handle_of(handle);
    if (h != NULL) {
        *h = s_handles[--s_handle_count];
    }
    pthread_mutex_unlock(&s_lock);
}

/* The handle of a call; write calls also need a writable, healthy partition. */
static esp_err_t lookup(nvs_handle_t id, bool write, handle_t **out)
{
    handle_t *h = handle_of(id);
    if (h == NULL) {
        return ESP_ERR_NVS_INVALID_HANDLE;
    }
    if (write && h->readonly) {
        return ESP_ERR_NVS_READ_ONLY;
    }
    if (write && h->st->failed) {
        return ESP_ERR_NVS_INVALID_STATE;
    }
    *out = h;
    return ESP_OK;
}

/* lookup() and the key. */
static esp_err_t lookup_key(nvs_handle_t id, const char *key, bool write, handle_t **out)
{
    esp_err_t err = lookup(id, write, out);
    return err == ESP_OK ? check_name(key) : err;
}

esp_err_t nvs_commit(nvs_handle_t handle)
{
    pthread_mutex_lock(&s_lock);
    esp_err_t err = handle_of(handle) != NULL ? ESP_OK : ESP_ERR_NVS_INVALID_HANDLE;
    pthread_mutex_unlock(&s_lock);
    return err;
}

/* ---- values ---- */

static esp_err_t set_fixed(nvs_handle_t handle, const char *key, uint8_t type, uint64_t bits)
{
    pthread_mutex_lock(&s_lock);
    handle_t *h;
    esp_err_t err = lookup_key(handle, key, true, &h);
    if (err == ESP_OK) {
        nvs_item_t item = item_for(h->ns, type, key);
        for (unsigned i = 0; i < (type & 0x0Fu); i++) {
            item.data[i] = (uint8_t)(bits >> (8 * i));
        }
        err = nvs_value_set(h->st, &item, NULL, 0);
    }
    pthread_mutex_unlock(&s_lock);
    return err;
}

/* The key's value of a fixed-size type, as its little-endian bits. */
static esp_err_t get_fixed(nvs_handle_t handle, const char *key, uint8_t type, const void *out, uint64_t *bits)
{
    pthread_mutex_lock(&s_lock);
    handle_t *h;
    nvs_loc_t loc;
    esp_err_t err = out == NULL ? ESP_ERR_INVALID_ARG : lookup_key(handle, key, false, &h);
    if (err == ESP_OK && !nvs_find_key_item(h->st, h->ns, key, &loc)) {
        err = ESP_ERR_NVS_NOT_FOUND;
    }
    if (err == ESP_OK && loc.item.type != type) {
        err = ESP_ERR_NVS_TYPE_MISMATCH;
    }
    for (unsigned i = 0; err == ESP_OK && i < (type & 0x0Fu); i++) {
        *bits |= (uint64_t)loc.item.data[i] << (8 * i);
    }
    pthread_mutex_unlock(&s_lock);
    return err;
}

#define NVS_FIXED(suffix, ctype, code)                                                    \
    esp_err_t nvs_set_##suffix(nvs_handle_t handle, const char *key, ctype value)          \
    {                                                                                     \
        return set_fixed(handle, key, code, (uint64_t)value);                             \
    }                                                                                     \
    esp_err_t nvs_get_##suffix(nvs_handle_t handle, const char *key, ctype *out_value)     \
    {                                                                                     \
        uint64_t bits = 0;                                                                \
        esp_err_t err = get_fixed(handle, key, code, out_value, &bits);                   \
        if (err == ESP_OK) {                                                              \
            *out_value = (ctype)bits;                                                     \
        }                                                                                 \
        return err;                                                                       \
    }

NVS_FIXED(i8, int8_t, NVS_TYPE_I8)
NVS_FIXED(u8, uint8_t, NVS_TYPE_U8)
NVS_FIXED(i16, int16_t, NVS_TYPE_I16)
NVS_FIXED(u16, uint16_t, NVS_TYPE_U16)
NVS_FIXED(i32, int32_t, NVS_TYPE_I32)
NVS_FIXED(u32, uint32_t, NVS_TYPE_U32)
NVS_FIXED(i64, int64_t, NVS_TYPE_I64)
NVS_FIXED(u64, uint64_t, NVS_TYPE_U64)

esp_err_t nvs_set_str(nvs_handle_t handle, const char *key, const char *value)
{
    pthread_mutex_lock(&s_lock);
    handle_t *h;
    esp_err_t err = value == NULL ? ESP_ERR_INVALID_ARG : lookup_key(handle, key, true, &h);
    size_t len = err == ESP_OK ? strlen(value) + 1 : 0;
    if (err == ESP_OK && len > NVS_CHUNK_MAX) {
        err = ESP_ERR_NVS_VALUE_TOO_LONG;
    }
    if (err == ESP_OK) {
        nvs_item_t item = item_for(h->ns, NVS_TYPE_STR, key);
        err = nvs_value_set(h->st, &item, (const uint8_t *)value, len);
    }
    pthread_mutex_unlock(&s_lock);
    return err;
}

esp_err_t nvs_set_blob(nvs_handle_t handle, const char *key, const void *value, size_t length)
{
    pthread_mutex_lock(&s_lock);
    handle_t *h;
    esp_err_t err = value == NULL && length > 0 ? ESP_ERR_INVALID_ARG : lookup_key(handle, key, true, &h);
    if (err == ESP_OK) {
        err = nvs_value_set_blob(h->st, h->ns, key, value, length);
    }
    pthread_mutex_unlock(&s_lock);
    return err;
}

/* The key's item, of type wanted (a blob also as a version 1 blob). */
static esp_err_t find_typed(handle_t *h, const char *key, uint8_t wanted, nvs_loc_t *loc)
{
    if (!nvs_find_key_item(h->st, h->ns, key, loc)) {
        return ESP_ERR_NVS_NOT_FOUND;
    }
    bool blob_v1 = wanted == NVS_ITEM_BLOB_IDX && loc->item.type == NVS_ITEM_BLOB_V1;
    return loc->item.type == wanted || blob_v1 ? ESP_OK : ESP_ERR_NVS_TYPE_MISMATCH;
}

/* nvs_get_str() and nvs_get_blob(): a length query with out NULL, as ESP-IDF answers it. */
static esp_err_t get_var(nvs_handle_t handle, const char *key, uint8_t type, void *out, size_t *length)
{
    handle_t *h;
    nvs_loc_t loc;
    esp_err_t err = lookup_key(handle, key, false, &h);
    err = err == ESP_OK ? find_typed(h, key, type, &loc) : err;
    if (err != ESP_OK || length == NULL) {
        return err != ESP_OK ? err : ESP_ERR_NVS_INVALID_LENGTH;
    }
    size_t size = nvs_value_size(&loc);
    bool too_small = out != NULL && *length < size;
    *length = size;
    if (too_small) {
        return ESP_ERR_NVS_INVALID_LENGTH;
    }
    return out == NULL ? ESP_OK : nvs_value_read(h->st, &loc, out);
}

esp_err_t nvs_get_str(nvs_handle_t handle, const char *key, char *out_value, size_t *length)
{
    pthread_mutex_lock(&s_lock);
    esp_err_t err = get_var(handle, key, NVS_TYPE_STR, out_value, length);
    pthread_mutex_unlock(&s_lock);
    return err;
}

esp_err_t nvs_get_blob(nvs_handle_t handle, const char *key, void *out_value, size_t *length)
{
    pthread_mutex_lock(&s_lock);
    esp_err_t err = get_var(handle, key, NVS_ITEM_BLOB_IDX, out_value, length);
    pthread_mutex_unlock(&s_lock);
    return err;
}

esp_err_t nvs_find_key(nvs_handle_t handle, const char *key, nvs_type_t *out_type)
{
    pthread_mutex_lock(&s_lock);
    handle_t *h;
    nvs_loc_t loc;
    esp_err_t err = lookup_key(handle, key, false, &h);
    if (err == ESP_OK && !nvs_find_key_item(h->st, h->ns, key, &loc)) {
        err = ESP_ERR_NVS_NOT_FOUND;
    }
    if (err == ESP_OK && out_type != NULL) {
        bool blob = loc.item.type == NVS_ITEM_BLOB_IDX || loc.item.type == NVS_ITEM_BLOB_V1;
        *out_type = blob ? NVS_TYPE_BLOB : (nvs_type_t)loc.item.type;
    }
    pthread_mutex_unlock(&s_lock);
    return err;
}

esp_err_t nvs_erase_key(nvs_handle_t handle, const char *key)
{
    pthread_mutex_lock(&s_lock);
    handle_t *h;
    nvs_loc_t loc;
    esp_err_t err = lookup_key(handle, key, true, &h);
    if (err == ESP_OK && !nvs_find_key_item(h->st, h->ns, key, &loc)) {
        err = ESP_ERR_NVS_NOT_FOUND;
    }
    if (err == ESP_OK) {
        err = nvs_value_erase(h->st, &loc);
    }
    pthread_mutex_unlock(&s_lock);
    return err;
}

esp_err_t nvs_erase_all(nvs_handle_t handle)
{
    pthread_mutex_lock(&s_lock);
    handle_t *h;
    esp_err_t err = lookup(handle, true, &h);
    if (err == ESP_OK) {
        err = nvs_value_erase_ns(h->st, h->ns);
    }
    pthread_mutex_unlock(&s_lock);
    return err;
}

/* ---- statistics and iterators ---- */

esp_err_t nvs_get_stats(const char *part_name, nvs_stats_t *nvs_stats)
{
    if (nvs_stats == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    memset(nvs_stats, 0, sizeof(*nvs_stats));
    pthread_mutex_lock(&s_lock);
    nvs_storage_t *st = storage_named(part_name != NULL ? part_name : NVS_DEFAULT_PART_NAME);
    if (st != NULL) {
        nvs_value_stats(st, nvs_stats);
    }
    pthread_mutex_unlock(&s_lock);
    return st != NULL ? ESP_OK : ESP_ERR_NVS_NOT_INITIALIZED;
}

esp_err_t nvs_get_used_entry_count(nvs_handle_t handle, size_t *used_entries)
{
    if (used_entries == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    *used_entries = 0;
    pthread_mutex_lock(&s_lock);
    handle_t *h;
    esp_err_t err = lookup(handle, false, &h);
    if (err == ESP_OK) {
        *used_entries = nvs_value_ns_entries(h->st, h->ns);
    }
    pthread_mutex_unlock(&s_lock);
    return err;
}

struct nvs_opaque_iterator_t {
    nvs_entry_info_t *entries;
    size_t count;
    size_t pos;
};

/* An iterator over the keys of ns in st, at the first. */
static esp_err_t make_iterator(nvs_storage_t *st, uint8_t ns, nvs_type_t type, nvs_iterator_t *out)
{
    nvs_entry_info_t *list;
    size_t count = nvs_value_list(st, ns, type, &list);
    if (count == SIZE_MAX) {
        return ESP_ERR_NO_MEM;
    }
    if (count == 0) {
        return ESP_ERR_NVS_NOT_FOUND;
    }
    *out = malloc(sizeof(**out));
    if (*out == NULL) {
        free(list);
        return ESP_ERR_NO_MEM;
    }
    **out = (struct nvs_opaque_iterator_t) { list, count, 0 };
    return ESP_OK;
}

static esp_err_t find_locked(const char *part_name, const char *namespace_name, nvs_type_t type, nvs_iterator_t *out)
{
    nvs_storage_t *st = storage_named(part_name);
    uint8_t ns = NVS_NS_ANY;
    if (st == NULL || (namespace_name != NULL && open_namespace(st, namespace_name, false, &ns) != ESP_OK)) {
        return ESP_ERR_NVS_NOT_FOUND;
    }
    return make_iterator(st, ns, type, out);
}

esp_err_t nvs_entry_find(const char *part_name, const char *namespace_name, nvs_type_t type, nvs_iterator_t *output_iterator)
{
    if (part_name == NULL || output_iterator == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    *output_iterator = NULL;
    pthread_mutex_lock(&s_lock);
    esp_err_t err = find_locked(part_name, namespace_name, type, output_iterator);
    pthread_mutex_unlock(&s_lock);
    return err;
}

esp_err_t nvs_entry_find_in_handle(nvs_handle_t handle, nvs_type_t type, nvs_iterator_t *output_iterator)
{
    if (output_iterator == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    *output_iterator = NULL;
    pthread_mutex_lock(&s_lock);
    handle_t *h;
    esp_err_t err = lookup(handle, false, &h);
    err = err == ESP_OK ? make_iterator(h->st, h->ns, type, output_iterator) : err;
    pthread_mutex_unlock(&s_lock);
    return err;
}

void nvs_release_iterator(nvs_iterator_t iterator)
{
    if (iterator != NULL) {
        free(iterator->entries);
        free(iterator);
    }
}

esp_err_t nvs_entry_next(nvs_iterator_t *iterator)
{
    if (iterator == NULL || *iterator == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (++(*iterator)->pos < (*iterator)->count) {
        return ESP_OK;
    }
    nvs_release_iterator(*iterator);
    *iterator = NULL;
    return ESP_ERR_NVS_NOT_FOUND;
}

esp_err_t nvs_entry_info(const nvs_iterator_t iterator, nvs_entry_info_t *out_info)
{
    if (iterator == NULL || out_info == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    *out_info = iterator->entries[iterator->pos];
    return ESP_OK;
}
