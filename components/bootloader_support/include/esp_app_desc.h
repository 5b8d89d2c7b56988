/*
 * esp_app_desc.h: the app descriptor, as in ESP-IDF v5.5. It is the first 256 bytes of an app
 * image's first segment, at image offset 0x20.
 *
 * On a device the descriptor is compiled into the app. On portls the app is the image that the
 * simulated bootloader booted from the flash file (portls_boot.h), so esp_app_get_description()
 * returns that image's descriptor, read at boot: after an update and a restart it is the new one.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ESP_APP_DESC_MAGIC_WORD (0xABCD5432) /*!< esp_app_desc_t.magic_word */

/** The app descriptor (256 bytes). Strings are NUL-padded and need not end in a NUL. */
typedef struct {
    uint32_t magic_word;             /*!< ESP_APP_DESC_MAGIC_WORD */
    uint32_t secure_version;         /*!< for anti-rollback */
    uint32_t reserv1[2];
    char version[32];                /*!< the app's version */
    char project_name[32];
    char time[16];                   /*!< build time, "HH:MM:SS" */
    char date[16];                   /*!< build date, "Mmm dd yyyy" */
    char idf_ver[32];                /*!< what built it */
    uint8_t app_elf_sha256[32];      /*!< SHA-256 of the ELF file (portls image wrap: of the payload) */
    uint16_t min_efuse_blk_rev_full; /*!< major * 100 + minor */
    uint16_t max_efuse_blk_rev_full;
    uint8_t mmu_page_size;           /*!< log2 of the MMU page size; 0 in old images */
    uint8_t reserv3[3];
    uint32_t reserv2[18];
} esp_app_desc_t;

_Static_assert(sizeof(esp_app_desc_t) == 256, "esp_app_desc_t should be 256 bytes");
_Static_assert(offsetof(esp_app_desc_t, secure_version) == 4, "secure_version field must be at 4 offset");
_Static_assert(offsetof(esp_app_desc_t, app_elf_sha256) == 144, "the ELF SHA-256 lands at image offset 0xb0");
_Static_assert(offsetof(esp_app_desc_t, mmu_page_size) == 180, "mmu_page_size is at 180");

/**
 * The descriptor of the running app: the image the simulated bootloader booted (the boot happens
 * here if no partition call has run it yet). Never NULL; valid for the life of the process.
 * When no image booted (no flash file named, or nothing bootable) every byte is zero, the magic
 * word included.
 */
const esp_app_desc_t *esp_app_get_description(void);

/**
 * The running app's ELF SHA-256 in lowercase hex, CONFIG_APP_RETRIEVE_LEN_ELF_SHA characters at
 * most (9 by default), as ESP-IDF keeps it.
 * @param dst  the caller's buffer: the text and its NUL, cut to size - 1 characters
 * @param size bytes in dst
 * @return bytes written, the NUL included; 0 if dst is NULL or size < 2
 */
int esp_app_get_elf_sha256(char *dst, size_t size);

#ifdef __cplusplus
}
#endif
