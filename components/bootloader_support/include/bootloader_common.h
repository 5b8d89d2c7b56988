/*
 * bootloader_common.h: the otadata rules and image checks that ESP-IDF v5.5's bootloader and
 * app share (bootloader_common_*), on the emulated flash.
 *
 * otadata: two esp_ota_select_entry_t, one at the start of each 4 KiB sector of the data/ota
 * partition. An entry is invalid when its seq is 0xFFFFFFFF or its state is INVALID or ABORTED;
 * valid when it is not invalid and its crc is bootloader_common_ota_select_crc(). The active
 * entry is the valid one with the higher seq; on a tie, sector 0's.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "esp_app_desc.h"
#include "esp_app_format.h"
#include "esp_err.h"
#include "esp_flash_partitions.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Which rules an image is checked by: a bootloader's skip the maximum chip revision. */
typedef enum {
    ESP_IMAGE_BOOTLOADER,
    ESP_IMAGE_APPLICATION
} esp_image_type;

/**
 * The emulated chip's revision (PORTLS_CHIP_REVISION) against the image's min_chip_rev_full, and
 * if check_max_revision, max_chip_rev_full (0 and 65535 mean no limit). Logs why it fails
 * ("chip revision check failed. Required >= v%d.%d, found v%d.%d.").
 * @return true if the chip may run the image; false also for a NULL header
 */
bool bootloader_common_check_chip_revision_validity(const esp_image_header_t *image_header, bool check_max_revision);

/**
 * The chip id (CONFIG_IDF_FIRMWARE_CHIP_ID; "mismatch chip ID, expected %d, found %d"), then the
 * revision, the maximum only for ESP_IMAGE_APPLICATION.
 * @return ESP_OK, or ESP_FAIL with the reason logged
 */
esp_err_t bootloader_common_check_chip_validity(const esp_image_header_t *img_hdr, esp_image_type type);

/**
 * Reads the two otadata entries of the partition at ota_info.
 * @param[out] two_otadata two entries
 * @return ESP_OK; ESP_ERR_NOT_FOUND (ota_info->offset is 0: no otadata); ESP_FAIL (the
 *         partition is smaller than two sectors, or lies outside the flash)
 */
esp_err_t bootloader_common_read_otadata(const esp_partition_pos_t *ota_info, esp_ota_select_entry_t *two_otadata);

/** The CRC an entry must carry: zlib's CRC-32 of the 4 bytes of ota_seq, started from
 *  0xFFFFFFFF (esp_rom_crc32_le(UINT32_MAX, ...)); seq 1 gives 0x4743989A. */
uint32_t bootloader_common_ota_select_crc(const esp_ota_select_entry_t *s);

/** True if the entry is not invalid and carries the right CRC. */
bool bootloader_common_ota_select_valid(const esp_ota_select_entry_t *s);

/** True if seq is 0xFFFFFFFF or the state is INVALID or ABORTED (the CRC is not looked at). */
bool bootloader_common_ota_select_invalid(const esp_ota_select_entry_t *s);

/** The active entry of two: 0, 1, or -1 if neither is valid (also for NULL). */
int bootloader_common_get_active_otadata(esp_ota_select_entry_t *two_otadata);

/**
 * Of the entries marked in valid_two_otadata, the one with the higher seq (max) or the lower
 * (!max); sector 0 on a tie. @return 0, 1, or -1 if none is marked (also for NULLs)
 */
int bootloader_common_select_otadata(const esp_ota_select_entry_t *two_otadata, bool *valid_two_otadata, bool max);

/**
 * SHA-256 of what a partition holds: for an app or bootloader partition the image's appended
 * digest (checked against the image's bytes) or, without one, the SHA-256 of the image; for
 * any other type, of the whole partition.
 * @param type PART_TYPE_*
 * @param[out] out_sha_256 32 bytes
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL, or size 0); ESP_ERR_IMAGE_INVALID (no image, or the
 *         digest does not match); ESP_FAIL (the range lies outside the flash)
 */
esp_err_t bootloader_common_get_sha256_of_partition(uint32_t address, uint32_t size, int type, uint8_t *out_sha_256);

/**
 * Reads the app descriptor of the image in a partition (image offset 0x20).
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL, or offset 0); ESP_ERR_NOT_FOUND (no descriptor
 *         magic there); ESP_FAIL (outside the flash)
 */
esp_err_t bootloader_common_get_partition_description(const esp_partition_pos_t *partition, esp_app_desc_t *app_desc);

#ifdef __cplusplus
}
#endif
