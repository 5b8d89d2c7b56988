/* ESP-IDF v5.5's app_update on the emulated flash: updates, the boot slot and rollback. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bootloader_common.h"
#include "esp_image_format.h"
#include "esp_log.h"
#include "esp_ota_ops.h"
#include "esp_system.h"
#include "portls_boot.h"
#include "portls_partition.h"
#include "sdkconfig.h"
#include "spi_flash_mmap.h"

static const char *TAG = "esp_ota_ops";

/* The bytes checked as an update's first writes bring them: the header, the first segment's
 * header and the app descriptor's magic word. */
#define HEAD_LEN (sizeof(esp_image_header_t) + sizeof(esp_image_segment_header_t) + sizeof(uint32_t))

typedef struct ota_ops_entry_ {
    esp_ota_handle_t handle;
    const esp_partition_t *staging;  /* where the bytes go */
    const esp_partition_t *final;    /* what they are checked as (and copied into) */
    bool finalize_with_copy;
    bool need_erase;                 /* sequential mode: erase sectors as writes reach them */
    bool resumed;
    uint32_t wrote_size;
    uint8_t head[HEAD_LEN];          /* the image's first bytes, as far as written */
    struct ota_ops_entry_ *next;
} ota_ops_entry_t;

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static ota_ops_entry_t *s_entries;
static esp_ota_handle_t s_last_handle;

/* ---- partitions and otadata ---- */

static bool is_ota_partition(const esp_partition_t *p)
{
    return p != NULL && p->type == ESP_PARTITION_TYPE_APP && p->subtype >= ESP_PARTITION_SUBTYPE_APP_OTA_0 &&
           p->subtype < ESP_PARTITION_SUBTYPE_APP_OTA_MAX;
}

static const esp_partition_t *ota_slot(uint32_t slot)
{
    return esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_OTA(slot), NULL);
}

static esp_partition_pos_t pos_of(const esp_partition_t *p)
{
    return (esp_partition_pos_t){ .offset = p->address, .size = p->size };
}

/* The otadata partition and its two entries. @return NULL without one, or if it cannot be read */
static const esp_partition_t *read_otadata(esp_ota_select_entry_t two[2])
{
    const esp_partition_t *p = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_DATA_OTA, NULL);
    if (p == NULL) {
        ESP_LOGE(TAG, "not found otadata");
        return NULL;
    }
    esp_partition_pos_t pos = pos_of(p);
    return bootloader_common_read_otadata(&pos, two) == ESP_OK ? p : NULL;
}

static esp_err_t write_otadata(const esp_partition_t *otadata, int sector, const esp_ota_select_entry_t *entry)
{
    esp_partition_pos_t pos = pos_of(otadata);
    return portls_otadata_write(&pos, sector, entry);
}

static esp_err_t image_validate(const esp_partition_t *p, esp_image_load_mode_t mode)
{
    esp_partition_pos_t pos = pos_of(p);
    esp_image_metadata_t data;
    return esp_image_verify(mode, &pos, &data) == ESP_OK ? ESP_OK : ESP_ERR_OTA_VALIDATE_FAILED;
}

/* The slot an entry selects among count. */
static uint32_t slot_of(const esp_ota_select_entry_t *e, uint32_t count)
{
    return (e->ota_seq - 1) % count;
}

uint8_t esp_ota_get_app_partition_count(void)
{
    uint8_t count = 0;
    while (count < 16 && ota_slot(count) != NULL) {
        count++;
    }
    return count;
}

const esp_app_desc_t *esp_ota_get_app_description(void)
{
    return esp_app_get_description();
}

int esp_ota_get_app_elf_sha256(char *dst, size_t size)
{
    return esp_app_get_elf_sha256(dst, size);
}

const esp_partition_t *esp_ota_get_running_partition(void)
{
    return portls_partition_get_running();
}

/* ---- handles ---- */

static ota_ops_entry_t *find_entry(esp_ota_handle_t handle)
{
    pthread_mutex_lock(&s_lock);
    ota_ops_entry_t *it = s_entries;
    while (it != NULL && it->handle != handle) {
        it = it->next;
    }
    pthread_mutex_unlock(&s_lock);
    return it;
}

/* Unlinks the entry of handle. @return it (the caller frees it), or NULL */
static ota_ops_entry_t *take_entry(esp_ota_handle_t handle)
{
    pthread_mutex_lock(&s_lock);
    ota_ops_entry_t **link = &s_entries;
    while (*link != NULL && (*link)->handle != handle) {
        link = &(*link)->next;
    }
    ota_ops_entry_t *it = *link;
    if (it != NULL) {
        *link = it->next;
    }
    pthread_mutex_unlock(&s_lock);
    return it;
}

static ota_ops_entry_t *new_entry(const esp_partition_t *partition)
{
    ota_ops_entry_t *it = calloc(1, sizeof(*it));
    if (it == NULL) {
        return NULL;
    }
    it->staging = it->final = partition;
    pthread_mutex_lock(&s_lock);
    it->handle = ++s_last_handle;
    if (it->handle == 0) { /* after 2^32 handles: 0 is never one */
        it->handle = ++s_last_handle;
    }
    it->next = s_entries;
    s_entries = it;
    pthread_mutex_unlock(&s_lock);
    return it;
}

static void drop_entry(ota_ops_entry_t *it)
{
    free(take_entry(it->handle));
}

/* ---- begin, resume ---- */

/* What begin and resume ask of the partition to write. @return it (the table's), or NULL with *err */
static const esp_partition_t *check_staging(const esp_partition_t *partition, esp_err_t *err)
{
    const esp_partition_t *p = esp_partition_verify(partition);
    *err = ESP_ERR_NOT_FOUND;
    if (p == NULL) {
        return NULL;
    }
    *err = ESP_ERR_INVALID_ARG;
    if (p->type == ESP_PARTITION_TYPE_APP && !is_ota_partition(p)) {
        return NULL; /* the final partition may be the factory app; the staging one may not */
    }
    *err = ESP_ERR_OTA_PARTITION_CONFLICT;
    if (p == esp_ota_get_running_partition()) {
        return NULL;
    }
    *err = ESP_OK;
    return p;
}

/* With rollback, no update while the running app has not confirmed itself. */
static esp_err_t check_running_confirmed(void)
{
#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
    esp_ota_img_states_t state;
    const esp_partition_t *running = esp_ota_get_running_partition();
    if (running != NULL && esp_ota_get_state_partition(running, &state) == ESP_OK &&
        state == ESP_OTA_IMG_PENDING_VERIFY) {
        ESP_LOGE(TAG, "Running app has not confirmed state (ESP_OTA_IMG_PENDING_VERIFY)");
        return ESP_ERR_OTA_ROLLBACK_INVALID_STATE;
    }
#endif
    return ESP_OK;
}

static esp_err_t erase_for(const esp_partition_t *p, size_t image_size)
{
    if (image_size == OTA_WITH_SEQUENTIAL_WRITES) {
        return ESP_OK;
    }
    size_t size = p->size;
    if (image_size != 0 && image_size != OTA_SIZE_UNKNOWN) {
        size = (image_size + p->erase_size - 1) / p->erase_size * p->erase_size;
    }
    return esp_partition_erase_range(p, 0, size);
}

esp_err_t esp_ota_begin(const esp_partition_t *partition, size_t image_size, esp_ota_handle_t *out_handle)
{
    if (partition == NULL || out_handle == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err;
    const esp_partition_t *p = check_staging(partition, &err);
    if (p == NULL) {
        return err;
    }
    if (p->type == ESP_PARTITION_TYPE_APP && (err = check_running_confirmed()) != ESP_OK) {
        return err;
    }
    ota_ops_entry_t *it = new_entry(p);
    if (it == NULL) {
        return ESP_ERR_NO_MEM;
    }
    it->need_erase = image_size == OTA_WITH_SEQUENTIAL_WRITES;
    err = erase_for(p, image_size);
    if (err != ESP_OK) {
        drop_entry(it); /* ESP-IDF leaves it in its list */
        return err;
    }
#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
    if (is_ota_partition(p)) {
        esp_ota_invalidate_inactive_ota_data_slot(); /* as ESP-IDF: its result does not matter */
    }
#endif
    *out_handle = it->handle;
    return ESP_OK;
}

esp_err_t esp_ota_resume(const esp_partition_t *partition, const size_t erase_size, const size_t image_offset,
                         esp_ota_handle_t *out_handle)
{
    if (partition == NULL || out_handle == NULL || image_offset > partition->size) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err;
    const esp_partition_t *p = check_staging(partition, &err);
    if (p == NULL) {
        return err;
    }
    ota_ops_entry_t *it = new_entry(p);
    if (it == NULL) {
        return ESP_ERR_NO_MEM;
    }
    if (image_offset < HEAD_LEN && image_offset > 0 && (err = esp_partition_read(p, 0, it->head, image_offset)) != ESP_OK) {
        drop_entry(it); /* the first bytes are checked when the rest of them comes */
        return err;
    }
    it->resumed = true;
    it->wrote_size = (uint32_t)image_offset;
    it->need_erase = erase_size == OTA_WITH_SEQUENTIAL_WRITES;
    *out_handle = it->handle;
    return ESP_OK;
}

esp_err_t esp_ota_set_final_partition(esp_ota_handle_t handle, const esp_partition_t *final, bool finalize_with_copy)
{
    if (final == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    ota_ops_entry_t *it = find_entry(handle);
    if (it == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    if (!it->resumed && it->wrote_size != 0) {
        return ESP_ERR_INVALID_STATE;
    }
    if (final == it->staging) {
        return ESP_OK;
    }
    const esp_partition_t *p = esp_partition_verify(final);
    if (p == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    ESP_LOGI(TAG, "Staging partition - <%s>. Final partition - <%s>.", it->staging->label, p->label);
    it->final = p;
    it->finalize_with_copy = finalize_with_copy;
    return ESP_OK;
}

/* ---- writes ---- */

static bool reaches(size_t before, size_t after, size_t mark)
{
    return before < mark && after >= mark;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* An app or bootloader image's first bytes: the magic byte, the chip, an app's descriptor. */
static esp_err_t check_image_head(const uint8_t *head, size_t before, size_t after, bool app)
{
    if (before == 0 && head[0] != ESP_IMAGE_HEADER_MAGIC) {
        ESP_LOGE(TAG, "OTA image has invalid magic byte (expected 0xE9, saw 0x%02x)", head[0]);
        return ESP_ERR_OTA_VALIDATE_FAILED;
    }
    if (reaches(before, after, sizeof(esp_image_header_t))) {
        esp_image_header_t header;
        memcpy(&header, head, sizeof(header));
        if (bootloader_common_check_chip_validity(&header, app ? ESP_IMAGE_APPLICATION : ESP_IMAGE_BOOTLOADER) != ESP_OK) {
            return ESP_ERR_OTA_VALIDATE_FAILED; /* logged why */
        }
    }
    if (app && reaches(before, after, HEAD_LEN) && le32(head + HEAD_LEN - 4) != ESP_APP_DESC_MAGIC_WORD) {
        ESP_LOGE(TAG, "OTA image has no app descriptor at offset 0x20: it is not an app image (a merged flash "
                      "image starts with the bootloader's; serve the app's own .bin)");
        return ESP_ERR_OTA_VALIDATE_FAILED;
    }
    return ESP_OK;
}

/* The checks the bytes [wrote_size, wrote_size + size) complete, by the final partition's type. */
static esp_err_t check_head(ota_ops_entry_t *it, const uint8_t *data, size_t size)
{
    size_t before = it->wrote_size;
    if (before >= HEAD_LEN) {
        return ESP_OK;
    }
    size_t after = before + size < HEAD_LEN ? before + size : HEAD_LEN;
    uint8_t head[HEAD_LEN];
    memcpy(head, it->head, before);
    memcpy(head + before, data, after - before);
    esp_partition_type_t type = it->final->type;
    if (type == ESP_PARTITION_TYPE_APP || type == ESP_PARTITION_TYPE_BOOTLOADER) {
        return check_image_head(head, before, after, type == ESP_PARTITION_TYPE_APP);
    }
    if (type == ESP_PARTITION_TYPE_PARTITION_TABLE && reaches(before, after, 2) &&
        (head[0] | head[1] << 8) != ESP_PARTITION_MAGIC) {
        ESP_LOGE(TAG, "Partition table image has invalid magic word (expected 0x50AA, saw 0x%04x)",
                 (unsigned)(head[0] | head[1] << 8));
        return ESP_ERR_OTA_VALIDATE_FAILED;
    }
    return ESP_OK;
}

/* Sequential mode: erases the sectors that [wrote_size, wrote_size + size) enters. */
static esp_err_t erase_ahead(const ota_ops_entry_t *it, size_t size)
{
    uint32_t es = it->staging->erase_size;
    size_t first = it->wrote_size / es, last = (it->wrote_size + size - 1) / es;
    if (it->wrote_size % es == 0) {
        return esp_partition_erase_range(it->staging, it->wrote_size, (last - first + 1) * es);
    }
    if (first != last) {
        return esp_partition_erase_range(it->staging, (first + 1) * es, (last - first) * es);
    }
    return ESP_OK;
}

/* The write itself, after the checks: the erase ahead in sequential mode, then the bytes. */
static esp_err_t write_at_end(ota_ops_entry_t *it, const uint8_t *data, size_t size)
{
    esp_err_t err = it->need_erase ? erase_ahead(it, size) : ESP_OK;
    if (err == ESP_OK) {
        err = esp_partition_write(it->staging, it->wrote_size, data, size);
    }
    if (err != ESP_OK) {
        return err;
    }
    if (it->wrote_size < HEAD_LEN) {
        size_t n = size < HEAD_LEN - it->wrote_size ? size : HEAD_LEN - it->wrote_size;
        memcpy(it->head + it->wrote_size, data, n);
    }
    it->wrote_size += (uint32_t)size;
    return ESP_OK;
}

esp_err_t esp_ota_write(esp_ota_handle_t handle, const void *data, size_t size)
{
    if (data == NULL) {
        ESP_LOGE(TAG, "write data is invalid");
        return ESP_ERR_INVALID_ARG;
    }
    if (size == 0) {
        return ESP_OK;
    }
    ota_ops_entry_t *it = find_entry(handle);
    if (it == NULL) {
        ESP_LOGE(TAG, "not found the handle");
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = check_head(it, data, size);
    return err == ESP_OK ? write_at_end(it, data, size) : err;
}

esp_err_t esp_ota_write_with_offset(esp_ota_handle_t handle, const void *data, size_t size, uint32_t offset)
{
    if (data == NULL) {
        ESP_LOGE(TAG, "write data is invalid");
        return ESP_ERR_INVALID_ARG;
    }
    ota_ops_entry_t *it = find_entry(handle);
    if (it == NULL) {
        ESP_LOGE(TAG, "OTA handle not found");
        return ESP_ERR_INVALID_ARG;
    }
    if (it->need_erase) {
        ESP_LOGE(TAG, "esp_ota_write_with_offset needs the partition erased: begin with the image size, "
                      "not OTA_WITH_SEQUENTIAL_WRITES");
        return ESP_ERR_INVALID_STATE;
    }
    esp_err_t err = esp_partition_write(it->staging, offset, data, size);
    if (err == ESP_OK) {
        it->wrote_size += (uint32_t)size;
    }
    return err;
}

/* ---- end, abort ---- */

esp_err_t esp_ota_abort(esp_ota_handle_t handle)
{
    ota_ops_entry_t *it = take_entry(handle);
    if (it == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    free(it);
    return ESP_OK;
}

static esp_err_t verify_table(const esp_partition_t *staging)
{
    const void *table;
    esp_partition_mmap_handle_t map;
    esp_err_t err = esp_partition_mmap(staging, 0, ESP_PARTITION_TABLE_MAX_LEN, ESP_PARTITION_MMAP_DATA, &table, &map);
    if (err != ESP_OK) {
        return err;
    }
    int count;
    err = esp_partition_table_verify(table, true, &count) == ESP_OK ? ESP_OK : ESP_ERR_OTA_VALIDATE_FAILED;
    esp_partition_munmap(map);
    return err;
}

/* The bytes an image may take: the staging partition's, and the final one's when copied there. */
static uint32_t room(const ota_ops_entry_t *it)
{
    return it->finalize_with_copy && it->final->size < it->staging->size ? it->final->size : it->staging->size;
}

static esp_err_t verify_staging(const ota_ops_entry_t *it)
{
    esp_partition_type_t type = it->final->type;
    if (type == ESP_PARTITION_TYPE_APP || type == ESP_PARTITION_TYPE_BOOTLOADER) {
        esp_partition_pos_t pos = { .offset = it->staging->address, .size = room(it) };
        esp_image_metadata_t data;
        return esp_image_verify(ESP_IMAGE_VERIFY, &pos, &data) == ESP_OK ? ESP_OK : ESP_ERR_OTA_VALIDATE_FAILED;
    }
    if (type == ESP_PARTITION_TYPE_PARTITION_TABLE) {
        return verify_table(it->staging);
    }
    return ESP_OK; /* data partitions are not checked */
}

esp_err_t esp_ota_end(esp_ota_handle_t handle)
{
    ota_ops_entry_t *it = take_entry(handle);
    if (it == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    esp_err_t err = ESP_ERR_INVALID_ARG; /* nothing was written */
    if (it->wrote_size != 0) {
        err = verify_staging(it);
        if (err != ESP_OK) {
            ESP_LOGE(TAG, "New image failed verification");
        }
    }
    if (err == ESP_OK && it->finalize_with_copy) {
        ESP_LOGI(TAG, "Copy from <%s> staging partition to <%s>...", it->staging->label, it->final->label);
        err = esp_partition_copy(it->final, 0, it->staging, 0, room(it));
    }
    free(it);
    return err;
}

/* ---- the boot slot ---- */

/* esp_ota_set_boot_partition() for an OTA slot: the otadata change, then its write. */
static esp_err_t rewrite_ota_data(uint32_t slot)
{
    esp_ota_select_entry_t two[2];
    const esp_partition_t *otadata = read_otadata(two);
    if (otadata == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    int sector = portls_otadata_select_slot(two, slot, esp_ota_get_app_partition_count());
    return sector < 0 ? ESP_ERR_INVALID_ARG : write_otadata(otadata, sector, &two[sector]);
}

esp_err_t esp_ota_set_boot_partition(const esp_partition_t *partition)
{
    if (partition == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (image_validate(partition, ESP_IMAGE_VERIFY) != ESP_OK) {
        return ESP_ERR_OTA_VALIDATE_FAILED;
    }
    if (partition->type == ESP_PARTITION_TYPE_APP && partition->subtype == ESP_PARTITION_SUBTYPE_APP_FACTORY) {
        const esp_partition_t *otadata =
            esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_DATA_OTA, NULL);
        return otadata != NULL ? esp_partition_erase_range(otadata, 0, otadata->size) : ESP_ERR_NOT_FOUND;
    }
    if (!is_ota_partition(partition)) {
        return ESP_ERR_INVALID_ARG; /* ESP-IDF v5.5 takes the test app (0x20) for ota_0 */
    }
    return rewrite_ota_data(partition->subtype & PART_SUBTYPE_OTA_MASK);
}

/* What boots with no usable otadata, as the bootloader picks it: factory, ota_N, test. */
static const esp_partition_t *find_default_boot_partition(void)
{
    const esp_partition_t *p = esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_FACTORY, NULL);
    for (uint32_t slot = 0; p == NULL && slot < 16; slot++) {
        p = ota_slot(slot);
    }
    if (p == NULL) {
        p = esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_TEST, NULL);
    }
    if (p == NULL) {
        ESP_LOGE(TAG, "invalid partition table, no app partitions");
    }
    return p;
}

const esp_partition_t *esp_ota_get_boot_partition(void)
{
    esp_ota_select_entry_t two[2];
    if (read_otadata(two) == NULL) {
        return NULL;
    }
    uint32_t count = esp_ota_get_app_partition_count();
    if (count == 0 || (bootloader_common_ota_select_invalid(&two[0]) && bootloader_common_ota_select_invalid(&two[1]))) {
        return find_default_boot_partition();
    }
    int active = bootloader_common_get_active_otadata(two);
    if (active == -1) {
        ESP_LOGE(TAG, "ota data invalid, no current app. Assuming factory");
        return find_default_boot_partition();
    }
    return ota_slot(slot_of(&two[active], count));
}

const esp_partition_t *esp_ota_get_next_update_partition(const esp_partition_t *start_from)
{
    if (start_from != NULL && (start_from = esp_partition_verify(start_from)) == NULL) {
        return NULL; /* ESP-IDF asserts */
    }
    start_from = start_from == NULL ? esp_ota_get_running_partition() : start_from;
    const esp_partition_t *first = NULL;
    bool next_is_result = false;
    for (uint32_t slot = 0; slot < 16; slot++) { /* slot order, whatever the table's order */
        const esp_partition_t *p = ota_slot(slot);
        if (p == NULL) {
            continue;
        }
        if (next_is_result) {
            return p;
        }
        first = first == NULL ? p : first;
        next_is_result = p == start_from;
    }
    return first;
}

/* ---- descriptors ---- */

esp_err_t esp_ota_get_partition_description(const esp_partition_t *partition, esp_app_desc_t *app_desc)
{
    if (partition == NULL || app_desc == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (partition->type != ESP_PARTITION_TYPE_APP) {
        return ESP_ERR_NOT_SUPPORTED;
    }
    esp_err_t err = esp_partition_read(partition, sizeof(esp_image_header_t) + sizeof(esp_image_segment_header_t),
                                       app_desc, sizeof(*app_desc));
    if (err != ESP_OK) {
        return err;
    }
    return app_desc->magic_word == ESP_APP_DESC_MAGIC_WORD ? ESP_OK : ESP_ERR_NOT_FOUND;
}

esp_err_t esp_ota_get_bootloader_description(const esp_partition_t *bootloader_partition, esp_bootloader_desc_t *desc)
{
    if (desc == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_partition_t primary = { .type = ESP_PARTITION_TYPE_BOOTLOADER, .address = CONFIG_BOOTLOADER_OFFSET_IN_FLASH,
                                .size = CONFIG_PARTITION_TABLE_OFFSET - CONFIG_BOOTLOADER_OFFSET_IN_FLASH,
                                .erase_size = SPI_FLASH_SEC_SIZE };
    const esp_partition_t *p = bootloader_partition != NULL ? bootloader_partition : &primary;
    esp_err_t err = esp_partition_read(p, sizeof(esp_image_header_t) + sizeof(esp_image_segment_header_t), desc,
                                       sizeof(*desc));
    if (err != ESP_OK) {
        return err;
    }
    return desc->magic_byte == ESP_BOOTLOADER_DESC_MAGIC_BYTE ? ESP_OK : ESP_ERR_NOT_FOUND;
}

/* ---- rollback ---- */

bool esp_ota_check_rollback_is_possible(void)
{
    esp_ota_select_entry_t two[2];
    uint32_t count = esp_ota_get_app_partition_count();
    if (read_otadata(two) == NULL || count == 0) {
        return false;
    }
    bool valid[2] = { bootloader_common_ota_select_valid(&two[0]), bootloader_common_ota_select_valid(&two[1]) };
    int active = bootloader_common_select_otadata(two, valid, true);
    if (active == -1) {
        return false;
    }
    const esp_partition_t *other = valid[active ^ 1]
                                       ? ota_slot(slot_of(&two[active ^ 1], count))
                                       : esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_FACTORY, NULL);
    return other != NULL && image_validate(other, ESP_IMAGE_VERIFY_SILENT) == ESP_OK;
}

/* Gives the running app's entry (the active one) a state, written if it changed; INVALID only when
 * another app would boot. */
static esp_err_t set_running_state(esp_ota_img_states_t state)
{
    esp_ota_select_entry_t two[2];
    const esp_partition_t *otadata = read_otadata(two);
    if (otadata == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    if (bootloader_common_get_active_otadata(two) == -1 || esp_ota_get_app_partition_count() == 0) {
        ESP_LOGE(TAG, "Running firmware is factory");
        return ESP_FAIL;
    }
    if (state == ESP_OTA_IMG_INVALID && !esp_ota_check_rollback_is_possible()) {
        ESP_LOGE(TAG, "Rollback is not possible, do not have any suitable apps in slots");
        return ESP_ERR_OTA_ROLLBACK_FAILED;
    }
    bool changed;
    int sector = portls_otadata_set_active_state(two, state, &changed);
    return changed ? write_otadata(otadata, sector, &two[sector]) : ESP_OK;
}

esp_err_t esp_ota_mark_app_valid_cancel_rollback(void)
{
    return set_running_state(ESP_OTA_IMG_VALID);
}

esp_err_t esp_ota_mark_app_invalid_rollback(void)
{
    esp_err_t err = set_running_state(ESP_OTA_IMG_INVALID);
    if (err == ESP_OK) {
        ESP_LOGI(TAG, "Rollback to previously worked partition.");
    }
    return err;
}

esp_err_t esp_ota_mark_app_invalid_rollback_and_reboot(void)
{
    esp_err_t err = esp_ota_mark_app_invalid_rollback();
    if (err == ESP_OK) {
        esp_restart();
    }
    return err;
}

static bool refused_entry(const esp_ota_select_entry_t *e)
{
    return e->ota_seq != UINT32_MAX && e->crc == bootloader_common_ota_select_crc(e) &&
           (e->ota_state == ESP_OTA_IMG_INVALID || e->ota_state == ESP_OTA_IMG_ABORTED);
}

const esp_partition_t *esp_ota_get_last_invalid_partition(void)
{
    esp_ota_select_entry_t two[2];
    uint32_t count = esp_ota_get_app_partition_count();
    if (read_otadata(two) == NULL || count == 0) {
        return NULL;
    }
    bool refused[2] = { refused_entry(&two[0]), refused_entry(&two[1]) };
    int last = bootloader_common_select_otadata(two, refused, false);
    const esp_partition_t *p = last != -1 ? ota_slot(slot_of(&two[last], count)) : NULL;
    if (p != NULL && image_validate(p, ESP_IMAGE_VERIFY_SILENT) != ESP_OK) {
        ESP_LOGD(TAG, "Last invalid partition has corrupted app");
        return NULL;
    }
    return p;
}

esp_err_t esp_ota_get_state_partition(const esp_partition_t *partition, esp_ota_img_states_t *ota_state)
{
    if (partition == NULL || ota_state == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (!is_ota_partition(partition)) {
        return ESP_ERR_NOT_SUPPORTED;
    }
    esp_ota_select_entry_t two[2];
    uint32_t count = esp_ota_get_app_partition_count();
    if (count == 0 || read_otadata(two) == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    uint32_t slot = partition->subtype - ESP_PARTITION_SUBTYPE_APP_OTA_MIN;
    for (int i = 0; i < 2; i++) {
        if (slot_of(&two[i], count) == slot && two[i].crc == bootloader_common_ota_select_crc(&two[i])) {
            *ota_state = (esp_ota_img_states_t)two[i].ota_state;
            return ESP_OK;
        }
    }
    return ESP_ERR_NOT_FOUND;
}

/* The app the inactive otadata entry selects, if it is not the running one.
 * @param[out] sector the inactive entry's sector */
static const esp_partition_t *last_boot_app(const esp_ota_select_entry_t two[2], int *sector)
{
    uint32_t count = esp_ota_get_app_partition_count();
    int active = bootloader_common_get_active_otadata((esp_ota_select_entry_t *)two);
    if (active == -1 || count == 0) {
        return NULL;
    }
    const esp_ota_select_entry_t *inactive = &two[active ^ 1];
    if (inactive->ota_seq == UINT32_MAX || inactive->crc != bootloader_common_ota_select_crc(inactive)) {
        return NULL;
    }
    *sector = active ^ 1;
    const esp_partition_t *last = ota_slot(slot_of(inactive, count)), *running = esp_ota_get_running_partition();
    return running != NULL && last != running ? last : NULL;
}

/* The app the inactive entry selects (erased unless skip_app), then the inactive sector. */
static esp_err_t erase_last_boot_app_partition(bool skip_app)
{
    esp_ota_select_entry_t two[2];
    const esp_partition_t *otadata = read_otadata(two);
    int sector;
    const esp_partition_t *last = otadata != NULL ? last_boot_app(two, &sector) : NULL;
    if (last == NULL) {
        return ESP_FAIL;
    }
    esp_err_t err = skip_app ? ESP_OK : esp_partition_erase_range(last, 0, last->size);
    if (err == ESP_OK) {
        err = esp_partition_erase_range(otadata, (size_t)sector * otadata->erase_size, otadata->erase_size);
    }
    return err;
}

esp_err_t esp_ota_erase_last_boot_app_partition(void)
{
    return erase_last_boot_app_partition(false);
}

esp_err_t esp_ota_invalidate_inactive_ota_data_slot(void)
{
    return erase_last_boot_app_partition(true);
}
