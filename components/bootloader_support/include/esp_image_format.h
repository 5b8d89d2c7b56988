/*
 * esp_image_format.h: checking app images in flash, as ESP-IDF v5.5's app-side
 * esp_image_verify() does.
 *
 * The checks, in ESP-IDF's order, each failure with ESP-IDF's log line (tag esp_image or
 * boot_comm; not in ESP_IMAGE_VERIFY_SILENT mode):
 *  1. the partition is at most 16 MiB (chips with a 32-bit flash map: no limit);
 *  2. the magic byte 0xE9; the chip id (CONFIG_IDF_FIRMWARE_CHIP_ID) and revision
 *     (PORTLS_CHIP_REVISION between min_chip_rev_full and max_chip_rev_full); at most 16 segments;
 *  3. each segment: a length that is a multiple of 4 and below 16 MiB; on chips with a
 *     configurable MMU page size, an app descriptor at the start of segment 0; a flash-mapped
 *     segment's data at the same offset within an MMU page as its load address;
 *  4. the XOR checksum; 5. the image (and its hash) fits the partition; 6. the appended SHA-256.
 * The image is read from the emulated flash, which may extend past the partition; bytes past the
 * end of the flash file are a read failure. eFuse block revisions are not checked (portls
 * emulates no eFuses).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "esp_app_format.h"
#include "esp_err.h"
#include "esp_flash_partitions.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ESP_ERR_IMAGE_BASE 0x2000
#define ESP_ERR_IMAGE_FLASH_FAIL (ESP_ERR_IMAGE_BASE + 1) /*!< the flash could not be read */
#define ESP_ERR_IMAGE_INVALID (ESP_ERR_IMAGE_BASE + 2)    /*!< the image is not valid */

#define ESP_IMAGE_HASH_LEN 32 /*!< the appended SHA-256 */

/** What was read of an image; all zero after a failed check. */
typedef struct {
    uint32_t start_addr;        /*!< the image's flash address */
    esp_image_header_t image;
    esp_image_segment_header_t segments[ESP_IMAGE_MAX_SEGMENTS];
    uint32_t segment_data[ESP_IMAGE_MAX_SEGMENTS]; /*!< flash address of each segment's data */
    uint32_t image_len;         /*!< bytes in flash: header to checksum, and the hash if appended */
    uint8_t image_digest[32];   /*!< the appended SHA-256 */
    uint32_t secure_version;    /*!< 0: portls does not do anti-rollback */
    uint32_t mmu_page_size;     /*!< the flash MMU page size the image was built for */
} esp_image_metadata_t;

typedef enum {
    ESP_IMAGE_VERIFY,        /*!< check and log why an image fails */
    ESP_IMAGE_VERIFY_SILENT, /*!< check without logging */
} esp_image_load_mode_t;

/**
 * Checks the image at part->offset as described above. Reading it maps the flash file if that
 * has not happened (esp_private/partition_linux.h).
 * @param data filled in on success, zeroed on failure
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL, or a partition over 16 MiB); ESP_ERR_IMAGE_INVALID
 *         (a check failed; ESP_FAIL for the chip id or revision, and for a missing app descriptor,
 *         as ESP-IDF returns); ESP_ERR_IMAGE_FLASH_FAIL or ESP_FAIL (the image runs past the end
 *         of flash); the mapping's error when the flash file cannot be mapped
 */
esp_err_t esp_image_verify(esp_image_load_mode_t mode, const esp_partition_pos_t *part, esp_image_metadata_t *data);

/**
 * Reads an image's layout (header, segments, length, appended digest) without checking its
 * contents, as ESP-IDF does for esp_partition_get_sha256().
 * @return ESP_OK; ESP_ERR_INVALID_ARG; ESP_ERR_IMAGE_INVALID (the layout does not fit the
 *         partition); read errors as esp_image_verify()
 */
esp_err_t esp_image_get_metadata(const esp_partition_pos_t *part, esp_image_metadata_t *metadata);

/** The bytes a header's spi_size stands for; 0 for a value out of range. */
int esp_image_get_flash_size(esp_image_flash_size_t app_flash_size);

#ifdef __cplusplus
}
#endif
