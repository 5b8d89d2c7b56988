/*
 * portls_format.h: making and examining the formats ESP-IDF's tools make (portls's additions to
 * bootloader_support; the portls tool and the tests use them).
 *  - the chips ESP-IDF v5.5 knows, with what image checks need of each;
 *  - partition tables in gen_esp32part.py's binary form;
 *  - app images as esptool's elf2image writes them, from any payload;
 *  - checking an image held in memory, with a report of every check.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bootloader_common.h"
#include "esp_app_desc.h"
#include "esp_app_format.h"
#include "esp_err.h"
#include "esp_flash_partitions.h"
#include "esp_image_format.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What the legacy min_chip_rev byte holds for a chip. */
typedef enum {
    PORTLS_LEGACY_REV_NONE,  /*!< 0 */
    PORTLS_LEGACY_REV_MAJOR, /*!< the major revision (ESP32) */
    PORTLS_LEGACY_REV_MINOR, /*!< the minor revision (ESP32-C3) */
} portls_legacy_rev_t;

/** One chip, as ESP-IDF v5.5 describes it (soc.h, soc_caps.h, Kconfig defaults). */
typedef struct {
    const char *name;             /*!< the IDF_TARGET name, e.g. "esp32c3" */
    esp_chip_id_t id;
    uint16_t min_rev_full;        /*!< CONFIG_ESP_REV_MIN_FULL's default */
    uint16_t max_rev_full;        /*!< CONFIG_ESP_REV_MAX_FULL's default */
    portls_legacy_rev_t legacy_rev;
    uint32_t drom_low, drom_high; /*!< flash-mapped data addresses */
    uint32_t irom_low, irom_high; /*!< flash-mapped code addresses */
    uint32_t app_data_addr;       /*!< where elf2image's first DROM segment starts (esptool's DROM map) */
    uint32_t bootloader_offset;   /*!< CONFIG_BOOTLOADER_OFFSET_IN_FLASH */
    bool mmu_page_size_configurable; /*!< images carry their MMU page size in the app descriptor */
    bool flash_32bit_map;         /*!< partitions may exceed 16 MiB */
} portls_chip_t;

/** The chip called name, or NULL. */
const portls_chip_t *portls_chip_by_name(const char *name);

/** The chip with that image chip id, or NULL. */
const portls_chip_t *portls_chip_by_id(esp_chip_id_t id);

/** The emulated chip: CONFIG_IDF_TARGET. */
const portls_chip_t *portls_chip_emulated(void);

/** The emulated chip's revision, major * 100 + minor: PORTLS_CHIP_REVISION, or when that is
 *  negative, the target's min_rev_full (the oldest revision a default v5.5 build runs on). */
unsigned portls_chip_revision(void);

/** The MD5 gen_esp32part.py puts in the MD5 entry: of count entries. */
void portls_partition_table_md5(const esp_partition_info_t *entries, size_t count, uint8_t digest[16]);

/**
 * The table's binary form, as gen_esp32part.py writes partition-table.bin: the entries, the MD5
 * entry (if md5), then 0xFF up to ESP_PARTITION_TABLE_MAX_LEN bytes.
 * @param out ESP_PARTITION_TABLE_MAX_LEN bytes
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL); ESP_ERR_INVALID_SIZE (the entries and the MD5 entry
 *         do not leave room for the terminator: 95 entries at most with MD5, as gen_esp32part)
 */
esp_err_t portls_partition_table_build(const esp_partition_info_t *entries, size_t count, bool md5,
                                       uint8_t out[ESP_PARTITION_TABLE_MAX_LEN]);

/** How portls_image_build() fills the header and the app descriptor. */
typedef struct {
    const portls_chip_t *chip;    /*!< NULL: the emulated chip */
    const char *version;          /*!< esp_app_desc_t.version, at most 31 bytes */
    const char *project_name;     /*!< at most 31 bytes */
    const char *idf_ver;          /*!< NULL: "portls " and portls's version */
    uint32_t secure_version;
    int min_rev_full;             /*!< < 0: the chip's min_rev_full */
    int max_rev_full;             /*!< < 0: the chip's max_rev_full */
    time_t build_time;            /*!< the descriptor's date and time, written in UTC */
} portls_image_config_t;

/**
 * An app image of the payload, as esptool elf2image would write it for an ESP-IDF app whose
 * only flash-mapped data is the descriptor followed by the payload: the header (DIO, 2 MB, the
 * chip's default flash frequency code 0, hash appended), one DROM segment at the chip's
 * app_data_addr + 0x20 holding the descriptor (app_elf_sha256 = SHA-256 of the payload, mmu_page_size
 * 16) and the payload padded with zeros to 4 bytes, the checksum, and the SHA-256.
 * @param[out] out     malloc'd image; the caller frees it
 * @param[out] out_len its length
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL, a string too long, a revision over 65535, or a
 *         payload that makes the segment 16 MiB or more); ESP_ERR_NO_MEM
 */
esp_err_t portls_image_build(const portls_image_config_t *cfg, const void *payload, size_t len, uint8_t **out,
                             size_t *out_len);

/** Everything an image check found out; filled even when the image fails. */
typedef struct {
    esp_err_t result;          /*!< the first failure in esp_image_verify()'s order, or ESP_OK */
    char reason[160];          /*!< its log line, "" when result is ESP_OK */
    esp_image_metadata_t meta; /*!< header, segments, image_len and stored digest as far as read */
    bool checksum_read;        /*!< the checksum byte was there */
    uint8_t checksum_calc;
    uint8_t checksum_stored;
    bool digest_read;          /*!< hash_appended, and the digest was there */
    uint8_t digest_calc[32];   /*!< meta.image_digest holds the stored one */
    bool has_app_desc;         /*!< segment 0 starts with a descriptor */
    esp_app_desc_t app_desc;
} portls_image_report_t;

/**
 * Checks the image at image[0..avail) in esp_image_verify()'s order for chip and chip_rev, as if
 * it lay at flash address start_addr in a partition of part_size bytes; type BOOTLOADER skips
 * the maximum revision and the SHA-256 as ESP-IDF does. Logs nothing: the report says it all.
 * Past the first failure it still computes what it can (checksum, digest) for the report.
 * @return report->result
 */
esp_err_t portls_image_check(const uint8_t *image, size_t avail, uint32_t start_addr, uint32_t part_size,
                             const portls_chip_t *chip, unsigned chip_rev, esp_image_type type,
                             portls_image_report_t *report);

#ifdef __cplusplus
}
#endif
