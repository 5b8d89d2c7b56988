/* nvs_values.h: values on a loaded partition, as the API sets and reads them (nvs_values.c).
 * Not thread-safe: nvs_api.c holds its lock. */
#pragma once

#include "nvs_storage.h"

/**
 * Replaces the value of item's namespace and key with item (a fixed-size type or a string):
 * nothing is written if it holds that value already; otherwise the new item, then every older
 * item of the key is erased (a blob with its chunks).
 * @return ESP_OK; nvs_storage_write()'s errors; ESP_ERR_NVS_REMOVE_FAILED
 */
esp_err_t nvs_value_set(nvs_storage_t *st, nvs_item_t *item, const uint8_t *var_data, size_t var_len);

/** Writes a blob as chunks then its index, then erases the old value. @return as nvs_value_set(), ESP_ERR_NVS_VALUE_TOO_LONG */
esp_err_t nvs_value_set_blob(nvs_storage_t *st, uint8_t ns, const char *key, const uint8_t *data, size_t len);

/** The size of a string or blob item (a BLOB_IDX's total). */
size_t nvs_value_size(const nvs_loc_t *loc);

/** Reads a string's or blob's bytes (nvs_value_size() of them). @return ESP_OK; ESP_ERR_NVS_NOT_FOUND (a CRC mismatch or a missing chunk) */
esp_err_t nvs_value_read(nvs_storage_t *st, const nvs_loc_t *loc, uint8_t *out);

/** Erases the item at loc, and a blob's chunks. */
esp_err_t nvs_value_erase(nvs_storage_t *st, const nvs_loc_t *loc);

/** Erases every item of namespace ns. */
esp_err_t nvs_value_erase_ns(nvs_storage_t *st, uint8_t ns);

/** Whether loc is a namespace entry (a U8 of namespace 0 valued 1-254), and its index. */
bool nvs_namespace_index(const nvs_loc_t *loc, uint8_t *out);

/** nvs_get_stats()'s counts. */
void nvs_value_stats(nvs_storage_t *st, nvs_stats_t *out);

/** The entries namespace ns uses. */
size_t nvs_value_ns_entries(nvs_storage_t *st, uint8_t ns);

/**
 * The keys of namespace ns (NVS_NS_ANY: every one) of type (NVS_TYPE_ANY: every one), in page
 * order. @param[out] out malloc'd (NULL if none) @return their count, or SIZE_MAX if memory ran out
 */
size_t nvs_value_list(nvs_storage_t *st, uint8_t ns, nvs_type_t type, nvs_entry_info_t **out);
