/*
 * esp_log.h: ESP-IDF's logging macros on a host. Messages go to stderr as
 * "E (1234) tag: message", where 1234 is milliseconds since the program started.
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

/** Milliseconds since the program started (esp_timer_get_time()'s clock), for the log prefix. */
uint32_t esp_log_timestamp(void);

/** An output for the log: printf-like, as ESP-IDF's. */
typedef int (*vprintf_like_t)(const char *format, va_list args);

/**
 * Sends every later log message to func instead (ESP-IDF's call; its default writes to the UART,
 * here to stderr). func gets each message's format and arguments, the prefix included, and may be
 * called from any thread at once. NULL restores the default. @return the output it replaces.
 */
vprintf_like_t esp_log_set_vprintf(vprintf_like_t func);

/** Writes one formatted message to the log's output (stderr, or esp_log_set_vprintf()'s) if
 * level is enabled for tag. */
void esp_log_write(esp_log_level_t level, const char *tag, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/** Like esp_log_write(), with a va_list. */
void esp_log_writev(esp_log_level_t level, const char *tag, const char *format, va_list args);

/** The letter a line of that level starts with ('E', 'W', 'I', 'D', 'V'; 'N' for none). */
char esp_log_level_letter(esp_log_level_t level);

/**
 * The buffer's bytes as hexadecimal, 16 a line ("I (12) tag: 0a 1b ..."), if level is enabled
 * for tag. buffer must hold buff_len bytes; nothing is printed for 0.
 */
void esp_log_buffer_hex_internal(const char *tag, const void *buffer, uint16_t buff_len, esp_log_level_t level);

/** The buffer's bytes as characters, 16 a line, as they are (for text). */
void esp_log_buffer_char_internal(const char *tag, const void *buffer, uint16_t buff_len, esp_log_level_t level);

/** A dump: each line the address of its first byte, 16 bytes in hexadecimal (two groups of
 *  8) and the same bytes as characters between bars, '.' for those that do not print. */
void esp_log_buffer_hexdump_internal(const char *tag, const void *buffer, uint16_t buff_len, esp_log_level_t level);

/** One line at level for tag: "E (1234) tag: message", as ESP-IDF's ESP_LOG_LEVEL. */
#define ESP_LOG_LEVEL(level, tag, format, ...) do {                                                  \
        esp_log_level_t esp_log_level_ = (level);                                                     \
        if (esp_log_level_get(tag) >= esp_log_level_) {                                               \
            esp_log_write(esp_log_level_, (tag), "%c (%" PRIu32 ") %s: " format "\n",                 \
                          esp_log_level_letter(esp_log_level_), esp_log_timestamp(), (tag), ##__VA_ARGS__); \
        }                                                                                             \
    } while (0)

/* Every level is compiled in (ESP-IDF's LOG_LOCAL_LEVEL is the maximum): the run-time level decides. */
#define ESP_LOG_LEVEL_LOCAL(level, tag, format, ...) ESP_LOG_LEVEL(level, tag, format, ##__VA_ARGS__)

#define ESP_LOGE(tag, format, ...) ESP_LOG_LEVEL(ESP_LOG_ERROR, tag, format, ##__VA_ARGS__)
#define ESP_LOGW(tag, format, ...) ESP_LOG_LEVEL(ESP_LOG_WARN, tag, format, ##__VA_ARGS__)
#define ESP_LOGI(tag, format, ...) ESP_LOG_LEVEL(ESP_LOG_INFO, tag, format, ##__VA_ARGS__)
#define ESP_LOGD(tag, format, ...) ESP_LOG_LEVEL(ESP_LOG_DEBUG, tag, format, ##__VA_ARGS__)
#define ESP_LOGV(tag, format, ...) ESP_LOG_LEVEL(ESP_LOG_VERBOSE, tag, format, ##__VA_ARGS__)

/* Before the scheduler on a chip; a host has no such time, so they are the same lines. */
#define ESP_EARLY_LOGE(tag, format, ...) ESP_LOGE(tag, format, ##__VA_ARGS__)
#define ESP_EARLY_LOGW(tag, format, ...) ESP_LOGW(tag, format, ##__VA_ARGS__)
#define ESP_EARLY_LOGI(tag, format, ...) ESP_LOGI(tag, format, ##__VA_ARGS__)
#define ESP_EARLY_LOGD(tag, format, ...) ESP_LOGD(tag, format, ##__VA_ARGS__)
#define ESP_EARLY_LOGV(tag, format, ...) ESP_LOGV(tag, format, ##__VA_ARGS__)

#define ESP_LOG_BUFFER_HEX_LEVEL(tag, buffer, buff_len, level) \
    esp_log_buffer_hex_internal((tag), (buffer), (buff_len), (level))
#define ESP_LOG_BUFFER_CHAR_LEVEL(tag, buffer, buff_len, level) \
    esp_log_buffer_char_internal((tag), (buffer), (buff_len), (level))
#define ESP_LOG_BUFFER_HEXDUMP(tag, buffer, buff_len, level) \
    esp_log_buffer_hexdump_internal((tag), (buffer), (buff_len), (level))
#define ESP_LOG_BUFFER_HEX(tag, buffer, buff_len) ESP_LOG_BUFFER_HEX_LEVEL(tag, buffer, buff_len, ESP_LOG_INFO)
#define ESP_LOG_BUFFER_CHAR(tag, buffer, buff_len) ESP_LOG_BUFFER_CHAR_LEVEL(tag, buffer, buff_len, ESP_LOG_INFO)
#define esp_log_buffer_hex(tag, buffer, buff_len) ESP_LOG_BUFFER_HEX(tag, buffer, buff_len)
#define esp_log_buffer_char(tag, buffer, buff_len) ESP_LOG_BUFFER_CHAR(tag, buffer, buff_len)

#ifdef __cplusplus
}
#endif
