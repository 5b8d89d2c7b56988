/*
 * esp_app_format.h: the header of an app (or bootloader) image, byte for byte as in ESP-IDF v5.5.
 *
 * An image is this 24-byte header, segment_count segments (an 8-byte esp_image_segment_header_t,
 * then data_len bytes), zero padding up to a 16-byte boundary whose last byte is the checksum,
 * and, when hash_appended is 1, the SHA-256 of everything before it. All fields little-endian.
 */
#pragma once

#include <inttypes.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The chip an image is built for (esp_image_header_t.chip_id). */
typedef enum {
    ESP_CHIP_ID_ESP32 = 0x0000,
    ESP_CHIP_ID_ESP32S2 = 0x0002,
    ESP_CHIP_ID_ESP32C3 = 0x0005,
    ESP_CHIP_ID_ESP32S3 = 0x0009,
    ESP_CHIP_ID_ESP32C2 = 0x000C,
    ESP_CHIP_ID_ESP32C6 = 0x000D,
    ESP_CHIP_ID_ESP32H2 = 0x0010,
    ESP_CHIP_ID_ESP32P4 = 0x0012,
    ESP_CHIP_ID_ESP32C5 = 0x0017,
    ESP_CHIP_ID_ESP32C61 = 0x0014,
    ESP_CHIP_ID_ESP32H21 = 0x0019,
    ESP_CHIP_ID_ESP32H4 = 0x001C,
    ESP_CHIP_ID_INVALID = 0xFFFF /*!< keeps the enum 16 bits wide */
} __attribute__((packed)) esp_chip_id_t;

_Static_assert(sizeof(esp_chip_id_t) == 2, "esp_chip_id_t should be 16 bit");

/** SPI flash mode (esp_image_header_t.spi_mode). */
typedef enum {
    ESP_IMAGE_SPI_MODE_QIO,
    ESP_IMAGE_SPI_MODE_QOUT,
    ESP_IMAGE_SPI_MODE_DIO,
    ESP_IMAGE_SPI_MODE_DOUT,
    ESP_IMAGE_SPI_MODE_FAST_READ,
    ESP_IMAGE_SPI_MODE_SLOW_READ
} esp_image_spi_mode_t;

/** SPI flash clock divider (esp_image_header_t.spi_speed). */
typedef enum {
    ESP_IMAGE_SPI_SPEED_DIV_2,
    ESP_IMAGE_SPI_SPEED_DIV_3,
    ESP_IMAGE_SPI_SPEED_DIV_4,
    ESP_IMAGE_SPI_SPEED_DIV_1 = 0xF
} esp_image_spi_freq_t;

/** SPI flash size (esp_image_header_t.spi_size). */
typedef enum {
    ESP_IMAGE_FLASH_SIZE_1MB = 0,
    ESP_IMAGE_FLASH_SIZE_2MB,
    ESP_IMAGE_FLASH_SIZE_4MB,
    ESP_IMAGE_FLASH_SIZE_8MB,
    ESP_IMAGE_FLASH_SIZE_16MB,
    ESP_IMAGE_FLASH_SIZE_32MB,
    ESP_IMAGE_FLASH_SIZE_64MB,
    ESP_IMAGE_FLASH_SIZE_128MB,
    ESP_IMAGE_FLASH_SIZE_MAX
} esp_image_flash_size_t;

#define ESP_IMAGE_HEADER_MAGIC 0xE9 /*!< esp_image_header_t.magic */

/** The image header (24 bytes). */
typedef struct {
    uint8_t magic;              /*!< ESP_IMAGE_HEADER_MAGIC */
    uint8_t segment_count;      /*!< at most ESP_IMAGE_MAX_SEGMENTS */
    uint8_t spi_mode;           /*!< esp_image_spi_mode_t */
    uint8_t spi_speed : 4;      /*!< esp_image_spi_freq_t (low nibble of byte 3) */
    uint8_t spi_size : 4;       /*!< esp_image_flash_size_t (high nibble) */
    uint32_t entry_addr;        /*!< where the ROM jumps to */
    uint8_t wp_pin;             /*!< 0xEE: disabled */
    uint8_t spi_pin_drv[3];     /*!< drive strengths: clk/q, d/cs, hd/wp nibbles */
    esp_chip_id_t chip_id;      /*!< the chip the image is for */
    uint8_t min_chip_rev;       /*!< legacy: the major revision (ESP32-C3: the minor) */
    uint16_t min_chip_rev_full; /*!< the oldest chip revision, major * 100 + minor */
    uint16_t max_chip_rev_full; /*!< the newest; 0 and 65535 mean no limit */
    uint8_t reserved[4];
    uint8_t hash_appended;      /*!< 1: a SHA-256 of the image follows the checksum */
} __attribute__((packed)) esp_image_header_t;

_Static_assert(sizeof(esp_image_header_t) == 24, "binary image header should be 24 bytes");

/** A segment's header, followed by data_len bytes of data. */
typedef struct {
    uint32_t load_addr; /*!< where the data goes: RAM, or a flash-mapped (DROM/IROM) address */
    uint32_t data_len;  /*!< a multiple of 4, below 16 MiB */
} esp_image_segment_header_t;

_Static_assert(sizeof(esp_image_segment_header_t) == 8, "a segment header is 8 bytes");

#define ESP_IMAGE_MAX_SEGMENTS 16 /*!< segment_count's limit */

#ifdef __cplusplus
}
#endif
