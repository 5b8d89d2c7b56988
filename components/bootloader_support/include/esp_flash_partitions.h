/*
 * esp_flash_partitions.h: the partition table and otadata as they lie in flash, byte for byte as
 * in ESP-IDF v5.5 (all fields little-endian).
 *
 * The table is one 4 KiB sector at ESP_PARTITION_TABLE_OFFSET: 32-byte esp_partition_info_t
 * entries, an MD5 entry (magic 0xEBEB, the MD5 of the entries before it at byte 16), then 0xFF.
 * otadata is a data/ota partition of two sectors; each starts with one esp_ota_select_entry_t.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"
#include "sdkconfig.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ESP_PARTITION_MAGIC 0x50AA     /*!< bytes AA 50: an entry */
#define ESP_PARTITION_MAGIC_MD5 0xEBEB /*!< bytes EB EB: the MD5 entry */

#define PART_TYPE_APP 0x00
#define PART_SUBTYPE_FACTORY 0x00
#define PART_SUBTYPE_OTA_FLAG 0x10
#define PART_SUBTYPE_OTA_MASK 0x0f
#define PART_SUBTYPE_TEST 0x20
#define PART_SUBTYPE_TEE_0 0x30
#define PART_SUBTYPE_TEE_1 0x31

#define PART_TYPE_DATA 0x01
#define PART_SUBTYPE_DATA_OTA 0x00
#define PART_SUBTYPE_DATA_RF 0x01
#define PART_SUBTYPE_DATA_WIFI 0x02
#define PART_SUBTYPE_DATA_NVS_KEYS 0x04
#define PART_SUBTYPE_DATA_EFUSE_EM 0x05

#define PART_TYPE_BOOTLOADER 0x02
#define PART_SUBTYPE_BOOTLOADER_PRIMARY 0x00
#define PART_SUBTYPE_BOOTLOADER_OTA 0x01
#define PART_SUBTYPE_BOOTLOADER_RECOVERY 0x02

#define PART_TYPE_PARTITION_TABLE 0x03
#define PART_SUBTYPE_PARTITION_TABLE_PRIMARY 0x00
#define PART_SUBTYPE_PARTITION_TABLE_OTA 0x01

#define PART_SUBTYPE_DATA_TEE_OTA 0x90

#define PART_TYPE_END 0xff
#define PART_SUBTYPE_END 0xff

#define PART_FLAG_ENCRYPTED (1 << 0)
#define PART_FLAG_READONLY (1 << 1)

/* The MD5 digest starts this many bytes into the MD5 entry. */
#define ESP_PARTITION_MD5_OFFSET 16

#define ESP_BOOTLOADER_OFFSET CONFIG_BOOTLOADER_OFFSET_IN_FLASH          /*!< the chip's bootloader image */
#define ESP_PRIMARY_BOOTLOADER_OFFSET CONFIG_BOOTLOADER_OFFSET_IN_FLASH
#define ESP_PARTITION_TABLE_OFFSET CONFIG_PARTITION_TABLE_OFFSET         /*!< 0x8000 by default */
#define ESP_PRIMARY_PARTITION_TABLE_OFFSET CONFIG_PARTITION_TABLE_OFFSET
#define ESP_PARTITION_TABLE_SIZE (0x1000) /*!< the table occupies one sector */
#define ESP_BOOTLOADER_SIZE (ESP_PARTITION_TABLE_OFFSET - ESP_BOOTLOADER_OFFSET)
#define ESP_PARTITION_TABLE_MAX_LEN 0xC00 /*!< table data, the terminator included */
#define ESP_PARTITION_TABLE_MAX_ENTRIES (ESP_PARTITION_TABLE_MAX_LEN / sizeof(esp_partition_info_t))

/** The state of an app in otadata, for rollback (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE). */
typedef enum {
    ESP_OTA_IMG_NEW = 0x0U,            /*!< set to boot; the bootloader makes it PENDING_VERIFY */
    ESP_OTA_IMG_PENDING_VERIFY = 0x1U, /*!< booted once, unconfirmed; the next boot makes it ABORTED */
    ESP_OTA_IMG_VALID = 0x2U,          /*!< confirmed by the app */
    ESP_OTA_IMG_INVALID = 0x3U,        /*!< refused by the app: never booted again */
    ESP_OTA_IMG_ABORTED = 0x4U,        /*!< never confirmed: never booted again */
    ESP_OTA_IMG_UNDEFINED = 0xFFFFFFFFU, /*!< no state (rollback off): boots without limits */
} esp_ota_img_states_t;

/** One otadata entry (32 bytes), at the start of each of otadata's two sectors. */
typedef struct {
    uint32_t ota_seq;        /*!< the boot slot is (ota_seq - 1) % OTA slot count; 0xFFFFFFFF: empty */
    uint8_t seq_label[20];   /*!< unused; whatever was there stays */
    uint32_t ota_state;      /*!< esp_ota_img_states_t */
    uint32_t crc;            /*!< bootloader_common_ota_select_crc(): of ota_seq only */
} esp_ota_select_entry_t;

/** Where a partition lies in flash. */
typedef struct {
    uint32_t offset;
    uint32_t size;
} esp_partition_pos_t;

/** One 32-byte partition table entry. */
typedef struct {
    uint16_t magic;     /*!< ESP_PARTITION_MAGIC */
    uint8_t type;
    uint8_t subtype;
    esp_partition_pos_t pos;
    uint8_t label[16];  /*!< NUL-padded; a 16-character label has no NUL */
    uint32_t flags;     /*!< PART_FLAG_* */
} esp_partition_info_t;

_Static_assert(sizeof(esp_ota_select_entry_t) == 32, "an otadata entry is 32 bytes");
_Static_assert(sizeof(esp_partition_info_t) == 32, "a partition table entry is 32 bytes");

/**
 * Checks a table as ESP-IDF's bootloader does: entries until the terminator (32 bytes starting
 * FF FF FF FF, not first), each inside the flash chip (the emulated flash file), at most one MD5
 * entry, which must match the entries before it. The MD5 entry is optional here.
 *
 * @param partition_table ESP_PARTITION_TABLE_MAX_LEN bytes
 * @param log_errors      log why the table is refused (tag flash_parts)
 * @param[out] num_partitions the entries, the MD5 entry not counted; 0 on failure
 * @return ESP_OK; ESP_ERR_INVALID_SIZE (an entry passes the end of flash); ESP_ERR_INVALID_STATE
 *         (a bad magic, two MD5 entries, a wrong MD5, or no terminator among the 96 slots)
 */
esp_err_t esp_partition_table_verify(const esp_partition_info_t *partition_table, bool log_errors,
                                     int *num_partitions);

#ifdef __cplusplus
}
#endif
