/*
 * portls_boot.h: the simulated bootloader, and the otadata updates ESP-IDF's app makes.
 *
 * A process start is a power-on. The first partition call of a process (esp_partition.h), or
 * esp_app_get_description(), runs ESP-IDF v5.5's bootloader on the flash file, as the second
 * stage bootloader would before the app:
 *  1. the partition table is read and checked (esp_partition_table_verify());
 *  2. with CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE, every otadata entry in PENDING_VERIFY is
 *     rewritten as ABORTED (an app that booted once and never confirmed itself);
 *  3. the start slot: factory when otadata is empty or there are no OTA slots (ota_0 when there is
 *     no factory either), else the active entry's slot, (seq - 1) % (number of ota_N entries);
 *     with rollback a NEW active entry is rewritten as PENDING_VERIFY;
 *  4. loading: each candidate's image is fully verified (esp_image_verify()); from the start slot
 *     down to factory, then the OTA slots above it, then the test app; the first that verifies
 *     boots. When otadata was empty and an OTA slot booted without a factory partition, sector 0
 *     gets that slot's seq, VALID ("Set actual ota_seq=%d in otadata[0]").
 * The image it picks is the running app for the life of the process (the mapping): portls_boot_get()
 * says which, esp_app_get_description() returns its descriptor, and app_update's
 * esp_ota_get_running_partition() reports it. A restart (esp_restart(), esp_system.h) re-executes
 * the program, and the next boot happens. Its writes go through the emulated flash, so
 * esp_partition_fail_after() can cut the power in the middle of them.
 * Logs as ESP-IDF's bootloader (tags boot, esp_image), the partition table at debug level.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "esp_app_desc.h"
#include "esp_err.h"
#include "esp_flash_partitions.h"
#include "esp_image_format.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MAX_OTA_SLOTS 16
#define FACTORY_INDEX (-1)  /*!< the factory app */
#define TEST_APP_INDEX (-2) /*!< the test app */
#define INVALID_INDEX (-99) /*!< nothing */

/** The partitions the bootloader cares about (ESP-IDF's bootloader_state_t). A zero size: none. */
typedef struct {
    esp_partition_pos_t ota_info;         /*!< data/ota */
    esp_partition_pos_t factory;
    esp_partition_pos_t test;
    esp_partition_pos_t ota[MAX_OTA_SLOTS]; /*!< app/ota_N at [N] */
    uint32_t app_count;                   /*!< app entries with subtype 0x10-0x1F (gaps allowed) */
} bootloader_state_t;

/**
 * Reads the table at ESP_PARTITION_TABLE_OFFSET into bs, as ESP-IDF's bootloader does (logging
 * why a table is refused; the table itself at debug level).
 * @return false if the flash cannot be mapped or the table fails esp_partition_table_verify()
 */
bool bootloader_utility_load_partition_table(bootloader_state_t *bs);

/** The bootloader's decision before loading, worked out without writing anything. */
typedef struct {
    int start_index;                   /*!< FACTORY_INDEX or an OTA slot: where loading starts */
    esp_ota_select_entry_t otadata[2]; /*!< the entries after the bootloader's state changes */
    bool write[2];                     /*!< the sectors the bootloader rewrites */
    bool initial;                      /*!< otadata is blank and there is no factory app */
    const char *note;                  /*!< what the bootloader logs about its choice, or NULL */
    bool note_is_error;                /*!< it logs the note as an error (otadata is unusable) */
} portls_boot_plan_t;

/**
 * Steps 2 and 3 above, for a table and the two otadata entries read from flash (ignored when
 * bs has no otadata partition).
 * @param rollback as CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
 */
void portls_boot_plan(const bootloader_state_t *bs, const esp_ota_select_entry_t otadata[2], bool rollback,
                      portls_boot_plan_t *plan);

/**
 * Step 4: verifies candidates in the bootloader's order from start_index, writing nothing.
 * @param mode ESP_IMAGE_VERIFY logs as the bootloader does ("Loaded app from partition at offset
 *             0x%x", "OTA app partition slot %d is not bootable", ...); SILENT logs nothing
 * @return the index that verifies first, or INVALID_INDEX
 */
int portls_boot_pick(const bootloader_state_t *bs, int start_index, esp_image_load_mode_t mode);

/** What this process booted. */
typedef struct {
    int index;                /*!< FACTORY_INDEX, TEST_APP_INDEX, an OTA slot, or INVALID_INDEX (nothing) */
    esp_partition_pos_t pos;  /*!< its partition; zero with INVALID_INDEX */
    esp_app_desc_t app_desc;  /*!< its descriptor; zero with INVALID_INDEX */
    uint32_t generation;      /*!< the flash mapping it belongs to: a new mapping is a new power-on */
} portls_boot_t;

/**
 * The boot of the current flash mapping: maps the flash file if needed, runs the simulated
 * bootloader the first time, and returns its record after that. Thread-safe.
 * @param[out] out the record, valid for the life of the process (rewritten by the boot of a new
 *                 mapping); index INVALID_INDEX when no table or no image could be booted
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL); the mapping's error (esp_partition_file_mmap())
 */
esp_err_t portls_boot_get(const portls_boot_t **out);

/* --- otadata updates, for app_update (esp_ota_ops.h) and the portls tool --- */

/**
 * Writes entry into otadata sector 0 or 1 as ESP-IDF does: erases the 4 KiB sector, then writes
 * the 32 bytes, through the emulated flash.
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL, or sector not 0 or 1, or ota_info smaller than two
 *         sectors); the flash's errors (ESP_ERR_FLASH_OP_FAIL after a power cut)
 */
esp_err_t portls_otadata_write(const esp_partition_pos_t *ota_info, int sector, const esp_ota_select_entry_t *entry);

/** The number of OTA slots as ESP-IDF's app counts them: ota_0, ota_1, ... up to the first
 *  missing one (the bootloader's app_count counts every ota_N). */
uint32_t portls_ota_app_count(const bootloader_state_t *bs);

/**
 * esp_ota_set_boot_partition()'s otadata change for OTA slot `slot` of slot_count (the app's
 * count), in memory: the new entry goes into two[] and its sector is returned. With no active
 * entry, sector 0 gets seq slot + 1; otherwise the other sector gets the smallest seq >= the active
 * one that selects the slot. When the slot is already the active one, only the active entry's
 * state changes: ESP-IDF master's fix (v5.5 wrote the same seq into the other sector, and the tie
 * went to sector 0, so the new state could be lost). The state is ESP_OTA_IMG_NEW with
 * CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE, else ESP_OTA_IMG_UNDEFINED; the CRC is updated.
 * @return the sector to write (0 or 1); -1 if slot >= slot_count or the seq would overflow
 */
int portls_otadata_select_slot(esp_ota_select_entry_t two[2], uint32_t slot, uint32_t slot_count);

/**
 * Sets the active entry's state in memory (esp_ota_mark_app_valid_cancel_rollback() and
 * esp_ota_mark_app_invalid_rollback()).
 * @param[out] changed (may be NULL) false when the entry already had that state: nothing to write
 * @return the active sector, or -1 if no entry is active
 */
int portls_otadata_set_active_state(esp_ota_select_entry_t two[2], esp_ota_img_states_t state, bool *changed);

/**
 * Makes OTA slot `slot` boot next: reads otadata, portls_otadata_select_slot() with the app's slot
 * count, and writes the changed sector (the image itself is not looked at).
 * @return ESP_OK; ESP_ERR_NOT_FOUND (no otadata partition); ESP_ERR_INVALID_ARG (no such slot);
 *         ESP_FAIL (otadata cannot be read); the write's errors
 */
esp_err_t portls_otadata_set_boot(const bootloader_state_t *bs, uint32_t slot);

/**
 * Gives the active entry a state and writes it if it changed (marking the running app valid or
 * invalid).
 * @return ESP_OK (also when nothing changed); ESP_ERR_NOT_FOUND (no otadata partition); ESP_FAIL
 *         (no active entry, or no OTA slot: the factory or default app runs); the write's errors
 */
esp_err_t portls_otadata_mark_active(const bootloader_state_t *bs, esp_ota_img_states_t state);

/**
 * esp_ota_check_rollback_is_possible()'s rule: the other entry is valid and its slot's image
 * verifies, or (when the other entry is not valid) a factory image verifies.
 */
bool portls_otadata_rollback_possible(const bootloader_state_t *bs, const esp_ota_select_entry_t two[2]);

#ifdef __cplusplus
}
#endif
