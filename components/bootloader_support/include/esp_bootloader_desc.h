/*
 * esp_bootloader_desc.h: the bootloader descriptor, as in ESP-IDF v5.5 (esp_bootloader_format). It
 * lies in a bootloader image where an app image has its app descriptor: at image offset 0x20, the
 * start of the first segment's data. esp_ota_get_bootloader_description() (esp_ota_ops.h) reads
 * it from flash and esp_https_ota_get_bootloader_img_desc() from a download.
 *
 * portls runs no bootloader image of its own (the simulated bootloader is code: portls_boot.h), so
 * ESP-IDF's esp_bootloader_get_description(), the running bootloader's descriptor, is not here.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ESP_BOOTLOADER_DESC_MAGIC_BYTE (80) /*!< esp_bootloader_desc_t.magic_byte */

/** The bootloader descriptor (80 bytes). Strings are NUL-padded and need not end in a NUL. */
typedef struct {
    uint8_t magic_byte;     /*!< ESP_BOOTLOADER_DESC_MAGIC_BYTE */
    uint8_t reserved[2];
    uint8_t secure_version; /*!< for the bootloader's anti-rollback */
    uint32_t version;       /*!< the bootloader's version */
    char idf_ver[32];       /*!< what built it */
    char date_time[24];     /*!< build date and time */
    uint8_t reserved2[16];
} esp_bootloader_desc_t;

_Static_assert(sizeof(esp_bootloader_desc_t) == 80, "esp_bootloader_desc_t should be 80 bytes");
_Static_assert(offsetof(esp_bootloader_desc_t, idf_ver) == 8, "idf_ver is at 8");

#ifdef __cplusplus
}
#endif
