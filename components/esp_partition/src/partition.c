/* The partition list: loaded from the table once per flash mapping, after the simulated boot. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootloader_flash_priv.h"
#include "esp_flash_partitions.h"
#include "esp_log.h"
#include "esp_partition.h"
#include "esp_private/partition_linux.h"
#include "partition_private.h"
#include "portls_boot.h"
#include "portls_format.h"
#include "portls_partition.h"
#include "sdkconfig.h"

static const char *TAG = "partition";

typedef struct partition_item_ {
    esp_partition_t info;
    bool user_registered;
    struct partition_item_ *next;
} partition_item_t;

struct esp_partition_iterator_opaque_ {
    esp_partition_type_t type;
    esp_partition_subtype_t subtype;
    const char *label;
    partition_item_t *next_item; /* the next candidate */
    const esp_partition_t *info; /* where the iterator is */
};

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static partition_item_t *s_list;
static uint32_t s_generation; /* the flash mapping the list was loaded from; 0: not loaded */

static void free_items(partition_item_t *it)
{
    while (it != NULL) {
        partition_item_t *next = it->next;
        free(it);
        it = next;
    }
}

static partition_item_t *new_item(const esp_partition_info_t *entry)
{
    partition_item_t *item = calloc(1, sizeof(*item));
    if (item == NULL) {
        return NULL;
    }
    item->info.address = entry->pos.offset;
    item->info.size = entry->pos.size;
    item->info.erase_size = ESP_PARTITION_EMULATED_SECTOR_SIZE;
    item->info.type = (esp_partition_type_t)entry->type;
    item->info.subtype = (esp_partition_subtype_t)entry->subtype;
    item->info.readonly = (entry->flags & PART_FLAG_READONLY) != 0;
    memcpy(item->info.label, entry->label, sizeof(entry->label)); /* label[16] stays NUL */
    return item;
}

/* The MD5 entry after count entries, if the build checks it. */
static esp_err_t check_md5(const esp_partition_info_t *table, size_t count)
{
#ifdef CONFIG_PARTITION_TABLE_MD5
    if (count == ESP_PARTITION_TABLE_SIZE / sizeof(esp_partition_info_t) || table[count].magic != ESP_PARTITION_MAGIC_MD5) {
        ESP_LOGE(TAG, "No MD5 found in partition table");
        return ESP_ERR_NOT_FOUND;
    }
    uint8_t digest[16];
    portls_partition_table_md5(table, count, digest);
    if (memcmp(digest, (const uint8_t *)&table[count] + ESP_PARTITION_MD5_OFFSET, sizeof(digest)) != 0) {
        ESP_LOGE(TAG, "Partition table MD5 mismatch");
        return ESP_ERR_INVALID_STATE;
    }
#else
    (void)table;
    (void)count;
#endif
    return ESP_OK;
}

/* The app's reading of the table sector (ESP-IDF's load_partitions()): the entries while their
 * magic is 0x50AA, then the MD5 entry. @return ESP_OK with *out the list, or the load error */
static esp_err_t partition_table_parse(const esp_partition_info_t *table, partition_item_t **out)
{
    partition_item_t *head = NULL;
    partition_item_t **tail = &head;
    size_t count = 0;
    while (count < ESP_PARTITION_TABLE_SIZE / sizeof(esp_partition_info_t) && table[count].magic == ESP_PARTITION_MAGIC) {
        if ((*tail = new_item(&table[count])) == NULL) {
            free_items(head);
            return ESP_ERR_NO_MEM;
        }
        tail = &(*tail)->next;
        count++;
    }
    esp_err_t err = check_md5(table, count);
    if (err != ESP_OK) {
        free_items(head);
        return err;
    }
    *out = head;
    return ESP_OK;
}

/* Called with the lock held: the list of the current mapping. */
static esp_err_t load_locked(uint32_t generation)
{
    if (s_generation == generation) {
        return ESP_OK;
    }
    free_items(s_list);
    s_list = NULL;
    s_generation = 0;
    const esp_partition_info_t *table = bootloader_mmap(ESP_PARTITION_TABLE_OFFSET, ESP_PARTITION_TABLE_SIZE);
    esp_err_t err = table != NULL ? partition_table_parse(table, &s_list) : ESP_ERR_INVALID_SIZE;
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "load_partitions returned 0x%x", err);
        return err;
    }
    s_generation = generation;
    return ESP_OK;
}

esp_err_t partition_ensure_booted(const portls_boot_t **boot)
{
    const portls_boot_t *b;
    esp_err_t err = portls_boot_get(&b);
    if (boot != NULL) {
        *boot = b;
    }
    return err;
}

static esp_err_t ensure_partitions_loaded(void)
{
    const portls_boot_t *boot;
    esp_err_t err = partition_ensure_booted(&boot);
    if (err != ESP_OK) {
        return err;
    }
    pthread_mutex_lock(&s_lock);
    err = load_locked(boot->generation);
    pthread_mutex_unlock(&s_lock);
    return err;
}

void esp_partition_unload_all(void)
{
    pthread_mutex_lock(&s_lock);
    free_items(s_list);
    s_list = NULL;
    s_generation = 0;
    pthread_mutex_unlock(&s_lock);
}

static bool matches(const esp_partition_iterator_t it, const esp_partition_t *p)
{
    if (it->type != ESP_PARTITION_TYPE_ANY && it->type != p->type) {
        return false;
    }
    if (it->subtype != ESP_PARTITION_SUBTYPE_ANY && it->subtype != p->subtype) {
        return false;
    }
    return it->label == NULL || strcmp(it->label, p->label) == 0;
}

esp_partition_iterator_t esp_partition_next(esp_partition_iterator_t it)
{
    if (it == NULL) {
        return NULL;
    }
    pthread_mutex_lock(&s_lock);
    while (it->next_item != NULL && !matches(it, &it->next_item->info)) {
        it->next_item = it->next_item->next;
    }
    partition_item_t *found = it->next_item;
    if (found != NULL) {
        it->info = &found->info;
        it->next_item = found->next;
    }
    pthread_mutex_unlock(&s_lock);
    if (found == NULL) {
        esp_partition_iterator_release(it);
        return NULL;
    }
    return it;
}

esp_partition_iterator_t esp_partition_find(esp_partition_type_t type, esp_partition_subtype_t subtype, const char *label)
{
    if (ensure_partitions_loaded() != ESP_OK) {
        return NULL;
    }
    /* a subtype means nothing without a type: a likely mistake */
    if (type == ESP_PARTITION_TYPE_ANY && subtype != ESP_PARTITION_SUBTYPE_ANY) {
        return NULL;
    }
    esp_partition_iterator_t it = calloc(1, sizeof(*it));
    if (it == NULL) {
        return NULL;
    }
    it->type = type;
    it->subtype = subtype;
    it->label = label;
    pthread_mutex_lock(&s_lock);
    it->next_item = s_list;
    pthread_mutex_unlock(&s_lock);
    return esp_partition_next(it);
}

const esp_partition_t *esp_partition_find_first(esp_partition_type_t type, esp_partition_subtype_t subtype,
                                                const char *label)
{
    esp_partition_iterator_t it = esp_partition_find(type, subtype, label);
    const esp_partition_t *p = it != NULL ? esp_partition_get(it) : NULL;
    esp_partition_iterator_release(it);
    return p;
}

void esp_partition_iterator_release(esp_partition_iterator_t iterator)
{
    free(iterator);
}

const esp_partition_t *esp_partition_get(esp_partition_iterator_t iterator)
{
    return iterator != NULL ? iterator->info : NULL;
}

static bool same_place(const esp_partition_t *a, const esp_partition_t *b)
{
    return a->flash_chip == b->flash_chip && a->address == b->address && a->size == b->size &&
           a->encrypted == b->encrypted;
}

const esp_partition_t *esp_partition_verify(const esp_partition_t *partition)
{
    if (partition == NULL) {
        return NULL;
    }
    const char *label = partition->label[0] != '\0' ? partition->label : NULL;
    esp_partition_iterator_t it = esp_partition_find(partition->type, partition->subtype, label);
    while (it != NULL && !same_place(esp_partition_get(it), partition)) {
        it = esp_partition_next(it);
    }
    const esp_partition_t *p = esp_partition_get(it);
    esp_partition_iterator_release(it);
    return p;
}

static bool overlaps(const partition_item_t *it, esp_flash_t *chip, size_t offset, size_t size)
{
    size_t start = it->info.address;
    size_t end = start + it->info.size;
    return it->info.flash_chip == chip && offset < end && start < offset + size;
}

/* Appends item unless it overlaps a partition of its chip; called with the lock held. */
static esp_err_t append_locked(partition_item_t *item)
{
    partition_item_t **tail = &s_list;
    for (; *tail != NULL; tail = &(*tail)->next) {
        if (overlaps(*tail, item->info.flash_chip, item->info.address, item->info.size)) {
            return ESP_ERR_INVALID_ARG;
        }
    }
    *tail = item;
    return ESP_OK;
}

esp_err_t esp_partition_register_external(esp_flash_t *flash_chip, size_t offset, size_t size, const char *label,
                                          esp_partition_type_t type, esp_partition_subtype_t subtype,
                                          const esp_partition_t **out_partition)
{
    if (out_partition != NULL) {
        *out_partition = NULL;
    }
    if (label == NULL || offset > UINT32_MAX || size > UINT32_MAX - offset) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = ensure_partitions_loaded();
    if (err != ESP_OK) {
        return err;
    }
    partition_item_t *item = calloc(1, sizeof(*item));
    if (item == NULL) {
        return ESP_ERR_NO_MEM;
    }
    item->info = (esp_partition_t) { .flash_chip = flash_chip, .type = type, .subtype = subtype,
                                     .address = (uint32_t)offset, .size = (uint32_t)size,
                                     .erase_size = ESP_PARTITION_EMULATED_SECTOR_SIZE };
    snprintf(item->info.label, sizeof(item->info.label), "%s", label);
    item->user_registered = true;
    pthread_mutex_lock(&s_lock);
    err = append_locked(item);
    pthread_mutex_unlock(&s_lock);
    if (err != ESP_OK) {
        free(item);
        return err;
    }
    if (out_partition != NULL) {
        *out_partition = &item->info;
    }
    return ESP_OK;
}

esp_err_t esp_partition_deregister_external(const esp_partition_t *partition)
{
    esp_err_t result = ESP_ERR_NOT_FOUND;
    pthread_mutex_lock(&s_lock);
    for (partition_item_t **link = &s_list; *link != NULL; link = &(*link)->next) {
        partition_item_t *it = *link;
        if (&it->info != partition) {
            continue;
        }
        result = ESP_ERR_INVALID_ARG;
        if (it->user_registered) {
            *link = it->next;
            free(it);
            result = ESP_OK;
        }
        break;
    }
    pthread_mutex_unlock(&s_lock);
    return result;
}

uint32_t esp_partition_get_main_flash_sector_size(void)
{
    return ESP_PARTITION_EMULATED_SECTOR_SIZE;
}

const esp_partition_t *portls_partition_get_running(void)
{
    if (ensure_partitions_loaded() != ESP_OK) {
        return NULL;
    }
    const portls_boot_t *boot;
    partition_ensure_booted(&boot);
    if (boot->index == INVALID_INDEX) {
        return NULL;
    }
    const esp_partition_t *found = NULL;
    pthread_mutex_lock(&s_lock);
    for (partition_item_t *it = s_list; it != NULL && found == NULL; it = it->next) {
        bool booted = !it->user_registered && it->info.type == ESP_PARTITION_TYPE_APP && it->info.address == boot->pos.offset;
        found = booted ? &it->info : NULL;
    }
    pthread_mutex_unlock(&s_lock);
    return found;
}
