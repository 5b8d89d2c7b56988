/*
 * esp_rom_crc.h: the chip ROM's CRC-32 of ESP-IDF v5.5 (esp_rom/include/esp_rom_crc.h), the one
 * the otadata entries and NVS use.
 */
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * zlib's CRC-32 (reflected, polynomial 0xEDB88320), continued from crc: the register starts at
 * ~crc and the result is inverted, so esp_rom_crc32_le(esp_rom_crc32_le(c, a), b) is the CRC of
 * a then b. ESP-IDF starts from UINT32_MAX (zlib.crc32(data, 0xFFFFFFFF) in Python).
 */
uint32_t esp_rom_crc32_le(uint32_t crc, uint8_t const *buf, uint32_t len);

#ifdef __cplusplus
}
#endif
