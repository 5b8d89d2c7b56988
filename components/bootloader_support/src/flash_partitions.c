/* The partition table: ESP-IDF's bootloader check, and the binary form gen_esp32part.py writes. */
#include <string.h>

#include "esp_flash_partitions.h"
#include "esp_log.h"
#include "flash_file.h"
#include "mbedtls/md5.h"
#include "portls_format.h"

static const char *TAG = "flash_parts";

void portls_partition_table_md5(const esp_partition_info_t *entries, size_t count, uint8_t digest[16])
{
    mbedtls_md5((const unsigned char *)entries, count * sizeof(esp_partition_info_t), digest);
}

static bool is_terminator(const esp_partition_info_t *part)
{
    return part->magic == 0xFFFF && part->type == PART_TYPE_END && part->subtype == PART_SUBTYPE_END;
}

/* One entry of the table: its position in flash. */
static esp_err_t check_entry(const esp_partition_info_t *part, size_t index, bool log_errors)
{
    uint32_t chip_size = (uint32_t)flash_file_size();
    const esp_partition_pos_t *pos = &part->pos;
    if (pos->offset > chip_size || pos->size > chip_size - pos->offset) {
        if (log_errors) {
            ESP_LOGE(TAG, "partition %u invalid - offset 0x%" PRIx32 " size 0x%" PRIx32 " exceeds flash chip size 0x%" PRIx32,
                     (unsigned)index, pos->offset, pos->size, chip_size);
        }
        return ESP_ERR_INVALID_SIZE;
    }
    return ESP_OK;
}

/* The MD5 entry at index: the only one, and the digest of the entries before it. */
static esp_err_t check_md5(const esp_partition_info_t *table, size_t index, bool *md5_found, bool log_errors)
{
    if (*md5_found) {
        if (log_errors) {
            ESP_LOGE(TAG, "Only one MD5 checksum is allowed");
        }
        return ESP_ERR_INVALID_STATE;
    }
    uint8_t digest[16];
    portls_partition_table_md5(table, index, digest);
    if (memcmp((const uint8_t *)&table[index] + ESP_PARTITION_MD5_OFFSET, digest, sizeof(digest)) != 0) {
        if (log_errors) {
            ESP_LOGE(TAG, "Incorrect MD5 checksum");
        }
        return ESP_ERR_INVALID_STATE;
    }
    *md5_found = true;
    return ESP_OK;
}

esp_err_t esp_partition_table_verify(const esp_partition_info_t *partition_table, bool log_errors, int *num_partitions)
{
    bool md5_found = false;
    *num_partitions = 0;
    for (size_t i = 0; i < ESP_PARTITION_TABLE_MAX_ENTRIES; i++) {
        const esp_partition_info_t *part = &partition_table[i];
        esp_err_t err;
        if (part->magic == ESP_PARTITION_MAGIC) {
            err = check_entry(part, i, log_errors);
        } else if (part->magic == ESP_PARTITION_MAGIC_MD5) {
            err = check_md5(partition_table, i, &md5_found, log_errors);
        } else if (i != 0 && is_terminator(part)) {
            *num_partitions = (int)i - (md5_found ? 1 : 0);
            return ESP_OK;
        } else {
            if (log_errors) {
                ESP_LOGE(TAG, "partition %u invalid magic number 0x%x", (unsigned)i, part->magic);
            }
            err = ESP_ERR_INVALID_STATE;
        }
        if (err != ESP_OK) {
            return err;
        }
    }
    if (log_errors) {
        ESP_LOGE(TAG, "partition table has no terminating entry, not valid");
    }
    return ESP_ERR_INVALID_STATE;
}

esp_err_t portls_partition_table_build(const esp_partition_info_t *entries, size_t count, bool md5,
                                       uint8_t out[ESP_PARTITION_TABLE_MAX_LEN])
{
    if (out == NULL || (entries == NULL && count > 0)) {
        return ESP_ERR_INVALID_ARG;
    }
    if ((count + (md5 ? 1 : 0)) * sizeof(esp_partition_info_t) >= ESP_PARTITION_TABLE_MAX_LEN) {
        return ESP_ERR_INVALID_SIZE;
    }
    memset(out, 0xFF, ESP_PARTITION_TABLE_MAX_LEN);
    if (count > 0) {
        memcpy(out, entries, count * sizeof(esp_partition_info_t));
    }
    if (md5) {
        uint8_t *md5_entry = out + count * sizeof(esp_partition_info_t);
        md5_entry[0] = 0xEB;
        md5_entry[1] = 0xEB;
        portls_partition_table_md5(entries, count, md5_entry + ESP_PARTITION_MD5_OFFSET);
    }
    return ESP_OK;
}
