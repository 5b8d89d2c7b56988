/*
 * esp_ota_ops.h: ESP-IDF v5.5's app_update API (OTA updates and rollback) on the emulated flash.
 *
 * The running app is the image the simulated bootloader booted from the flash file in this process
 * (portls_boot.h); an update writes another app partition through esp_partition, and otadata
 * (esp_flash_partitions.h) says which slot the next boot (the next process start, or
 * esp_restart()) runs. The names, types, values and checks are ESP-IDF v5.5's; where portls does
 * more or differently, the function says so:
 *  - the first bytes of an update are checked as they arrive: the magic byte (ESP-IDF), then the
 *    chip and, for an app, ESP-IDF's app descriptor at offset 0x20: a merged flash image (which
 *    starts with 0xFF padding or with the bootloader's image) is refused at the first write;
 *  - esp_ota_write_with_offset() after OTA_WITH_SEQUENTIAL_WRITES is an error, not an abort;
 *  - setting the boot slot to the slot already active keeps the otadata entry's new state (ESP-IDF
 *    master's fix; v5.5 could lose it);
 *  - the test app is not an OTA slot for esp_ota_set_boot_partition();
 *  - no flash encryption, secure boot or anti-rollback eFuses are emulated.
 * Handles and the calls are thread-safe; one handle is for one thread at a time.
 * Logs as ESP-IDF (tag esp_ota_ops).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_app_desc.h"
#include "esp_bootloader_desc.h"
#include "esp_err.h"
#include "esp_flash_partitions.h"
#include "esp_partition.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_SIZE_UNKNOWN 0xffffffff           /*!< esp_ota_begin(): size unknown, erase the whole partition */
#define OTA_WITH_SEQUENTIAL_WRITES 0xfffffffe /*!< esp_ota_begin(): size unknown, erase each sector as writes reach it */

#define ESP_ERR_OTA_BASE 0x1500                                     /*!< first app_update error code */
#define ESP_ERR_OTA_PARTITION_CONFLICT (ESP_ERR_OTA_BASE + 0x01)    /*!< the partition is the running app's */
#define ESP_ERR_OTA_SELECT_INFO_INVALID (ESP_ERR_OTA_BASE + 0x02)   /*!< otadata holds invalid content */
#define ESP_ERR_OTA_VALIDATE_FAILED (ESP_ERR_OTA_BASE + 0x03)       /*!< the image is not valid */
#define ESP_ERR_OTA_SMALL_SEC_VER (ESP_ERR_OTA_BASE + 0x04)         /*!< the image's secure version is too low (anti-rollback; not emulated) */
#define ESP_ERR_OTA_ROLLBACK_FAILED (ESP_ERR_OTA_BASE + 0x05)       /*!< no other app to roll back to */
#define ESP_ERR_OTA_ROLLBACK_INVALID_STATE (ESP_ERR_OTA_BASE + 0x06) /*!< the running app is still PENDING_VERIFY */

/** An update in progress; 0 is never a valid handle. */
typedef uint32_t esp_ota_handle_t;

/** Deprecated: esp_app_get_description(). */
const esp_app_desc_t *esp_ota_get_app_description(void) __attribute__((deprecated("Please use esp_app_get_description instead")));

/** Deprecated: esp_app_get_elf_sha256(). */
int esp_ota_get_app_elf_sha256(char *dst, size_t size) __attribute__((deprecated("Please use esp_app_get_elf_sha256 instead")));

/**
 * Starts an update of partition. For an app partition it must be an OTA slot, not the running
 * app's, and (with CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE) the running app must not be waiting for
 * its confirmation. A data, bootloader or partition-table partition may be written too.
 * image_size decides the erase: OTA_WITH_SEQUENTIAL_WRITES erases each 4 KiB sector when a write
 * first reaches it; 0 or OTA_SIZE_UNKNOWN erase the whole partition now; any other size erases that
 * many bytes rounded up to 4 KiB now. With rollback, starting an update of an OTA slot also erases
 * the inactive otadata sector (esp_ota_invalidate_inactive_ota_data_slot()): the previous app is
 * no longer a rollback target.
 * @param[out] out_handle set on success; end it with esp_ota_end() or esp_ota_abort()
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL, or an app partition that is not an OTA slot);
 *         ESP_ERR_NOT_FOUND (not a partition of the table); ESP_ERR_OTA_PARTITION_CONFLICT;
 *         ESP_ERR_OTA_ROLLBACK_INVALID_STATE; ESP_ERR_NO_MEM; the erase's errors
 *         (ESP_ERR_INVALID_SIZE when image_size exceeds the partition, ESP_ERR_FLASH_OP_FAIL). On
 *         failure no handle exists.
 */
esp_err_t esp_ota_begin(const esp_partition_t *partition, size_t image_size, esp_ota_handle_t *out_handle);

/**
 * Continues an update of partition whose first image_offset bytes an earlier run wrote (after a
 * reboot): nothing is erased and the first bytes are not checked again; esp_ota_write() goes on
 * at image_offset. erase_size is OTA_WITH_SEQUENTIAL_WRITES (later sectors are erased as writes
 * reach them; the one holding image_offset is kept) or anything else (the caller erased them).
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL, image_offset past the partition, an app partition
 *         that is not an OTA slot); ESP_ERR_NOT_FOUND; ESP_ERR_OTA_PARTITION_CONFLICT; ESP_ERR_NO_MEM
 */
esp_err_t esp_ota_resume(const esp_partition_t *partition, const size_t erase_size, const size_t image_offset,
                         esp_ota_handle_t *out_handle);

/**
 * Makes final the partition the update is for, while the bytes go to the one given to begin (the
 * staging partition): the image is checked by final's type, and with finalize_with_copy,
 * esp_ota_end() copies it from staging into final. Before the first write only (or after a resume).
 * @return ESP_OK; ESP_ERR_INVALID_ARG (final NULL); ESP_ERR_NOT_FOUND (no such handle, or final is
 *         not a partition of the table); ESP_ERR_INVALID_STATE (data was written already)
 */
esp_err_t esp_ota_set_final_partition(esp_ota_handle_t handle, const esp_partition_t *final, bool finalize_with_copy);

/**
 * Writes size bytes of the image after those written so far (sequential mode erases each sector
 * the write enters). While the first 36 bytes arrive, for an app or bootloader final: byte 0 must
 * be 0xE9 ("OTA image has invalid magic byte (expected 0xE9, saw 0x%02x)"), the 24-byte header's
 * chip id and revision must fit the emulated chip, and an app's first segment must start with the
 * app descriptor magic; for a partition-table final the first two bytes must be AA 50.
 * @return ESP_OK (also for size 0); ESP_ERR_INVALID_ARG (data NULL, or no such handle);
 *         ESP_ERR_OTA_VALIDATE_FAILED (a check above; nothing of this write is written);
 *         the flash's errors (ESP_ERR_INVALID_SIZE past the end of the partition, ESP_ERR_FLASH_OP_FAIL)
 */
esp_err_t esp_ota_write(esp_ota_handle_t handle, const void *data, size_t size);

/**
 * Writes size bytes at offset in the staging partition, without checks; the count of bytes written
 * grows by size. The range must have been erased: begin with a size, not OTA_WITH_SEQUENTIAL_WRITES.
 * @return ESP_OK; ESP_ERR_INVALID_ARG (data NULL, or no such handle); ESP_ERR_INVALID_STATE (the
 *         update is in sequential mode, where ESP-IDF asserts); the flash's errors
 */
esp_err_t esp_ota_write_with_offset(esp_ota_handle_t handle, const void *data, size_t size, uint32_t offset);

/**
 * Ends an update and frees the handle, whatever the result: checks the staging partition as the
 * final's type wants (an app or bootloader: esp_image_verify() in full, which logs why it fails;
 * a partition table: esp_partition_table_verify(); data: nothing), then with finalize_with_copy
 * copies it into the final partition (the image must fit both).
 * @return ESP_OK; ESP_ERR_NOT_FOUND (no such handle); ESP_ERR_INVALID_ARG (nothing was written);
 *         ESP_ERR_OTA_VALIDATE_FAILED ("New image failed verification"); the copy's errors
 */
esp_err_t esp_ota_end(esp_ota_handle_t handle);

/** Frees the handle; what was written stays. @return ESP_OK; ESP_ERR_NOT_FOUND */
esp_err_t esp_ota_abort(esp_ota_handle_t handle);

/**
 * Makes partition boot next, after checking its image in full. The factory app: otadata is erased.
 * An OTA slot: the other otadata sector gets the smallest seq that selects the slot, state NEW with
 * rollback (else UNDEFINED); when the slot is the active one, its entry's state is rewritten in
 * place instead. Each otadata write erases its 4 KiB sector, then writes 32 bytes.
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL, not an app, the test app, or an OTA slot beyond the
 *         consecutive ota_0, ota_1...); ESP_ERR_OTA_VALIDATE_FAILED (checked first, so also for a
 *         data partition); ESP_ERR_NOT_FOUND (no otadata partition); the flash's errors
 */
esp_err_t esp_ota_set_boot_partition(const esp_partition_t *partition);

/**
 * The app partition otadata selects for the next boot (not checked for a valid image): the active
 * entry's slot; the factory app (else ota_0, else the test app) when otadata is empty or there are
 * no OTA slots, or when no entry is valid ("ota data invalid, no current app. Assuming factory").
 * @return a table partition; NULL without an otadata partition or any app partition
 */
const esp_partition_t *esp_ota_get_boot_partition(void);

/**
 * The app partition the simulated bootloader booted in this process (portls_partition_get_running()).
 * @return a table partition; NULL when nothing booted (no flash file named, no bootable image):
 *         ESP-IDF aborts instead, since a device runs an app
 */
const esp_partition_t *esp_ota_get_running_partition(void);

/**
 * The OTA slot to update: the one after start_from in slot order (ota_0, ota_1, ...), wrapping
 * to the first; the first slot when start_from is not an OTA slot. start_from NULL means the running
 * partition (the first slot when nothing booted). With one slot that is start_from, start_from.
 * @return a table partition; NULL with no OTA slot or when start_from is not a partition of the table
 */
const esp_partition_t *esp_ota_get_next_update_partition(const esp_partition_t *start_from);

/**
 * Reads the app descriptor of the image in an app partition (256 bytes at offset 0x20).
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL); ESP_ERR_NOT_SUPPORTED (not an app partition);
 *         ESP_ERR_NOT_FOUND (no descriptor magic there); the read's errors
 */
esp_err_t esp_ota_get_partition_description(const esp_partition_t *partition, esp_app_desc_t *app_desc);

/**
 * Reads the bootloader descriptor (80 bytes at offset 0x20) of the bootloader image in
 * bootloader_partition, or with NULL in flash at CONFIG_BOOTLOADER_OFFSET_IN_FLASH (up to the
 * partition table). A flash made by portls flash create has no bootloader image there.
 * @return ESP_OK; ESP_ERR_INVALID_ARG (desc NULL); ESP_ERR_NOT_FOUND (no descriptor magic); the
 *         read's errors
 */
esp_err_t esp_ota_get_bootloader_description(const esp_partition_t *bootloader_partition, esp_bootloader_desc_t *desc);

/**
 * Erases the inactive otadata sector, so that the app it selected is no longer a rollback target.
 * @return ESP_OK; ESP_FAIL (no otadata, no active entry or OTA slot, the inactive entry is empty or
 *         has a bad CRC, or it selects the running app); the flash's errors
 */
esp_err_t esp_ota_invalidate_inactive_ota_data_slot(void);

/** The number of OTA slots: ota_0, ota_1, ... up to the first missing one. */
uint8_t esp_ota_get_app_partition_count(void);

/**
 * Confirms the running app: its otadata entry becomes VALID (written only if it was not), so the
 * bootloader will not roll it back.
 * @return ESP_OK; ESP_ERR_NOT_FOUND (no otadata partition); ESP_FAIL ("Running firmware is
 *         factory": no active entry or no OTA slot); the flash's errors
 */
esp_err_t esp_ota_mark_app_valid_cancel_rollback(void);

/**
 * Refuses the running app: its entry becomes INVALID, so the next boot runs the app before it.
 * @return ESP_OK; ESP_ERR_OTA_ROLLBACK_FAILED (esp_ota_check_rollback_is_possible() is false);
 *         ESP_ERR_NOT_FOUND; ESP_FAIL (the factory app runs); the flash's errors
 */
esp_err_t esp_ota_mark_app_invalid_rollback(void);

/** esp_ota_mark_app_invalid_rollback(), then esp_restart() (does not return on success).
 *  @return the error of esp_ota_mark_app_invalid_rollback() */
esp_err_t esp_ota_mark_app_invalid_rollback_and_reboot(void);

/**
 * The app refused last: of the otadata entries with a good CRC in state INVALID or ABORTED, the one
 * with the lower seq; its slot's image must still verify.
 * @return a table partition, or NULL
 */
const esp_partition_t *esp_ota_get_last_invalid_partition(void);

/**
 * The state otadata holds for an OTA slot: that of the first entry (sector 0, then 1) with a good
 * CRC that selects the slot, which need not be the active one.
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL); ESP_ERR_NOT_SUPPORTED (not an OTA slot);
 *         ESP_ERR_NOT_FOUND (no otadata, no OTA slots, or no entry for the slot)
 */
esp_err_t esp_ota_get_state_partition(const esp_partition_t *partition, esp_ota_img_states_t *ota_state);

/**
 * Erases the app the inactive otadata entry selects, then that otadata sector.
 * @return as esp_ota_invalidate_inactive_ota_data_slot()
 */
esp_err_t esp_ota_erase_last_boot_app_partition(void);

/**
 * Whether refusing the running app would boot another one: the inactive otadata entry is valid and
 * its slot's image verifies, or (when it is not valid) a factory image verifies.
 */
bool esp_ota_check_rollback_is_possible(void);

#ifdef __cplusplus
}
#endif
