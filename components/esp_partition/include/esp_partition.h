/*
 * esp_partition.h: ESP-IDF v5.5's partition API, on the emulated flash with the semantics of
 * ESP-IDF's linux target (esp_private/partition_linux.h: the flash image file, NOR writes, 4 KiB
 * erases, power cuts).
 *
 * The table is read from the one sector at ESP_PARTITION_TABLE_OFFSET (0x8000): entries while
 * their magic is 0x50AA. With CONFIG_PARTITION_TABLE_MD5 (on, as on a chip; ESP-IDF's linux
 * target has it off) the MD5 entry must follow them and match: without it the load fails with
 * ESP_ERR_NOT_FOUND ("No MD5 found in partition table"), with a wrong digest ESP_ERR_INVALID_STATE
 * ("Partition table MD5 mismatch"). Every partition has flash_chip NULL, erase_size 0x1000,
 * encrypted false, readonly from the entry's flag.
 *
 * The first partition call of a process maps the flash and runs the simulated bootloader
 * (portls_boot.h) before it loads the table; the table is loaded once per mapping, under a lock,
 * as ESP-IDF loads it once. Calls that fail to load it log why and return NULL or the error.
 * The iterator and lookup calls are thread-safe; reads and writes are as safe as ESP-IDF's (the
 * flash is plain memory: concurrent writes to one range race).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A flash chip; portls has only the main one, which partitions name as NULL. */
typedef struct esp_flash_t esp_flash_t;

typedef enum {
    ESP_PARTITION_MMAP_DATA, /*!< map as data */
    ESP_PARTITION_MMAP_INST, /*!< map as instructions (the same on portls) */
} esp_partition_mmap_memory_t;

typedef uint32_t esp_partition_mmap_handle_t; /*!< always 0 on portls */

typedef enum {
    ESP_PARTITION_TYPE_APP = 0x00,
    ESP_PARTITION_TYPE_DATA = 0x01,
    ESP_PARTITION_TYPE_BOOTLOADER = 0x02,
    ESP_PARTITION_TYPE_PARTITION_TABLE = 0x03,
    ESP_PARTITION_TYPE_ANY = 0xff, /*!< any type, in searches */
} esp_partition_type_t;

typedef enum {
    ESP_PARTITION_SUBTYPE_BOOTLOADER_PRIMARY = 0x00,
    ESP_PARTITION_SUBTYPE_BOOTLOADER_OTA = 0x01,
    ESP_PARTITION_SUBTYPE_BOOTLOADER_RECOVERY = 0x02,

    ESP_PARTITION_SUBTYPE_PARTITION_TABLE_PRIMARY = 0x00,
    ESP_PARTITION_SUBTYPE_PARTITION_TABLE_OTA = 0x01,

    ESP_PARTITION_SUBTYPE_APP_FACTORY = 0x00,
    ESP_PARTITION_SUBTYPE_APP_OTA_MIN = 0x10,
    ESP_PARTITION_SUBTYPE_APP_OTA_0 = ESP_PARTITION_SUBTYPE_APP_OTA_MIN + 0,
    ESP_PARTITION_SUBTYPE_APP_OTA_1 = ESP_PARTITION_SUBTYPE_APP_OTA_MIN + 1,
    ESP_PARTITION_SUBTYPE_APP_OTA_2 = ESP_PARTITION_SUBTYPE_APP_OTA_MIN + 2,
    ESP_PARTITION_SUBTYPE_APP_OTA_3 = ESP_PARTITION_SUBTYPE_APP_OTA_MIN + 3,
    ESP_PARTITION_SUBTYPE_APP_OTA_4 = ESP_PARTITION_SUBTYPE_APP_OTA_MIN + 4,
    ESP_PARTITION_SUBTYPE_APP_OTA_5 = ESP_PARTITION_SUBTYPE_APP_OTA_MIN + 5,
    ESP_PARTITION_SUBTYPE_APP_OTA_6 = ESP_PARTITION_SUBTYPE_APP_OTA_MIN + 6,
    ESP_PARTITION_SUBTYPE_APP_OTA_7 = ESP_PARTITION_SUBTYPE_APP_OTA_MIN + 7,
    ESP_PARTITION_SUBTYPE_APP_OTA_8 = ESP_PARTITION_SUBTYPE_APP_OTA_MIN + 8,
    ESP_PARTITION_SUBTYPE_APP_OTA_9 = ESP_PARTITION_SUBTYPE_APP_OTA_MIN + 9,
    ESP_PARTITION_SUBTYPE_APP_OTA_10 = ESP_PARTITION_SUBTYPE_APP_OTA_MIN + 10,
    ESP_PARTITION_SUBTYPE_APP_OTA_11 = ESP_PARTITION_SUBTYPE_APP_OTA_MIN + 11,
    ESP_PARTITION_SUBTYPE_APP_OTA_12 = ESP_PARTITION_SUBTYPE_APP_OTA_MIN + 12,
    ESP_PARTITION_SUBTYPE_APP_OTA_13 = ESP_PARTITION_SUBTYPE_APP_OTA_MIN + 13,
    ESP_PARTITION_SUBTYPE_APP_OTA_14 = ESP_PARTITION_SUBTYPE_APP_OTA_MIN + 14,
    ESP_PARTITION_SUBTYPE_APP_OTA_15 = ESP_PARTITION_SUBTYPE_APP_OTA_MIN + 15,
    ESP_PARTITION_SUBTYPE_APP_OTA_MAX = ESP_PARTITION_SUBTYPE_APP_OTA_MIN + 16, /*!< exclusive bound */
    ESP_PARTITION_SUBTYPE_APP_TEST = 0x20,
    ESP_PARTITION_SUBTYPE_APP_TEE_MIN = 0x30,
    ESP_PARTITION_SUBTYPE_APP_TEE_0 = ESP_PARTITION_SUBTYPE_APP_TEE_MIN + 0,
    ESP_PARTITION_SUBTYPE_APP_TEE_1 = ESP_PARTITION_SUBTYPE_APP_TEE_MIN + 1,
    ESP_PARTITION_SUBTYPE_APP_TEE_MAX = ESP_PARTITION_SUBTYPE_APP_TEE_1,

    ESP_PARTITION_SUBTYPE_DATA_OTA = 0x00,
    ESP_PARTITION_SUBTYPE_DATA_PHY = 0x01,
    ESP_PARTITION_SUBTYPE_DATA_NVS = 0x02,
    ESP_PARTITION_SUBTYPE_DATA_COREDUMP = 0x03,
    ESP_PARTITION_SUBTYPE_DATA_NVS_KEYS = 0x04,
    ESP_PARTITION_SUBTYPE_DATA_EFUSE_EM = 0x05,
    ESP_PARTITION_SUBTYPE_DATA_UNDEFINED = 0x06,
    ESP_PARTITION_SUBTYPE_DATA_ESPHTTPD = 0x80,
    ESP_PARTITION_SUBTYPE_DATA_FAT = 0x81,
    ESP_PARTITION_SUBTYPE_DATA_SPIFFS = 0x82,
    ESP_PARTITION_SUBTYPE_DATA_LITTLEFS = 0x83,
    ESP_PARTITION_SUBTYPE_DATA_TEE_OTA = 0x90,

    ESP_PARTITION_SUBTYPE_ANY = 0xff, /*!< any subtype, in searches */
} esp_partition_subtype_t;

/** The subtype of OTA slot i (0-15). */
#define ESP_PARTITION_SUBTYPE_OTA(i) ((esp_partition_subtype_t)(ESP_PARTITION_SUBTYPE_APP_OTA_MIN + ((i) & 0xf)))

typedef struct esp_partition_iterator_opaque_ *esp_partition_iterator_t;

/** A partition. The ones the calls return live until esp_partition_unload_all(), a new flash
 *  mapping (esp_private/partition_linux.h) or, for an external one,
 *  esp_partition_deregister_external(); copies work with every call. */
typedef struct {
    esp_flash_t *flash_chip;          /*!< NULL: the main flash */
    esp_partition_type_t type;
    esp_partition_subtype_t subtype;
    uint32_t address;                 /*!< its first byte in flash */
    uint32_t size;                    /*!< bytes */
    uint32_t erase_size;              /*!< erases are multiples of this: 0x1000 */
    char label[17];                   /*!< NUL-terminated */
    bool encrypted;                   /*!< always false on portls */
    bool readonly;                    /*!< writes and erases are refused */
} esp_partition_t;

/**
 * An iterator over the partitions of type and subtype (ANY matches all) and label (NULL: any),
 * in table order, then the external ones in order of registration.
 * @return the iterator at the first match; NULL if none matches, type is ANY with a specific
 *         subtype, the table cannot be loaded, or memory runs out. Release it with
 *         esp_partition_iterator_release() (or iterate to the end).
 */
esp_partition_iterator_t esp_partition_find(esp_partition_type_t type, esp_partition_subtype_t subtype, const char *label);

/** The first match of esp_partition_find(), or NULL. */
const esp_partition_t *esp_partition_find_first(esp_partition_type_t type, esp_partition_subtype_t subtype,
                                                const char *label);

/** The partition the iterator is at (not NULL). */
const esp_partition_t *esp_partition_get(esp_partition_iterator_t iterator);

/** Moves to the next match. @return the iterator, or NULL at the end, when it has been released. */
esp_partition_iterator_t esp_partition_next(esp_partition_iterator_t iterator);

/** Frees an iterator; NULL is allowed. */
void esp_partition_iterator_release(esp_partition_iterator_t iterator);

/**
 * The loaded partition that matches a copy: same type, subtype and (unless empty) label, then
 * the same flash chip, address, size and encrypted flag.
 * @return the loaded partition, or NULL (also for a NULL argument)
 */
const esp_partition_t *esp_partition_verify(const esp_partition_t *partition);

/**
 * Reads size bytes at src_offset into dst.
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL, or src_offset > partition size); ESP_ERR_INVALID_SIZE
 *         (the range passes the partition's end or the flash's); ESP_ERR_NOT_SUPPORTED (encrypted);
 *         the flash mapping's errors
 */
esp_err_t esp_partition_read(const esp_partition_t *partition, size_t src_offset, void *dst, size_t size);

/**
 * Writes size bytes at dst_offset. NOR flash: the bytes are ANDed into what is there, so the
 * range must have been erased. With CONFIG_ESP_PARTITION_ERASE_CHECK a 0 bit that would become 1
 * fails the write at that byte (the bytes before it are written).
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL, or dst_offset > partition size); ESP_ERR_INVALID_SIZE
 *         (past the partition's or the flash's end); ESP_ERR_NOT_ALLOWED (readonly);
 *         ESP_ERR_NOT_SUPPORTED (encrypted); ESP_ERR_FLASH_OP_FAIL (see above, or a power cut:
 *         esp_partition_fail_after())
 */
esp_err_t esp_partition_write(const esp_partition_t *partition, size_t dst_offset, const void *src, size_t size);

/** esp_partition_read(): without encryption the same. */
esp_err_t esp_partition_read_raw(const esp_partition_t *partition, size_t src_offset, void *dst, size_t size);

/** esp_partition_write(): without encryption the same. */
esp_err_t esp_partition_write_raw(const esp_partition_t *partition, size_t dst_offset, const void *src, size_t size);

/**
 * Erases (sets to 0xFF) whole sectors.
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL, offset past the end or not a multiple of
 *         erase_size); ESP_ERR_INVALID_SIZE (size not a multiple of erase_size, or past the
 *         partition's or the flash's end); ESP_ERR_NOT_ALLOWED (readonly);
 *         ESP_ERR_FLASH_OP_FAIL (a power cut: the sectors before it are erased)
 */
esp_err_t esp_partition_erase_range(const esp_partition_t *partition, size_t offset, size_t size);

/**
 * A pointer to size bytes at offset, straight into the mapped flash file (no alignment, as on
 * ESP-IDF's linux target). Read it only: writes must go through esp_partition_write(). Valid
 * until the flash is unmapped; *out_handle is 0.
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL, or offset > partition size); ESP_ERR_INVALID_SIZE
 *         (past the partition's or the flash's end); ESP_ERR_NOT_SUPPORTED (flash_chip not NULL)
 */
esp_err_t esp_partition_mmap(const esp_partition_t *partition, size_t offset, size_t size,
                             esp_partition_mmap_memory_t memory, const void **out_ptr,
                             esp_partition_mmap_handle_t *out_handle);

/** Ends an esp_partition_mmap(); nothing to do on portls. */
void esp_partition_munmap(esp_partition_mmap_handle_t handle);

/**
 * SHA-256 of the partition's contents: for app and bootloader partitions the image's appended
 * digest, checked against the image (or the SHA-256 of the image if it has none); for others,
 * of the whole partition. (ESP-IDF's linux target lacks this call; portls has it.)
 * @param[out] sha_256 32 bytes
 * @return ESP_OK; ESP_ERR_INVALID_ARG; ESP_ERR_IMAGE_INVALID (no image, or a wrong digest)
 */
esp_err_t esp_partition_get_sha256(const esp_partition_t *partition, uint8_t *sha_256);

/** True if both partitions' esp_partition_get_sha256() succeed and are equal. */
bool esp_partition_check_identity(const esp_partition_t *partition_1, const esp_partition_t *partition_2);

/**
 * Adds a partition that is not in the table (it comes after the table's in searches): not
 * readonly, not encrypted, erase_size 0x1000, the label cut to 16 characters. A range past the
 * end of the flash file is accepted here (as on ESP-IDF's linux target); its reads and writes fail.
 * @param flash_chip NULL: the main flash
 * @param[out] out_partition the new partition (may be NULL); NULL on failure
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL label, or it overlaps a partition on the same chip);
 *         ESP_ERR_NO_MEM; the table's load errors
 */
esp_err_t esp_partition_register_external(esp_flash_t *flash_chip, size_t offset, size_t size, const char *label,
                                          esp_partition_type_t type, esp_partition_subtype_t subtype,
                                          const esp_partition_t **out_partition);

/**
 * Removes and frees a partition that esp_partition_register_external() added.
 * @return ESP_OK; ESP_ERR_NOT_FOUND (not a loaded partition); ESP_ERR_INVALID_ARG (one of the
 *         table's)
 */
esp_err_t esp_partition_deregister_external(const esp_partition_t *partition);

/** Frees every partition (the external ones too); the next call loads the table again (without
 *  a new boot). Pointers the calls returned become invalid. */
void esp_partition_unload_all(void);

/** The erase unit of the main flash: 0x1000. */
uint32_t esp_partition_get_main_flash_sector_size(void);

/**
 * Copies size bytes from src_part at src_offset to dest_part at dest_offset, after erasing
 * size rounded up to 4 KiB at dest_offset (SIZE_MAX: the rest of src_part, and the whole rest of
 * dest_part is erased).
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL, or the same partition); ESP_ERR_INVALID_SIZE (a range
 *         outside a partition); the erase's and write's errors
 */
esp_err_t esp_partition_copy(const esp_partition_t *dest_part, uint32_t dest_offset, const esp_partition_t *src_part,
                             uint32_t src_offset, size_t size);

#ifdef __cplusplus
}
#endif
