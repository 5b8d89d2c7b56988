/*
 * nvs.h: ESP-IDF v5.5's key-value store, on the `nvs` data partition of the flash image in
 * ESP-IDF's on-flash format (version 2: 4 KiB pages, 32-byte entries, CRC-32s, blobs split
 * across pages), so that a partition written by ESP-IDF or its nvs_partition_gen.py reads here
 * and one written here reads on a chip.
 *
 * Every set, erase and commit is on flash when it returns ESP_OK (nvs_commit() has nothing left
 * to do, as in ESP-IDF). A power cut at any flash write loses no value that was set before the
 * call in progress; that call's key holds its old or its new value after nvs_flash_init().
 * After a failed flash write the partition refuses writes with ESP_ERR_NVS_INVALID_STATE until
 * nvs_flash_deinit() and nvs_flash_init(); reads go on.
 *
 * Keys and namespace names are 1 to 15 characters (NVS_KEY_NAME_MAX_SIZE - 1); a namespace has
 * at most one value per key, of any type, and setting a key of another type replaces it.
 * Strings hold at most 4000 bytes with their NUL, blobs at most 4000 bytes per page of the
 * partition but one (at most 127 pages). Not supported: NVS encryption and the C++ API.
 * All calls are thread-safe (one lock for all partitions).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An open namespace: a number handed out by nvs_open(), never 0. */
typedef uint32_t nvs_handle_t;

#define ESP_ERR_NVS_BASE 0x1100                                  /*!< first NVS error code */
#define ESP_ERR_NVS_NOT_INITIALIZED (ESP_ERR_NVS_BASE + 0x01)    /*!< nvs_flash_init() has not run for the partition */
#define ESP_ERR_NVS_NOT_FOUND (ESP_ERR_NVS_BASE + 0x02)          /*!< no such key, or (read-only open) no such namespace */
#define ESP_ERR_NVS_TYPE_MISMATCH (ESP_ERR_NVS_BASE + 0x03)      /*!< the key holds a value of another type */
#define ESP_ERR_NVS_READ_ONLY (ESP_ERR_NVS_BASE + 0x04)          /*!< the handle was opened NVS_READONLY */
#define ESP_ERR_NVS_NOT_ENOUGH_SPACE (ESP_ERR_NVS_BASE + 0x05)   /*!< the partition has no room for the value */
#define ESP_ERR_NVS_INVALID_NAME (ESP_ERR_NVS_BASE + 0x06)       /*!< an empty key or namespace name */
#define ESP_ERR_NVS_INVALID_HANDLE (ESP_ERR_NVS_BASE + 0x07)     /*!< the handle is closed or was never opened */
#define ESP_ERR_NVS_REMOVE_FAILED (ESP_ERR_NVS_BASE + 0x08)      /*!< the new value is written, the old one not yet erased (nvs_flash_init() finishes it) */
#define ESP_ERR_NVS_KEY_TOO_LONG (ESP_ERR_NVS_BASE + 0x09)       /*!< a key or namespace name of 16 or more characters */
#define ESP_ERR_NVS_PAGE_FULL (ESP_ERR_NVS_BASE + 0x0a)          /*!< internal; no call returns it */
#define ESP_ERR_NVS_INVALID_STATE (ESP_ERR_NVS_BASE + 0x0b)      /*!< a flash write failed: deinit and init again */
#define ESP_ERR_NVS_INVALID_LENGTH (ESP_ERR_NVS_BASE + 0x0c)     /*!< the buffer is too small (the length says how much is needed) */
#define ESP_ERR_NVS_NO_FREE_PAGES (ESP_ERR_NVS_BASE + 0x0d)      /*!< no empty page: erase the partition and init again */
#define ESP_ERR_NVS_VALUE_TOO_LONG (ESP_ERR_NVS_BASE + 0x0e)     /*!< longer than a string or blob can be */
#define ESP_ERR_NVS_PART_NOT_FOUND (ESP_ERR_NVS_BASE + 0x0f)     /*!< no initialized partition of that name */
#define ESP_ERR_NVS_NEW_VERSION_FOUND (ESP_ERR_NVS_BASE + 0x10)  /*!< a page of a newer format: erase the partition and init again */
#define ESP_ERR_NVS_XTS_ENCR_FAILED (ESP_ERR_NVS_BASE + 0x11)    /*!< encryption (not supported on portls) */
#define ESP_ERR_NVS_XTS_DECR_FAILED (ESP_ERR_NVS_BASE + 0x12)    /*!< decryption (not supported on portls) */
#define ESP_ERR_NVS_XTS_CFG_FAILED (ESP_ERR_NVS_BASE + 0x13)     /*!< encryption setup (not supported on portls) */
#define ESP_ERR_NVS_XTS_CFG_NOT_FOUND (ESP_ERR_NVS_BASE + 0x14)  /*!< encryption setup (not supported on portls) */
#define ESP_ERR_NVS_ENCR_NOT_SUPPORTED (ESP_ERR_NVS_BASE + 0x15) /*!< NVS encryption is not supported */
#define ESP_ERR_NVS_KEYS_NOT_INITIALIZED (ESP_ERR_NVS_BASE + 0x16) /*!< the key partition is empty (encryption) */
#define ESP_ERR_NVS_CORRUPT_KEY_PART (ESP_ERR_NVS_BASE + 0x17)   /*!< the key partition is corrupt (encryption) */
#define ESP_ERR_NVS_CONTENT_DIFFERS (ESP_ERR_NVS_BASE + 0x18)    /*!< internal; no call returns it */
#define ESP_ERR_NVS_WRONG_ENCRYPTION (ESP_ERR_NVS_BASE + 0x19)   /*!< the partition is flagged encrypted */

#define NVS_DEFAULT_PART_NAME "nvs" /*!< the partition nvs_flash_init() and nvs_open() use */
#define NVS_PART_NAME_MAX_SIZE 16   /*!< longest partition label, without the NUL */
#define NVS_KEY_NAME_MAX_SIZE 16    /*!< key size with its NUL */
#define NVS_NS_NAME_MAX_SIZE NVS_KEY_NAME_MAX_SIZE /*!< namespace name size with its NUL */

typedef enum {
    NVS_READONLY,  /*!< reads only; the namespace must exist */
    NVS_READWRITE, /*!< reads and writes; the namespace is created if missing */
} nvs_open_mode_t;

/** The types of values, with their on-flash codes. */
typedef enum {
    NVS_TYPE_U8 = 0x01,
    NVS_TYPE_I8 = 0x11,
    NVS_TYPE_U16 = 0x02,
    NVS_TYPE_I16 = 0x12,
    NVS_TYPE_U32 = 0x04,
    NVS_TYPE_I32 = 0x14,
    NVS_TYPE_U64 = 0x08,
    NVS_TYPE_I64 = 0x18,
    NVS_TYPE_STR = 0x21,
    NVS_TYPE_BLOB = 0x42,
    NVS_TYPE_ANY = 0xff,
} nvs_type_t;

/** What an iterator is at. */
typedef struct {
    char namespace_name[NVS_NS_NAME_MAX_SIZE]; /*!< its namespace */
    char key[NVS_KEY_NAME_MAX_SIZE];           /*!< its key */
    nvs_type_t type;                           /*!< its type (NVS_TYPE_BLOB for a blob) */
} nvs_entry_info_t;

/** An iterator over the keys of a partition (nvs_entry_find()). */
typedef struct nvs_opaque_iterator_t *nvs_iterator_t;

/** A partition's entries (32 bytes each), as nvs_get_stats() counts them. */
typedef struct {
    size_t used_entries;      /*!< entries of values and namespaces */
    size_t free_entries;      /*!< all others (empty, or erased and not yet reclaimed) */
    size_t available_entries; /*!< free_entries less the page kept free for reclaiming */
    size_t total_entries;     /*!< 126 per page */
    size_t namespace_count;   /*!< namespaces */
} nvs_stats_t;

/**
 * Opens namespace_name of the default partition ("nvs"): nvs_open_from_partition().
 */
esp_err_t nvs_open(const char *namespace_name, nvs_open_mode_t open_mode, nvs_handle_t *out_handle);

/**
 * Opens a namespace of an initialized partition. NVS_READWRITE creates the namespace (one
 * flash write) if it does not exist.
 * @return ESP_OK; ESP_ERR_INVALID_ARG (a NULL argument); ESP_ERR_NVS_NOT_INITIALIZED (no
 *         partition is initialized); ESP_ERR_NVS_PART_NOT_FOUND (this one is not);
 *         ESP_ERR_NOT_ALLOWED (NVS_READWRITE on a read-only partition); ESP_ERR_NVS_NOT_FOUND
 *         (NVS_READONLY and no such namespace); ESP_ERR_NVS_INVALID_NAME (empty name);
 *         ESP_ERR_NVS_KEY_TOO_LONG (16 or more characters); ESP_ERR_NVS_NOT_ENOUGH_SPACE (254
 *         namespaces exist, or no room); ESP_ERR_NO_MEM; flash errors
 */
esp_err_t nvs_open_from_partition(const char *part_name, const char *namespace_name, nvs_open_mode_t open_mode,
                                  nvs_handle_t *out_handle);

/**
 * Sets key to value. Setting the value a key already holds writes nothing.
 * @return ESP_OK; ESP_ERR_NVS_INVALID_HANDLE; ESP_ERR_NVS_READ_ONLY; ESP_ERR_INVALID_ARG (NULL
 *         key); ESP_ERR_NVS_INVALID_NAME (empty key); ESP_ERR_NVS_KEY_TOO_LONG;
 *         ESP_ERR_NVS_NOT_ENOUGH_SPACE; ESP_ERR_NVS_REMOVE_FAILED; ESP_ERR_NVS_INVALID_STATE;
 *         ESP_ERR_FLASH_OP_FAIL (the write failed: the key holds its old or new value)
 */
esp_err_t nvs_set_i8(nvs_handle_t handle, const char *key, int8_t value);
esp_err_t nvs_set_u8(nvs_handle_t handle, const char *key, uint8_t value);    /*!< as nvs_set_i8() */
esp_err_t nvs_set_i16(nvs_handle_t handle, const char *key, int16_t value);   /*!< as nvs_set_i8() */
esp_err_t nvs_set_u16(nvs_handle_t handle, const char *key, uint16_t value);  /*!< as nvs_set_i8() */
esp_err_t nvs_set_i32(nvs_handle_t handle, const char *key, int32_t value);   /*!< as nvs_set_i8() */
esp_err_t nvs_set_u32(nvs_handle_t handle, const char *key, uint32_t value);  /*!< as nvs_set_i8() */
esp_err_t nvs_set_i64(nvs_handle_t handle, const char *key, int64_t value);   /*!< as nvs_set_i8() */
esp_err_t nvs_set_u64(nvs_handle_t handle, const char *key, uint64_t value);  /*!< as nvs_set_i8() */

/**
 * Sets key to a NUL-terminated string (at most 4000 bytes with the NUL).
 * @return as nvs_set_i8(); ESP_ERR_INVALID_ARG (NULL value); ESP_ERR_NVS_VALUE_TOO_LONG
 */
esp_err_t nvs_set_str(nvs_handle_t handle, const char *key, const char *value);

/**
 * Sets key to length bytes (value may be NULL only if length is 0), split into chunks across
 * pages as ESP-IDF's version 2 format does; the old blob stays until the new one is complete.
 * @return as nvs_set_str()
 */
esp_err_t nvs_set_blob(nvs_handle_t handle, const char *key, const void *value, size_t length);

/**
 * Reads key into *out_value.
 * @return ESP_OK; ESP_ERR_NVS_NOT_FOUND; ESP_ERR_NVS_TYPE_MISMATCH (the key holds another
 *         type); ESP_ERR_NVS_INVALID_HANDLE; ESP_ERR_INVALID_ARG (NULL key or out_value);
 *         ESP_ERR_NVS_INVALID_NAME; ESP_ERR_NVS_KEY_TOO_LONG
 */
esp_err_t nvs_get_i8(nvs_handle_t handle, const char *key, int8_t *out_value);
esp_err_t nvs_get_u8(nvs_handle_t handle, const char *key, uint8_t *out_value);    /*!< as nvs_get_i8() */
esp_err_t nvs_get_i16(nvs_handle_t handle, const char *key, int16_t *out_value);   /*!< as nvs_get_i8() */
esp_err_t nvs_get_u16(nvs_handle_t handle, const char *key, uint16_t *out_value);  /*!< as nvs_get_i8() */
esp_err_t nvs_get_i32(nvs_handle_t handle, const char *key, int32_t *out_value);   /*!< as nvs_get_i8() */
esp_err_t nvs_get_u32(nvs_handle_t handle, const char *key, uint32_t *out_value);  /*!< as nvs_get_i8() */
esp_err_t nvs_get_i64(nvs_handle_t handle, const char *key, int64_t *out_value);   /*!< as nvs_get_i8() */
esp_err_t nvs_get_u64(nvs_handle_t handle, const char *key, uint64_t *out_value);  /*!< as nvs_get_i8() */

/**
 * Reads a string. With out_value NULL, *length becomes the size it needs (with the NUL);
 * otherwise *length is the buffer's size and becomes the string's size.
 * @return as nvs_get_i8(); ESP_ERR_NVS_INVALID_LENGTH (length NULL, or *length too small: then
 *         *length is the size needed and out_value is untouched)
 */
esp_err_t nvs_get_str(nvs_handle_t handle, const char *key, char *out_value, size_t *length);

/** Reads a blob: as nvs_get_str(), in bytes. */
esp_err_t nvs_get_blob(nvs_handle_t handle, const char *key, void *out_value, size_t *length);

/**
 * Whether key exists, and its type (NVS_TYPE_BLOB for a blob) into *out_type if not NULL.
 * @return ESP_OK; ESP_ERR_NVS_NOT_FOUND; as nvs_get_i8()
 */
esp_err_t nvs_find_key(nvs_handle_t handle, const char *key, nvs_type_t *out_type);

/**
 * Erases key (a blob with all its chunks).
 * @return ESP_OK; ESP_ERR_NVS_NOT_FOUND; ESP_ERR_NVS_READ_ONLY; as nvs_set_i8()
 */
esp_err_t nvs_erase_key(nvs_handle_t handle, const char *key);

/** Erases every key of the handle's namespace. @return as nvs_erase_key(), without NOT_FOUND */
esp_err_t nvs_erase_all(nvs_handle_t handle);

/**
 * Counts the entries of an initialized partition (NULL: the default one).
 * @return ESP_OK; ESP_ERR_INVALID_ARG (nvs_stats NULL); ESP_ERR_NVS_NOT_INITIALIZED (the
 *         partition is not), with *nvs_stats zeroed
 */
esp_err_t nvs_get_stats(const char *part_name, nvs_stats_t *nvs_stats);

/** The entries the handle's namespace uses (a string or blob takes several). @return ESP_OK; ESP_ERR_INVALID_ARG; ESP_ERR_NVS_INVALID_HANDLE */
esp_err_t nvs_get_used_entry_count(nvs_handle_t handle, size_t *used_entries);

/**
 * An iterator over the keys of a partition, of a namespace (NULL: every one) and of a type
 * (NVS_TYPE_ANY: every one), at the first. It holds a copy of the keys made now: writes after it
 * do not change what it lists. Release it with nvs_release_iterator() or iterate to the end.
 * @param[out] output_iterator the iterator, or NULL when the call fails
 * @return ESP_OK; ESP_ERR_INVALID_ARG (part_name or output_iterator NULL); ESP_ERR_NVS_NOT_FOUND
 *         (the partition is not initialized, or nothing matches); ESP_ERR_NO_MEM
 */
esp_err_t nvs_entry_find(const char *part_name, const char *namespace_name, nvs_type_t type, nvs_iterator_t *output_iterator);

/** nvs_entry_find() over the handle's namespace. @return as nvs_entry_find(); ESP_ERR_NVS_INVALID_HANDLE */
esp_err_t nvs_entry_find_in_handle(nvs_handle_t handle, nvs_type_t type, nvs_iterator_t *output_iterator);

/**
 * Moves to the next key. At the end the iterator is released and *iterator becomes NULL.
 * @return ESP_OK; ESP_ERR_NVS_NOT_FOUND (the end); ESP_ERR_INVALID_ARG (NULL)
 */
esp_err_t nvs_entry_next(nvs_iterator_t *iterator);

/** What the iterator is at. @return ESP_OK; ESP_ERR_INVALID_ARG (a NULL argument) */
esp_err_t nvs_entry_info(const nvs_iterator_t iterator, nvs_entry_info_t *out_info);

/** Frees an iterator; NULL is allowed. */
void nvs_release_iterator(nvs_iterator_t iterator);

/** Nothing is left to write (every set is on flash already). @return ESP_OK or ESP_ERR_NVS_INVALID_HANDLE */
esp_err_t nvs_commit(nvs_handle_t handle);

/** Closes a handle; an unknown one is ignored. */
void nvs_close(nvs_handle_t handle);

#ifdef __cplusplus
}
#endif
