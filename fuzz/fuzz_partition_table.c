/* libFuzzer target for the partition table: the input as the table sector of the emulated flash,
 * read by the bootloader (esp_partition_table_verify, bootloader_utility_load_partition_table,
 * its choice and fallback order over otadata from the input's tail) and by the app (esp_partition's
 * loader with its MD5 check, then every lookup). */
#include <stdlib.h>
#include <string.h>

#include "bootloader_flash_priv.h"
#include "esp_partition.h"
#include "fuzz_flash.h"
#include "portls_boot.h"

#define FLASH_SIZE 0x40000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void bootloader_view(const uint8_t *data, size_t size)
{
    const esp_partition_info_t *table = bootloader_mmap(ESP_PARTITION_TABLE_OFFSET, ESP_PARTITION_TABLE_MAX_LEN);
    int n;
    bool ok = esp_partition_table_verify(table, false, &n) == ESP_OK;
    bootloader_state_t bs;
    if (bootloader_utility_load_partition_table(&bs) != ok || bs.app_count > MAX_OTA_SLOTS) {
        abort();
    }
    if (!ok) {
        return;
    }
    esp_ota_select_entry_t otadata[2];
    size_t tail = size < sizeof(otadata) ? size : sizeof(otadata);
    memset(otadata, 0xFF, sizeof(otadata));
    memcpy(otadata, data + size - tail, tail);
    portls_boot_plan_t plan;
    portls_boot_plan(&bs, otadata, size % 2 == 0, &plan);
    if (plan.start_index < FACTORY_INDEX || plan.start_index >= MAX_OTA_SLOTS) {
        abort();
    }
    int index = portls_boot_pick(&bs, plan.start_index, ESP_IMAGE_VERIFY_SILENT);
    if (index != INVALID_INDEX && (index < TEST_APP_INDEX || index >= (int)bs.app_count)) {
        abort();
    }
}

static void app_view(void)
{
    esp_partition_unload_all();
    esp_partition_iterator_t it = esp_partition_find(ESP_PARTITION_TYPE_ANY, ESP_PARTITION_SUBTYPE_ANY, NULL);
    for (; it != NULL; it = esp_partition_next(it)) {
        const esp_partition_t *p = esp_partition_get(it);
        if (p->label[16] != '\0' || esp_partition_verify(p) == NULL) {
            abort();
        }
        uint8_t byte;
        esp_partition_read(p, 0, &byte, p->size > 0 ? 1 : 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool started;
    if (!started) {
        fuzz_flash_start(FLASH_SIZE, 0x10000);
        started = true;
    }
    if (size > ESP_PARTITION_TABLE_SIZE) {
        return 0;
    }
    fuzz_flash_put(ESP_PARTITION_TABLE_OFFSET, data, size);
    bootloader_view(data, size);
    app_view();
    return 0;
}
