/*
 * bootloader_flash_priv.h: raw flash access by flash address, as ESP-IDF v5.5's bootloader has
 * it, on the emulated flash (esp_private/partition_linux.h: the NOR rules and the power-cut
 * emulation apply). Each call maps the flash file first if it is not mapped yet.
 * Encryption is not emulated: allow_decrypt is ignored, write_encrypted is refused.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A pointer to size bytes of flash at src_addr, valid until the flash is unmapped; read-only
 * (writes must go through bootloader_flash_write). NULL if the range is not inside the flash
 * or no flash can be mapped.
 */
const void *bootloader_mmap(uint32_t src_addr, uint32_t size);

/** Ends a bootloader_mmap(); nothing to do on portls. */
void bootloader_munmap(const void *mapping);

/** @return ESP_OK; ESP_ERR_INVALID_ARG (NULL dest, or the range passes the end of flash);
 *          the mapping's error */
esp_err_t bootloader_flash_read(size_t src_addr, void *dest, size_t size, bool allow_decrypt);

/**
 * ANDs size bytes into flash at dest_addr (NOR: bits only go from 1 to 0).
 * (ESP-IDF's src is not const; the bytes are only read.)
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL src, out of range); ESP_ERR_NOT_SUPPORTED
 *         (write_encrypted); ESP_ERR_FLASH_OP_FAIL (a 0 bit would become 1 with
 *         CONFIG_ESP_PARTITION_ERASE_CHECK, or the emulated power went off); the mapping's error
 */
esp_err_t bootloader_flash_write(size_t dest_addr, const void *src, size_t size, bool write_encrypted);

/** Erases one 4 KiB sector (sector number, not address). Errors as bootloader_flash_erase_range(). */
esp_err_t bootloader_flash_erase_sector(size_t sector);

/**
 * Sets whole sectors to 0xFF.
 * @return ESP_OK; ESP_ERR_INVALID_ARG (start or size not sector-aligned, or past the end of
 *         flash); ESP_ERR_FLASH_OP_FAIL (the emulated power went off: the sectors before the cut
 *         are erased); the mapping's error
 */
esp_err_t bootloader_flash_erase_range(uint32_t start_addr, uint32_t size);

#ifdef __cplusplus
}
#endif
