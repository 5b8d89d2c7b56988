/*
 * esp_private/partition_linux.h: the flash chip of portls, a flash image file, controlled with the
 * calls of ESP-IDF v5.5's linux target.
 *
 * The file is named by esp_partition_get_file_mmap_ctrl_input()->flash_file_name or, when that is
 * empty, by the environment variable PORTLS_FLASH; `portls flash create` makes one. Unlike
 * ESP-IDF, portls never makes a temporary flash: without a name the calls that need the flash
 * fail, with a log line that says how to name one. The whole file is mapped shared, so other
 * processes (another run of the program, the portls tool) see every write at once.
 *
 * The flash behaves as NOR flash: erased bytes are 0xFF, a write ANDs its bytes into flash, and
 * erases work on whole ESP_PARTITION_EMULATED_SECTOR_SIZE sectors. With
 * CONFIG_ESP_PARTITION_ERASE_CHECK a write that would turn a 0 bit into 1 logs "invalid flash
 * operation detected" and fails with ESP_ERR_FLASH_OP_FAIL at that byte; the bytes before it are
 * written. These rules hold for every write: esp_partition's, the simulated bootloader's, and
 * bootloader_flash_write()'s.
 *
 * This header lives in bootloader_support because the flash is below the bootloader, which runs
 * before anything else touches it (portls_boot.h); esp_partition builds on it.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ESP_PARTITION_EMULATED_SECTOR_SIZE 0x1000        /*!< the erase unit */
#define ESP_PARTITION_DEFAULT_EMULATED_FLASH_SIZE 0x400000 /*!< 4 MiB, portls flash create's default */

#define ESP_PARTITION_FAIL_AFTER_MODE_ERASE 0x01 /*!< erases count towards the power cut */
#define ESP_PARTITION_FAIL_AFTER_MODE_WRITE 0x02 /*!< writes count */
#define ESP_PARTITION_FAIL_AFTER_MODE_BOTH 0x03

typedef struct {
    char flash_file_name[PATH_MAX];     /*!< the flash image file to map */
    size_t flash_file_size;             /*!< must stay 0: the size is the file's */
    char partition_file_name[PATH_MAX]; /*!< must stay empty: portls does not build a flash */
    bool remove_dump;                   /*!< delete the file at esp_partition_file_munmap() */
} esp_partition_file_mmap_ctrl_t;

/**
 * What the caller asks for: set flash_file_name before the first flash access. Cleared by a
 * successful mapping, as in ESP-IDF. Not thread-safe: set it before starting threads.
 */
esp_partition_file_mmap_ctrl_t *esp_partition_get_file_mmap_ctrl_input(void);

/** What is in use: the mapped file's name and size (all zero while nothing is mapped). */
esp_partition_file_mmap_ctrl_t *esp_partition_get_file_mmap_ctrl_act(void);

/**
 * Maps the flash image file (once; later calls return the same mapping). The file must exist,
 * be a multiple of 4 KiB and hold the partition table sector. Each new mapping is a power-on:
 * the simulated bootloader runs again at the next partition call (portls_boot.h). Thread-safe.
 * @param[out] part_desc_addr_start where flash offset 0 is mapped
 * @return ESP_OK; ESP_ERR_NOT_FOUND (no file named: see above, or it cannot be opened);
 *         ESP_ERR_INVALID_ARG (a size or partition file was given with the name, as in ESP-IDF);
 *         ESP_ERR_INVALID_SIZE (the file is too small or not whole sectors);
 *         ESP_ERR_NOT_FINISHED (it cannot be mapped)
 */
esp_err_t esp_partition_file_mmap(const uint8_t **part_desc_addr_start);

/**
 * Unmaps the flash (the input's remove_dump, set after mapping, also deletes the file). While
 * nothing is mapped, partition reads and writes fail. The first partition call after the next
 * mapping loads the table again and frees the old partitions, as ESP-IDF's esp_partition_file_munmap()
 * frees them.
 * @return ESP_OK; ESP_ERR_NO_MEM (nothing is mapped, as in ESP-IDF); ESP_ERR_INVALID_RESPONSE
 *         (munmap, close or remove failed)
 */
esp_err_t esp_partition_file_munmap(void);

/**
 * Power-cut emulation (ESP-IDF's, always available on portls). After count more cycles the power
 * goes off: a write costs one cycle per whole 4 bytes, an erase one per sector, and only the
 * operations that mode names count. The operation that runs out writes the bytes (or erases the
 * sectors) it had cycles for and fails with ESP_ERR_FLASH_OP_FAIL; so do all later operations of
 * the kinds mode names until the next call, as after a real power loss (MODE_BOTH: every write
 * and erase; the power-cut walks use it). (ESP-IDF v5.5 ignores mode and lets
 * later operations succeed.) SIZE_MAX turns the emulation off. Thread-safe.
 * @param mode ESP_PARTITION_FAIL_AFTER_MODE_*
 */
void esp_partition_fail_after(size_t count, uint8_t mode);

#ifdef __cplusplus
}
#endif
