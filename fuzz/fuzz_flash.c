#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootloader_flash_priv.h"
#include "esp_log.h"
#include "esp_private/partition_linux.h"
#include "fuzz_flash.h"
#include "portls_format.h"

void fuzz_flash_start(size_t size, uint32_t app_size)
{
    char path[] = "/tmp/portls-fuzz-flash-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
        abort();
    }
    close(fd);
    esp_log_level_set("*", ESP_LOG_NONE);
    esp_partition_file_mmap_ctrl_t *in = esp_partition_get_file_mmap_ctrl_input();
    strcpy(in->flash_file_name, path);
    esp_partition_info_t app = { .magic = ESP_PARTITION_MAGIC, .type = PART_TYPE_APP, .pos = { 0x10000, app_size } };
    memcpy(app.label, "factory", 8);
    uint8_t table[ESP_PARTITION_TABLE_MAX_LEN];
    if (esp_partition_file_mmap(NULL) != ESP_OK || bootloader_flash_erase_range(0, (uint32_t)size) != ESP_OK ||
        portls_partition_table_build(&app, 1, true, table) != ESP_OK ||
        bootloader_flash_write(ESP_PARTITION_TABLE_OFFSET, table, sizeof(table), false) != ESP_OK) {
        abort();
    }
    unlink(path);
}

void fuzz_flash_put(uint32_t offset, const uint8_t *data, size_t len)
{
    uint32_t start = offset & ~0xFFFU;
    uint32_t end = (uint32_t)(offset + len + 0xFFF) & ~0xFFFU;
    if (bootloader_flash_erase_range(start, end - start) != ESP_OK ||
        (len > 0 && bootloader_flash_write(offset, data, len, false) != ESP_OK)) {
        abort();
    }
}
