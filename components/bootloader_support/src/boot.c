/* The simulated bootloader's run: once per flash mapping (a power-on), before the app's first
 * partition call; and the running app's descriptor. */
#include <pthread.h>
#include <string.h>

#include "bootloader_common.h"
#include "esp_app_desc.h"
#include "esp_log.h"
#include "esp_private/partition_linux.h"
#include "flash_file.h"
#include "portls_boot.h"
#include "sdkconfig.h"

static const char *TAG = "boot";

#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
#define ROLLBACK true
#else
#define ROLLBACK false
#endif

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static portls_boot_t s_boot = { .index = INVALID_INDEX };

static void write_otadata(const bootloader_state_t *bs, int sector, const esp_ota_select_entry_t *entry)
{
    esp_err_t err = portls_otadata_write(&bs->ota_info, sector, entry);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "Error in write_otadata operation. err = 0x%x", err);
    }
}

/* Steps 2 and 3 (portls_boot.h): the plan, and its otadata rewrites.
 * @return false when otadata cannot be read (ESP-IDF's bootloader resets then) */
static bool select_partition(const bootloader_state_t *bs, portls_boot_plan_t *plan)
{
    esp_ota_select_entry_t otadata[2] = { 0 };
    if (bs->ota_info.offset != 0 && bootloader_common_read_otadata(&bs->ota_info, otadata) != ESP_OK) {
        return false;
    }
    portls_boot_plan(bs, otadata, ROLLBACK, plan);
    if (plan->note != NULL && plan->note_is_error) {
        ESP_LOGE(TAG, "%s", plan->note);
    } else if (plan->note != NULL) {
        ESP_LOGI(TAG, "%s", plan->note);
    }
    for (int i = 0; i < 2; i++) {
        if (plan->write[i]) {
            write_otadata(bs, i, &plan->otadata[i]);
        }
    }
    return true;
}

/* When otadata was blank and there is no factory, the slot that booted gets its seq. */
static void set_actual_ota_seq(const bootloader_state_t *bs, int index)
{
    esp_ota_select_entry_t entry;
    memset(&entry, 0xFF, sizeof(entry));
    entry.ota_seq = (uint32_t)index + 1;
    entry.ota_state = ESP_OTA_IMG_VALID;
    entry.crc = bootloader_common_ota_select_crc(&entry);
    write_otadata(bs, 0, &entry);
    ESP_LOGI(TAG, "Set actual ota_seq=%" PRIu32 " in otadata[0]", entry.ota_seq);
}

static void record(const bootloader_state_t *bs, int index)
{
    esp_partition_pos_t pos = index == FACTORY_INDEX ? bs->factory : index == TEST_APP_INDEX ? bs->test : bs->ota[index];
    s_boot.index = index;
    s_boot.pos = pos;
    if (bootloader_common_get_partition_description(&pos, &s_boot.app_desc) != ESP_OK) {
        memset(&s_boot.app_desc, 0, sizeof(s_boot.app_desc));
    }
}

static void boot(void)
{
    bootloader_state_t bs;
    portls_boot_plan_t plan;
    memset(&s_boot, 0, sizeof(s_boot));
    s_boot.index = INVALID_INDEX;
    s_boot.generation = flash_file_generation();
    if (!bootloader_utility_load_partition_table(&bs)) {
        ESP_LOGE(TAG, "load partition table error!");
        return;
    }
    if (!select_partition(&bs, &plan)) {
        return;
    }
    int index = portls_boot_pick(&bs, plan.start_index, ESP_IMAGE_VERIFY);
    if (index == INVALID_INDEX) {
        return;
    }
    if (plan.initial && index >= 0) {
        set_actual_ota_seq(&bs, index);
    }
    record(&bs, index);
}

esp_err_t portls_boot_get(const portls_boot_t **out)
{
    if (out == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    pthread_mutex_lock(&s_lock);
    esp_err_t err = esp_partition_file_mmap(NULL);
    if (err == ESP_OK && s_boot.generation != flash_file_generation()) {
        boot();
    }
    pthread_mutex_unlock(&s_lock);
    *out = &s_boot;
    return err;
}

const esp_app_desc_t *esp_app_get_description(void)
{
    static const esp_app_desc_t none;
    const portls_boot_t *b;
    if (portls_boot_get(&b) != ESP_OK || b->index == INVALID_INDEX) {
        return &none;
    }
    return &b->app_desc;
}

int esp_app_get_elf_sha256(char *dst, size_t size)
{
    if (dst == NULL || size < 2) {
        return 0;
    }
    static const char hex[] = "0123456789abcdef";
    const uint8_t *sha = esp_app_get_description()->app_elf_sha256;
    size_t n = size < CONFIG_APP_RETRIEVE_LEN_ELF_SHA + 1 ? size : CONFIG_APP_RETRIEVE_LEN_ELF_SHA + 1;
    for (size_t i = 0; i + 1 < n; i++) {
        dst[i] = hex[(sha[i / 2] >> (i % 2 ? 0 : 4)) & 0xF];
    }
    dst[n - 1] = '\0';
    return (int)n;
}
