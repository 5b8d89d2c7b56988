/*
 * spi_flash_mmap.h: the flash error code and sector size of ESP-IDF v5.5 that the emulated flash
 * (esp_private/partition_linux.h) uses.
 */
#pragma once

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A flash write or erase failed: a bit would go from 0 to 1 without an erase
 * (CONFIG_ESP_PARTITION_ERASE_CHECK), or the emulated power went off (esp_partition_fail_after). */
#define ESP_ERR_FLASH_OP_FAIL (ESP_ERR_FLASH_BASE + 1)

#define SPI_FLASH_SEC_SIZE 4096 /*!< the erase unit */

#ifdef __cplusplus
}
#endif
