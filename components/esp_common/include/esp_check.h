/*
 * esp_check.h: ESP-IDF v5.5's checking macros. Each logs "FUNCTION(LINE): message" as an error
 * under log_tag when its check fails, then returns, or jumps to goto_tag having set the caller's
 * esp_err_t variable `ret` (which the *_GOTO_* macros need in scope).
 */
#pragma once

#include "esp_err.h"
#include "esp_log.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Returns x's error if x is not ESP_OK. */
#define ESP_RETURN_ON_ERROR(x, log_tag, format, ...) do {                                   \
        esp_err_t err_rc_ = (x);                                                             \
        if (err_rc_ != ESP_OK) {                                                             \
            ESP_LOGE(log_tag, "%s(%d): " format, __func__, __LINE__, ##__VA_ARGS__);         \
            return err_rc_;                                                                  \
        }                                                                                    \
    } while (0)

/** Returns (from a void function) if x is not ESP_OK. */
#define ESP_RETURN_VOID_ON_ERROR(x, log_tag, format, ...) do {                              \
        esp_err_t err_rc_ = (x);                                                             \
        if (err_rc_ != ESP_OK) {                                                             \
            ESP_LOGE(log_tag, "%s(%d): " format, __func__, __LINE__, ##__VA_ARGS__);         \
            return;                                                                          \
        }                                                                                    \
    } while (0)

/** Sets ret to x's error and jumps to goto_tag if x is not ESP_OK. */
#define ESP_GOTO_ON_ERROR(x, goto_tag, log_tag, format, ...) do {                           \
        esp_err_t err_rc_ = (x);                                                             \
        if (err_rc_ != ESP_OK) {                                                             \
            ESP_LOGE(log_tag, "%s(%d): " format, __func__, __LINE__, ##__VA_ARGS__);         \
            ret = err_rc_;                                                                   \
            goto goto_tag;                                                                   \
        }                                                                                    \
    } while (0)

/** Returns err_code if a is false. */
#define ESP_RETURN_ON_FALSE(a, err_code, log_tag, format, ...) do {                         \
        if (!(a)) {                                                                          \
            ESP_LOGE(log_tag, "%s(%d): " format, __func__, __LINE__, ##__VA_ARGS__);         \
            return err_code;                                                                 \
        }                                                                                    \
    } while (0)

/** Returns (from a void function) if a is false. */
#define ESP_RETURN_VOID_ON_FALSE(a, log_tag, format, ...) do {                              \
        if (!(a)) {                                                                          \
            ESP_LOGE(log_tag, "%s(%d): " format, __func__, __LINE__, ##__VA_ARGS__);         \
            return;                                                                          \
        }                                                                                    \
    } while (0)

/** Sets ret to err_code and jumps to goto_tag if a is false. */
#define ESP_GOTO_ON_FALSE(a, err_code, goto_tag, log_tag, format, ...) do {                 \
        if (!(a)) {                                                                          \
            ESP_LOGE(log_tag, "%s(%d): " format, __func__, __LINE__, ##__VA_ARGS__);         \
            ret = err_code;                                                                  \
            goto goto_tag;                                                                   \
        }                                                                                    \
    } while (0)

/* No interrupts on a host: the ISR forms are the same checks. */
#define ESP_RETURN_ON_ERROR_ISR(x, log_tag, format, ...) ESP_RETURN_ON_ERROR(x, log_tag, format, ##__VA_ARGS__)
#define ESP_GOTO_ON_ERROR_ISR(x, goto_tag, log_tag, format, ...) \
    ESP_GOTO_ON_ERROR(x, goto_tag, log_tag, format, ##__VA_ARGS__)
#define ESP_RETURN_ON_FALSE_ISR(a, err_code, log_tag, format, ...) \
    ESP_RETURN_ON_FALSE(a, err_code, log_tag, format, ##__VA_ARGS__)
#define ESP_GOTO_ON_FALSE_ISR(a, err_code, goto_tag, log_tag, format, ...) \
    ESP_GOTO_ON_FALSE(a, err_code, goto_tag, log_tag, format, ##__VA_ARGS__)

#ifdef __cplusplus
}
#endif
