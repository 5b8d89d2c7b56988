/*
 * esp_err.h: ESP-IDF's error type and generic codes, with the same names and values.
 * Components add their own ranges (esp-tls: 0x8000, HTTP client: 0x7000, ...).
 */
#pragma once

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int esp_err_t;

#define ESP_OK                   0      /*!< success */
#define ESP_FAIL                 -1     /*!< generic failure */

#define ESP_ERR_NO_MEM           0x101  /*!< out of memory, or over the heap budget */
#define ESP_ERR_INVALID_ARG      0x102  /*!< an argument is NULL or out of range */
#define ESP_ERR_INVALID_STATE    0x103  /*!< the object is not in a state that allows the call */
#define ESP_ERR_INVALID_SIZE     0x104  /*!< a size is wrong */
#define ESP_ERR_NOT_FOUND        0x105  /*!< the requested resource does not exist */
#define ESP_ERR_NOT_SUPPORTED    0x106  /*!< not supported by this build or on this host */
#define ESP_ERR_TIMEOUT          0x107  /*!< the operation timed out */
#define ESP_ERR_INVALID_RESPONSE 0x108  /*!< the peer's response is invalid */
#define ESP_ERR_INVALID_CRC      0x109  /*!< checksum mismatch */
#define ESP_ERR_INVALID_VERSION  0x10A  /*!< version mismatch */
#define ESP_ERR_INVALID_MAC      0x10B  /*!< MAC address is invalid */
#define ESP_ERR_NOT_FINISHED     0x10C  /*!< an operation has not fully completed */
#define ESP_ERR_NOT_ALLOWED      0x10D  /*!< the operation is not allowed */

#define ESP_ERR_WIFI_BASE        0x3000 /*!< first Wi-Fi error code (unused on a host) */
#define ESP_ERR_MESH_BASE        0x4000 /*!< first mesh error code (unused on a host) */
#define ESP_ERR_FLASH_BASE       0x6000 /*!< first flash error code */
#define ESP_ERR_HW_CRYPTO_BASE   0xc000 /*!< first hardware-crypto error code (unused on a host) */
#define ESP_ERR_MEMPROT_BASE     0xd000 /*!< first memory-protection error code (unused on a host) */

/**
 * The name of an error code, such as "ESP_ERR_NO_MEM", for every code that portls defines.
 * @return a static string; "UNKNOWN ERROR" for a code that portls does not define. Never NULL.
 */
const char *esp_err_to_name(esp_err_t code);

/**
 * Like esp_err_to_name(), but writes into buf; an unknown code in the errno range is described
 * with strerror_r(), any other as "Unknown error 0x...".
 * @param buf    caller's buffer; the result is always NUL-terminated when buflen > 0
 * @param buflen size of buf in bytes
 * @return buf, or NULL if buf is NULL or buflen is 0
 */
const char *esp_err_to_name_r(esp_err_t code, char *buf, size_t buflen);

/** Prints the failed expression with its error name, then aborts, as ESP-IDF's does. */
void _esp_error_check_failed(esp_err_t rc, const char *file, int line, const char *function,
                             const char *expression) __attribute__((noreturn));

/** Prints the failed expression with its error name, and carries on. */
void _esp_error_check_failed_without_abort(esp_err_t rc, const char *file, int line,
                                           const char *function, const char *expression);

#define ESP_ERROR_CHECK(x) do {                                                   \
        esp_err_t err_rc_ = (x);                                                  \
        if (err_rc_ != ESP_OK) {                                                  \
            _esp_error_check_failed(err_rc_, __FILE__, __LINE__, __func__, #x);   \
        }                                                                         \
    } while (0)

#define ESP_ERROR_CHECK_WITHOUT_ABORT(x) ({                                                   \
        esp_err_t err_rc_ = (x);                                                              \
        if (err_rc_ != ESP_OK) {                                                              \
            _esp_error_check_failed_without_abort(err_rc_, __FILE__, __LINE__, __func__, #x); \
        }                                                                                     \
        err_rc_;                                                                              \
    })

#ifdef __cplusplus
}
#endif
