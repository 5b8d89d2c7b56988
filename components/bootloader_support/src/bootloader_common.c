/* What ESP-IDF's bootloader and app share: the otadata rules, the chip checks, partition digests. */
#include <string.h>

#include "bootloader_common.h"
#include "bootloader_flash_priv.h"
#include "esp_image_format.h"
#include "esp_log.h"
#include "esp_rom_crc.h"
#include "image_check.h"
#include "mbedtls/sha256.h"
#include "portls_format.h"

static const char *TAG = "boot_comm";

#define SECTOR_SIZE 0x1000

uint32_t bootloader_common_ota_select_crc(const esp_ota_select_entry_t *s)
{
    return esp_rom_crc32_le(UINT32_MAX, (const uint8_t *)&s->ota_seq, sizeof(s->ota_seq));
}

bool bootloader_common_ota_select_invalid(const esp_ota_select_entry_t *s)
{
    return s->ota_seq == UINT32_MAX || s->ota_state == ESP_OTA_IMG_INVALID || s->ota_state == ESP_OTA_IMG_ABORTED;
}

bool bootloader_common_ota_select_valid(const esp_ota_select_entry_t *s)
{
    return !bootloader_common_ota_select_invalid(s) && s->crc == bootloader_common_ota_select_crc(s);
}

int bootloader_common_select_otadata(const esp_ota_select_entry_t *two_otadata, bool *valid_two_otadata, bool max)
{
    if (two_otadata == NULL || valid_two_otadata == NULL) {
        return -1;
    }
    if (!valid_two_otadata[0] || !valid_two_otadata[1]) {
        return valid_two_otadata[0] ? 0 : valid_two_otadata[1] ? 1 : -1;
    }
    uint32_t a = two_otadata[0].ota_seq;
    uint32_t b = two_otadata[1].ota_seq;
    return (max ? a >= b : a <= b) ? 0 : 1; /* a tie goes to sector 0 */
}

int bootloader_common_get_active_otadata(esp_ota_select_entry_t *two_otadata)
{
    if (two_otadata == NULL) {
        return -1;
    }
    bool valid[2] = {
        bootloader_common_ota_select_valid(&two_otadata[0]),
        bootloader_common_ota_select_valid(&two_otadata[1]),
    };
    return bootloader_common_select_otadata(two_otadata, valid, true);
}

esp_err_t bootloader_common_read_otadata(const esp_partition_pos_t *ota_info, esp_ota_select_entry_t *two_otadata)
{
    if (ota_info->offset == 0) {
        return ESP_ERR_NOT_FOUND;
    }
    if (ota_info->size < 2 * SECTOR_SIZE) {
        ESP_LOGE(TAG, "ota_info partition size %" PRIu32 " is too small (minimum %d bytes)", ota_info->size, 2 * SECTOR_SIZE);
        return ESP_FAIL;
    }
    const uint8_t *map = bootloader_mmap(ota_info->offset, ota_info->size);
    if (map == NULL) {
        ESP_LOGE(TAG, "bootloader_mmap(0x%" PRIx32 ", 0x%" PRIx32 ") failed", ota_info->offset, ota_info->size);
        return ESP_FAIL;
    }
    memcpy(&two_otadata[0], map, sizeof(esp_ota_select_entry_t));
    memcpy(&two_otadata[1], map + SECTOR_SIZE, sizeof(esp_ota_select_entry_t));
    bootloader_munmap(map);
    return ESP_OK;
}

bool bootloader_common_check_chip_revision_validity(const esp_image_header_t *image_header, bool check_max_revision)
{
    return image_header != NULL && image_check_chip(image_header, false, check_max_revision) == ESP_OK;
}

esp_err_t bootloader_common_check_chip_validity(const esp_image_header_t *img_hdr, esp_image_type type)
{
    return image_check_chip(img_hdr, true, type == ESP_IMAGE_APPLICATION);
}

static esp_err_t sha256_of_flash(uint32_t address, uint32_t size, uint8_t *out)
{
    const uint8_t *data = bootloader_mmap(address, size);
    if (data == NULL) {
        return ESP_FAIL;
    }
    mbedtls_sha256(data, size, out, 0);
    bootloader_munmap(data);
    return ESP_OK;
}

esp_err_t bootloader_common_get_sha256_of_partition(uint32_t address, uint32_t size, int type, uint8_t *out_sha_256)
{
    if (out_sha_256 == NULL || size == 0) {
        return ESP_ERR_INVALID_ARG;
    }
    if (type != PART_TYPE_APP && type != PART_TYPE_BOOTLOADER) {
        return sha256_of_flash(address, size, out_sha_256);
    }
    const esp_partition_pos_t pos = { .offset = address, .size = size };
    esp_image_metadata_t data;
    if (esp_image_get_metadata(&pos, &data) != ESP_OK) {
        return ESP_ERR_IMAGE_INVALID;
    }
    if (!data.image.hash_appended) {
        return sha256_of_flash(address, data.image_len, out_sha_256);
    }
    uint8_t calc[32];
    if (sha256_of_flash(address, data.image_len - ESP_IMAGE_HASH_LEN, calc) != ESP_OK ||
        memcmp(calc, data.image_digest, sizeof(calc)) != 0) {
        return ESP_ERR_IMAGE_INVALID;
    }
    memcpy(out_sha_256, data.image_digest, sizeof(calc));
    return ESP_OK;
}

esp_err_t bootloader_common_get_partition_description(const esp_partition_pos_t *partition, esp_app_desc_t *app_desc)
{
    if (partition == NULL || app_desc == NULL || partition->offset == 0) {
        return ESP_ERR_INVALID_ARG;
    }
    const uint32_t desc_offset = sizeof(esp_image_header_t) + sizeof(esp_image_segment_header_t);
    const uint8_t *image = bootloader_mmap(partition->offset, desc_offset + sizeof(esp_app_desc_t));
    if (image == NULL) {
        ESP_LOGE(TAG, "bootloader_mmap(0x%" PRIx32 ", 0x%" PRIx32 ") failed", partition->offset,
                 (uint32_t)(desc_offset + sizeof(esp_app_desc_t)));
        return ESP_FAIL;
    }
    memcpy(app_desc, image + desc_offset, sizeof(esp_app_desc_t));
    bootloader_munmap(image);
    return app_desc->magic_word == ESP_APP_DESC_MAGIC_WORD ? ESP_OK : ESP_ERR_NOT_FOUND;
}
