/*
 * esp_idf_version.h: the ESP-IDF version whose API portls follows (v5.5), for code that checks it
 * with ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(...).
 */
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

#define ESP_IDF_VERSION_MAJOR 5
#define ESP_IDF_VERSION_MINOR 5
#define ESP_IDF_VERSION_PATCH 0

#define ESP_IDF_VERSION_VAL(major, minor, patch) (((major) << 16) | ((minor) << 8) | (patch))
#define ESP_IDF_VERSION ESP_IDF_VERSION_VAL(ESP_IDF_VERSION_MAJOR, ESP_IDF_VERSION_MINOR, ESP_IDF_VERSION_PATCH)

/** "v5.5-portls-X.Y.Z": the ESP-IDF version followed, then portls's own. A static string. */
const char *esp_get_idf_version(void);

#ifdef __cplusplus
}
#endif
