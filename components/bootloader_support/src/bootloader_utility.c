/* ESP-IDF's bootloader decisions: the table it reads, the slot it starts from, the order it tries. */
#include <string.h>

#include "bootloader_common.h"
#include "bootloader_flash_priv.h"
#include "esp_log.h"
#include "portls_boot.h"

static const char *TAG = "boot";

static void note_partition(bootloader_state_t *bs, const esp_partition_info_t *p)
{
    if (p->type == PART_TYPE_DATA && p->subtype == PART_SUBTYPE_DATA_OTA) {
        bs->ota_info = p->pos;
    } else if (p->type != PART_TYPE_APP) {
        return;
    } else if (p->subtype == PART_SUBTYPE_FACTORY) {
        bs->factory = p->pos;
    } else if (p->subtype == PART_SUBTYPE_TEST) {
        bs->test = p->pos;
    } else if ((p->subtype & ~PART_SUBTYPE_OTA_MASK) == PART_SUBTYPE_OTA_FLAG) {
        bs->ota[p->subtype & PART_SUBTYPE_OTA_MASK] = p->pos;
        bs->app_count++;
    }
}

bool bootloader_utility_load_partition_table(bootloader_state_t *bs)
{
    memset(bs, 0, sizeof(*bs));
    const esp_partition_info_t *partitions = bootloader_mmap(ESP_PARTITION_TABLE_OFFSET, ESP_PARTITION_TABLE_MAX_LEN);
    if (partitions == NULL) {
        ESP_LOGE(TAG, "bootloader_mmap(0x%x, 0x%x) failed", ESP_PARTITION_TABLE_OFFSET, ESP_PARTITION_TABLE_MAX_LEN);
        return false;
    }
    int num_partitions;
    if (esp_partition_table_verify(partitions, true, &num_partitions) != ESP_OK) {
        ESP_LOGE(TAG, "Failed to verify partition table");
        return false;
    }
    ESP_LOGD(TAG, "Partition Table:");
    ESP_LOGD(TAG, "## Label            Type ST Offset   Length");
    for (int i = 0; i < num_partitions; i++) {
        const esp_partition_info_t *p = &partitions[i];
        note_partition(bs, p);
        ESP_LOGD(TAG, "%2d %-16.16s %02x %02x %08" PRIx32 " %08" PRIx32, i, (const char *)p->label, p->type, p->subtype,
                 p->pos.offset, p->pos.size);
    }
    bootloader_munmap(partitions);
    ESP_LOGD(TAG, "End of partition table");
    return true;
}

static bool crc_ok(const esp_ota_select_entry_t *s)
{
    return s->ota_seq != UINT32_MAX && s->crc == bootloader_common_ota_select_crc(s);
}

/* Otadata says nothing (or there is no OTA slot): factory, else ota_0. */
static void plan_default(const bootloader_state_t *bs, portls_boot_plan_t *plan)
{
    if (bs->factory.offset != 0) {
        plan->note = "Defaulting to factory image";
        plan->start_index = FACTORY_INDEX;
        return;
    }
    plan->note = "No factory image, trying OTA 0";
    plan->start_index = 0;
    plan->initial = !crc_ok(&plan->otadata[0]) && !crc_ok(&plan->otadata[1]);
}

static void plan_active(const bootloader_state_t *bs, bool rollback, portls_boot_plan_t *plan)
{
    int active = bootloader_common_get_active_otadata(plan->otadata);
    if (active == -1) {
        plan->note = bs->factory.offset != 0 ? "ota data partition invalid, falling back to factory"
                                             : "ota data partition invalid and no factory, will try all partitions";
        plan->note_is_error = true;
        plan->start_index = FACTORY_INDEX;
        return;
    }
    esp_ota_select_entry_t *entry = &plan->otadata[active];
    plan->start_index = (int)((entry->ota_seq - 1) % bs->app_count);
    if (rollback && entry->ota_state == ESP_OTA_IMG_NEW) {
        entry->ota_state = ESP_OTA_IMG_PENDING_VERIFY;
        plan->write[active] = true;
    }
}

void portls_boot_plan(const bootloader_state_t *bs, const esp_ota_select_entry_t otadata[2], bool rollback,
                      portls_boot_plan_t *plan)
{
    memset(plan, 0, sizeof(*plan));
    plan->start_index = FACTORY_INDEX;
    if (bs->ota_info.offset == 0) {
        return;
    }
    memcpy(plan->otadata, otadata, sizeof(plan->otadata));
    for (int i = 0; rollback && i < 2; i++) {
        if (plan->otadata[i].ota_state == ESP_OTA_IMG_PENDING_VERIFY) {
            plan->otadata[i].ota_state = ESP_OTA_IMG_ABORTED;
            plan->write[i] = true;
        }
    }
    bool blank = bootloader_common_ota_select_invalid(&plan->otadata[0]) &&
                 bootloader_common_ota_select_invalid(&plan->otadata[1]);
    if (blank || bs->app_count == 0) {
        plan_default(bs, plan);
    } else {
        plan_active(bs, rollback, plan);
    }
}

static esp_partition_pos_t index_to_partition(const bootloader_state_t *bs, int index)
{
    if (index == FACTORY_INDEX) {
        return bs->factory;
    }
    if (index == TEST_APP_INDEX) {
        return bs->test;
    }
    if (index >= 0 && index < MAX_OTA_SLOTS && index < (int)bs->app_count) {
        return bs->ota[index];
    }
    esp_partition_pos_t none = { 0 };
    return none;
}

static void log_not_bootable(int index, esp_image_load_mode_t mode)
{
    if (mode == ESP_IMAGE_VERIFY_SILENT) {
        return;
    }
    if (index == FACTORY_INDEX) {
        ESP_LOGE(TAG, "Factory app partition is not bootable");
    } else {
        ESP_LOGE(TAG, "OTA app partition slot %d is not bootable", index);
    }
}

/* The candidate at index, if it exists: true when its image verifies. */
static bool try_load(const bootloader_state_t *bs, int index, esp_image_load_mode_t mode)
{
    esp_partition_pos_t part = index_to_partition(bs, index);
    if (part.size == 0) {
        return false;
    }
    esp_image_metadata_t data;
    if (esp_image_verify(mode, &part, &data) == ESP_OK) {
        if (mode != ESP_IMAGE_VERIFY_SILENT) {
            ESP_LOGI(TAG, "Loaded app from partition at offset 0x%" PRIx32, part.offset);
        }
        return true;
    }
    log_not_bootable(index, mode);
    return false;
}

int portls_boot_pick(const bootloader_state_t *bs, int start_index, esp_image_load_mode_t mode)
{
    for (int index = start_index; index >= FACTORY_INDEX; index--) {
        if (try_load(bs, index, mode)) {
            return index;
        }
    }
    for (int index = start_index + 1; index < (int)bs->app_count; index++) {
        if (try_load(bs, index, mode)) {
            return index;
        }
    }
    if (bs->test.size != 0 && esp_image_verify(mode, &bs->test, &(esp_image_metadata_t) { 0 }) == ESP_OK) {
        if (mode != ESP_IMAGE_VERIFY_SILENT) {
            ESP_LOGW(TAG, "Falling back to test app as only bootable partition");
        }
        return TEST_APP_INDEX;
    }
    if (mode != ESP_IMAGE_VERIFY_SILENT) {
        ESP_LOGE(TAG, "No bootable app partitions in the partition table");
    }
    return INVALID_INDEX;
}
