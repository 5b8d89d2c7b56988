#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "esp_deadline.h"
#include "esp_log.h"

#define TAG_SLOTS 32
#define TAG_MAX_LEN 31

typedef struct {
    char tag[TAG_MAX_LEN + 1];
    esp_log_level_t level;
} tag_level_t;

/* The logger is process-wide by nature (stderr is), so its state is too; one lock guards it. */
static struct {
    pthread_mutex_t lock;
    pthread_once_t once;
    esp_log_level_t default_level;
    tag_level_t tags[TAG_SLOTS];
    size_t tag_count;
    int64_t start_ms; /* esp_deadline_now_ms() at the program's start */
} logger = { .lock = PTHREAD_MUTEX_INITIALIZER, .once = PTHREAD_ONCE_INIT };

static esp_log_level_t parse_level(const char *text)
{
    static const char *const names[] = { "none", "error", "warn", "info", "debug", "verbose" };
    for (int i = ESP_LOG_NONE; i <= ESP_LOG_VERBOSE; i++) {
        if (strcasecmp(text, names[i]) == 0 || (text[0] == '0' + i && text[1] == '\0')) {
            return (esp_log_level_t)i;
        }
    }
    return ESP_LOG_INFO;
}

static void logger_init(void)
{
    const char *env = getenv("PORTLS_LOG_LEVEL");
    logger.default_level = env ? parse_level(env) : ESP_LOG_INFO;
}

__attribute__((constructor)) static void logger_start_clock(void)
{
    logger.start_ms = esp_deadline_now_ms();
}

void esp_log_level_set(const char *tag, esp_log_level_t level)
{
    if (tag == NULL || level < ESP_LOG_NONE || level > ESP_LOG_VERBOSE) {
        return;
    }
    pthread_once(&logger.once, logger_init);
    pthread_mutex_lock(&logger.lock);
    if (strcmp(tag, "*") == 0) {
        logger.default_level = level;
        logger.tag_count = 0;
    } else {
        size_t i = 0;
        while (i < logger.tag_count && strncmp(logger.tags[i].tag, tag, TAG_MAX_LEN) != 0) {
            i++;
        }
        if (i < TAG_SLOTS) {
            snprintf(logger.tags[i].tag, sizeof(logger.tags[i].tag), "%s", tag);
            logger.tags[i].level = level;
            logger.tag_count += (i == logger.tag_count);
        }
    }
    pthread_mutex_unlock(&logger.lock);
}

esp_log_level_t esp_log_level_get(const char *tag)
{
    pthread_once(&logger.once, logger_init);
    pthread_mutex_lock(&logger.lock);
    esp_log_level_t level = logger.default_level;
    for (size_t i = 0; tag != NULL && i < logger.tag_count; i++) {
        if (strncmp(logger.tags[i].tag, tag, TAG_MAX_LEN) == 0) {
            level = logger.tags[i].level;
            break;
        }
    }
    pthread_mutex_unlock(&logger.lock);
    return level;
}

uint32_t esp_log_timestamp(void)
{
    return (uint32_t)(esp_deadline_now_ms() - logger.start_ms);
}

static int log_to_stderr(const char *format, va_list args)
{
    return vfprintf(stderr, format, args);
}

static _Atomic(vprintf_like_t) log_output = log_to_stderr;

vprintf_like_t esp_log_set_vprintf(vprintf_like_t func)
{
    return atomic_exchange(&log_output, func != NULL ? func : log_to_stderr);
}

void esp_log_writev(esp_log_level_t level, const char *tag, const char *format, va_list args)
{
    if (format == NULL || level == ESP_LOG_NONE || esp_log_level_get(tag) < level) {
        return;
    }
    atomic_load(&log_output)(format, args);
}

void esp_log_write(esp_log_level_t level, const char *tag, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    esp_log_writev(level, tag, format, args);
    va_end(args);
}

char esp_log_level_letter(esp_log_level_t level)
{
    static const char letters[] = "NEWIDV";
    return level >= ESP_LOG_NONE && level <= ESP_LOG_VERBOSE ? letters[level] : 'N';
}

#define BYTES_PER_LINE 16

static bool buffer_enabled(const char *tag, const void *buffer, uint16_t len, esp_log_level_t level)
{
    return buffer != NULL && len > 0 && level != ESP_LOG_NONE && esp_log_level_get(tag) >= level;
}

void esp_log_buffer_hex_internal(const char *tag, const void *buffer, uint16_t buff_len, esp_log_level_t level)
{
    if (!buffer_enabled(tag, buffer, buff_len, level)) {
        return;
    }
    const unsigned char *bytes = buffer;
    for (size_t at = 0; at < buff_len; at += BYTES_PER_LINE) {
        char line[3 * BYTES_PER_LINE + 1] = "";
        size_t n = buff_len - at < BYTES_PER_LINE ? buff_len - at : BYTES_PER_LINE;
        for (size_t i = 0; i < n; i++) {
            snprintf(line + 3 * i, sizeof(line) - 3 * i, i + 1 < n ? "%02x " : "%02x", bytes[at + i]);
        }
        ESP_LOG_LEVEL(level, tag, "%s", line);
    }
}

void esp_log_buffer_char_internal(const char *tag, const void *buffer, uint16_t buff_len, esp_log_level_t level)
{
    if (!buffer_enabled(tag, buffer, buff_len, level)) {
        return;
    }
    const char *chars = buffer;
    for (size_t at = 0; at < buff_len; at += BYTES_PER_LINE) {
        int n = buff_len - at < BYTES_PER_LINE ? (int)(buff_len - at) : BYTES_PER_LINE;
        ESP_LOG_LEVEL(level, tag, "%.*s", n, chars + at);
    }
}

/* "xx xx xx xx xx xx xx xx  xx ... xx": the hex column of one dump line, padded to full width. */
static void hexdump_column(char *out, size_t size, const unsigned char *bytes, size_t n)
{
    size_t used = 0;
    for (size_t i = 0; i < BYTES_PER_LINE && used < size; i++) {
        const char *gap = i == BYTES_PER_LINE / 2 ? " " : "";
        if (i < n) {
            used += (size_t)snprintf(out + used, size - used, "%s%02x ", gap, bytes[i]);
        } else {
            used += (size_t)snprintf(out + used, size - used, "%s   ", gap);
        }
    }
}

void esp_log_buffer_hexdump_internal(const char *tag, const void *buffer, uint16_t buff_len, esp_log_level_t level)
{
    if (!buffer_enabled(tag, buffer, buff_len, level)) {
        return;
    }
    const unsigned char *bytes = buffer;
    for (size_t at = 0; at < buff_len; at += BYTES_PER_LINE) {
        size_t n = buff_len - at < BYTES_PER_LINE ? buff_len - at : BYTES_PER_LINE;
        char hex[3 * BYTES_PER_LINE + 2];
        char text[BYTES_PER_LINE + 1] = "";
        hexdump_column(hex, sizeof(hex), bytes + at, n);
        for (size_t i = 0; i < n; i++) {
            text[i] = isprint(bytes[at + i]) ? (char)bytes[at + i] : '.';
        }
        ESP_LOG_LEVEL(level, tag, "%p   %s |%s|", (const void *)(bytes + at), hex, text);
    }
}
