/*
 * esp_log.h: ESP-IDF's logging macros on a host. Messages go to stderr as
 * "E (1234) tag: message", where 1234 is milliseconds since the first log call.
 *
 * The default level is INFO, or the level named by the environment variable PORTLS_LOG_LEVEL
 * (none, error, warn, info, debug, verbose, or 0-5), read at the first log call.
 * esp_log_level_set() changes it at run time, for one tag or for all ("*"). Thread-safe.
 */
#pragma once

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ESP_LOG_NONE,
    ESP_LOG_ERROR,
    ESP_LOG_WARN,
    ESP_LOG_INFO,
    ESP_LOG_DEBUG,
    ESP_LOG_VERBOSE,
} esp_log_level_t;

/**
 * Sets the level of one tag, or the default for every tag when tag is "*" (which also drops
 * the per-tag levels, as ESP-IDF does). Up to 32 tags keep their own level; a NULL tag or an
 * out-of-range level is ignored.
 */
void esp_log_level_set(const char *tag, esp_log_level_t level);

/** The level in force for tag (the default for NULL). */
esp_log_level_t esp_log_level_get(const char *tag);

/** Milliseconds since the first call, for the log prefix. */
uint32_t esp_log_timestamp(void);

/** Writes one formatted message to stderr if level is enabled for tag. */
void esp_log_write(esp_log_level_t level, const char *tag, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/** Like esp_log_write(), with a va_list. */
void esp_log_writev(esp_log_level_t level, const char *tag, const char *format, va_list args);

#define ESP_LOG_LEVEL(level, letter, tag, format, ...) do {                                  \
        if (esp_log_level_get(tag) >= (level)) {                                               \
            esp_log_write((level), (tag), letter " (%" PRIu32 ") %s: " format "\n",             \
                          esp_log_timestamp(), (tag), ##__VA_ARGS__);                           \
        }                                                                                      \
    } while (0)

#define ESP_LOGE(tag, format, ...) ESP_LOG_LEVEL(ESP_LOG_ERROR, "E", tag, format, ##__VA_ARGS__)
#define ESP_LOGW(tag, format, ...) ESP_LOG_LEVEL(ESP_LOG_WARN, "W", tag, format, ##__VA_ARGS__)
#define ESP_LOGI(tag, format, ...) ESP_LOG_LEVEL(ESP_LOG_INFO, "I", tag, format, ##__VA_ARGS__)
#define ESP_LOGD(tag, format, ...) ESP_LOG_LEVEL(ESP_LOG_DEBUG, "D", tag, format, ##__VA_ARGS__)
#define ESP_LOGV(tag, format, ...) ESP_LOG_LEVEL(ESP_LOG_VERBOSE, "V", tag, format, ##__VA_ARGS__)

#ifdef __cplusplus
}
#endif
