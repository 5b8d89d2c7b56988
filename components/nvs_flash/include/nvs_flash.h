/*
 * nvs_flash.h: ESP-IDF v5.5's NVS partition calls. A partition is a data/nvs entry of the
 * partition table on the flash image file (esp_private/partition_linux.h: PORTLS_FLASH).
 * The examples' pattern works as on a chip:
 *
 *     esp_err_t ret = nvs_flash_init();
 *     if (ret == ESP_ERR_NVS_NO_FREE_PAGES || ret == ESP_ERR_NVS_NEW_VERSION_FOUND) {
 *         ESP_ERROR_CHECK(nvs_flash_erase());
 *         ret = nvs_flash_init();
 *     }
 */
#pragma once

#include "esp_err.h"
#include "esp_partition.h"
#include "nvs.h"

#ifdef __cplusplus
extern "C" {
#endif

/** nvs_flash_init_partition(NVS_DEFAULT_PART_NAME). */
esp_err_t nvs_flash_init(void);

/**
 * Loads the NVS partition labelled partition_label: reads its pages, finishes what a power cut
 * interrupted (a half-written entry, a page being reclaimed, a value written but its old copy
 * not yet erased, a blob without its index) and keeps one page free for reclaiming space.
 * Initializing an initialized partition does nothing. The partition stays loaded until
 * nvs_flash_deinit(): deinitialize it before the flash is unmapped (esp_partition_file_munmap()).
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL, or a label longer than 16 characters);
 *         ESP_ERR_NOT_FOUND (no data/nvs partition with that label);
 *         ESP_ERR_NVS_NO_FREE_PAGES (no empty page besides the ones in use, so fewer than two
 *         pages never do);
 *         ESP_ERR_NVS_NEW_VERSION_FOUND (a page of a newer format);
 *         ESP_ERR_NO_MEM; flash errors
 */
esp_err_t nvs_flash_init_partition(const char *partition_label);

/** nvs_flash_init_partition() for a partition found already (by its label). @return as it; ESP_ERR_INVALID_ARG (NULL) */
esp_err_t nvs_flash_init_partition_ptr(const esp_partition_t *partition);

/** Closes the default partition's handles and unloads it. @return ESP_OK; ESP_ERR_NVS_NOT_INITIALIZED */
esp_err_t nvs_flash_deinit(void);

/** nvs_flash_deinit() for the partition labelled partition_name. */
esp_err_t nvs_flash_deinit_partition(const char *partition_name);

/** nvs_flash_erase_partition(NVS_DEFAULT_PART_NAME). */
esp_err_t nvs_flash_erase(void);

/**
 * Deinitializes the partition if it is initialized, then erases it whole.
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL); ESP_ERR_NOT_FOUND (no data/nvs partition with
 *         that label); esp_partition_erase_range()'s errors
 */
esp_err_t nvs_flash_erase_partition(const char *part_name);

/** nvs_flash_erase_partition() for a partition found already. @return as it; ESP_ERR_INVALID_ARG (NULL) */
esp_err_t nvs_flash_erase_partition_ptr(const esp_partition_t *partition);

#ifdef __cplusplus
}
#endif
