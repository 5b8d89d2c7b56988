/* App images from a payload, laid out as esptool's elf2image writes an ESP-IDF app. */
#include <stdlib.h>
#include <string.h>

#include "mbedtls/sha256.h"
#include "portls_format.h"

#define DESC_OFFSET (sizeof(esp_image_header_t) + sizeof(esp_image_segment_header_t)) /* 0x20 */
#define MAX_SEGMENT_LEN 0x1000000
#define FLASH_SIZE_2MB 1 /* esp_image_flash_size_t, ESP-IDF's default flash size */

static bool fits(const char *text, size_t field)
{
    return text != NULL && strlen(text) < field;
}

static uint8_t legacy_min_rev(const portls_chip_t *chip, unsigned min_rev_full)
{
    switch (chip->legacy_rev) {
    case PORTLS_LEGACY_REV_MAJOR:
        return (uint8_t)(min_rev_full / 100);
    case PORTLS_LEGACY_REV_MINOR:
        return (uint8_t)(min_rev_full % 100);
    default:
        return 0;
    }
}

static void fill_header(esp_image_header_t *h, const portls_chip_t *chip, unsigned min_rev, unsigned max_rev)
{
    memset(h, 0, sizeof(*h));
    h->magic = ESP_IMAGE_HEADER_MAGIC;
    h->segment_count = 1;
    h->spi_mode = ESP_IMAGE_SPI_MODE_DIO;
    h->spi_speed = 0; /* the chip's default flash frequency code (esptool's 40m, 80m on some chips) */
    h->spi_size = FLASH_SIZE_2MB;
    h->wp_pin = 0xEE;
    h->chip_id = chip->id;
    h->min_chip_rev = legacy_min_rev(chip, min_rev);
    h->min_chip_rev_full = (uint16_t)min_rev;
    h->max_chip_rev_full = (uint16_t)max_rev;
    h->hash_appended = 1;
}

static void fill_desc(esp_app_desc_t *d, const portls_image_config_t *cfg, const void *payload, size_t len)
{
    memset(d, 0, sizeof(*d));
    d->magic_word = ESP_APP_DESC_MAGIC_WORD;
    d->secure_version = cfg->secure_version;
    strncpy(d->version, cfg->version, sizeof(d->version) - 1);
    strncpy(d->project_name, cfg->project_name, sizeof(d->project_name) - 1);
    strncpy(d->idf_ver, cfg->idf_ver != NULL ? cfg->idf_ver : "portls " PORTLS_VERSION, sizeof(d->idf_ver) - 1);
    struct tm tm;
    gmtime_r(&cfg->build_time, &tm);
    strftime(d->date, sizeof(d->date), "%b %e %Y", &tm); /* as __DATE__ */
    strftime(d->time, sizeof(d->time), "%H:%M:%S", &tm);
    mbedtls_sha256(payload, len, d->app_elf_sha256, 0);
    d->mmu_page_size = 16; /* log2 of 64 KiB */
}

static unsigned rev_or(int rev, unsigned chip_default)
{
    return rev < 0 ? chip_default : (unsigned)rev;
}

static bool config_ok(const portls_image_config_t *cfg, const portls_chip_t *chip, size_t len)
{
    bool texts = fits(cfg->version, 32) && fits(cfg->project_name, 32) && (cfg->idf_ver == NULL || fits(cfg->idf_ver, 32));
    bool revs = rev_or(cfg->min_rev_full, chip->min_rev_full) <= 65535 && rev_or(cfg->max_rev_full, chip->max_rev_full) <= 65535;
    return texts && revs && len < MAX_SEGMENT_LEN - sizeof(esp_app_desc_t) - 3;
}

/* Zeros until (len + 1) % 16 == 0, then the checksum: the XOR of the data, seeded 0xEF. */
static size_t append_checksum(uint8_t *img, size_t len, const uint8_t *data, size_t data_len)
{
    uint8_t checksum = 0xEF;
    for (size_t i = 0; i < data_len; i++) {
        checksum ^= data[i];
    }
    while ((len + 1) % 16 != 0) {
        img[len++] = 0;
    }
    img[len++] = checksum;
    return len;
}

esp_err_t portls_image_build(const portls_image_config_t *cfg, const void *payload, size_t len, uint8_t **out,
                             size_t *out_len)
{
    if (cfg == NULL || (payload == NULL && len > 0) || out == NULL || out_len == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    const portls_chip_t *chip = cfg->chip != NULL ? cfg->chip : portls_chip_emulated();
    if (!config_ok(cfg, chip, len)) {
        return ESP_ERR_INVALID_ARG;
    }
    uint32_t seg_len = (uint32_t)((sizeof(esp_app_desc_t) + len + 3) & ~(size_t)3);
    uint8_t *img = calloc(1, DESC_OFFSET + seg_len + 16 + 32);
    if (img == NULL) {
        return ESP_ERR_NO_MEM;
    }
    fill_header((esp_image_header_t *)img, chip, rev_or(cfg->min_rev_full, chip->min_rev_full),
                rev_or(cfg->max_rev_full, chip->max_rev_full));
    esp_image_segment_header_t seg = { .load_addr = chip->app_data_addr + (uint32_t)DESC_OFFSET, .data_len = seg_len };
    memcpy(img + sizeof(esp_image_header_t), &seg, sizeof(seg));
    fill_desc((esp_app_desc_t *)(img + DESC_OFFSET), cfg, payload, len);
    if (len > 0) {
        memcpy(img + DESC_OFFSET + sizeof(esp_app_desc_t), payload, len);
    }
    size_t n = append_checksum(img, DESC_OFFSET + seg_len, img + DESC_OFFSET, seg_len);
    mbedtls_sha256(img, n, img + n, 0);
    *out = img;
    *out_len = n + 32;
    return ESP_OK;
}
