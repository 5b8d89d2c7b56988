/* App image checks in esp_image_verify()'s order, on bytes in memory (the mapped flash, or a file
 * the tool read), with a report of each check. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "esp_image_format.h"
#include "esp_log.h"
#include "esp_private/partition_linux.h"
#include "flash_file.h"
#include "image_check.h"
#include "mbedtls/sha256.h"
#include "portls_format.h"

static const char *TAG = "esp_image";

#define MAX_FLASH_ADDR_SIZE 0x1000000 /* the 16 MiB a 24-bit flash map reaches */
#define CHECKSUM_SEED 0xEF
#define MMU_PAGE_SIZE 0x10000

typedef struct {
    image_check_args_t a;
    bool hashing;
    mbedtls_sha256_context sha;
    uint32_t checksum_word;
    portls_image_report_t *r;
} image_ctx_t;

/* Records the first failure and its log line, logged if the mode says so; ESP-IDF logs the chip
 * and descriptor failures (always) even when verifying silently. */
__attribute__((format(printf, 5, 6))) static esp_err_t fail(image_ctx_t *c, esp_err_t err, bool always,
                                                             const char *tag, const char *format, ...)
{
    if (c->r->result != ESP_OK) {
        return err;
    }
    va_list args;
    va_start(args, format);
    vsnprintf(c->r->reason, sizeof(c->r->reason), format, args);
    va_end(args);
    c->r->result = err;
    if (c->a.log == IMAGE_CHECK_LOG_ALL || (c->a.log == IMAGE_CHECK_LOG_CHIP && always)) {
        ESP_LOGE(tag, "%s", c->r->reason);
    }
    return err;
}

/* len bytes at image offset off, or NULL past the end of what can be read. */
static const uint8_t *at(const image_ctx_t *c, uint32_t off, size_t len)
{
    if (off > c->a.avail || len > c->a.avail - off) {
        return NULL;
    }
    return c->a.image + off;
}

static esp_err_t past_end(image_ctx_t *c, uint32_t off)
{
    return fail(c, ESP_ERR_IMAGE_FLASH_FAIL, false, TAG, "image at 0x%" PRIx32 " runs past the end of flash (offset 0x%" PRIx32 ")",
                c->a.start_addr, off);
}

static void hash(image_ctx_t *c, const void *data, size_t len)
{
    if (c->hashing) {
        mbedtls_sha256_update(&c->sha, data, len);
    }
}

static esp_err_t check_revision(image_ctx_t *c, const esp_image_header_t *h)
{
    unsigned rev = c->a.chip_rev;
    unsigned min = h->min_chip_rev_full;
    unsigned max = h->max_chip_rev_full;
    if (rev < min) {
        return fail(c, ESP_FAIL, true, "boot_comm", "chip revision check failed. Required >= v%u.%u, found v%u.%u.",
                    min / 100, min % 100, rev / 100, rev % 100);
    }
    bool max_set = max != 0 && max != 65535;
    if (c->a.type == ESP_IMAGE_APPLICATION && max_set && rev > max) {
        return fail(c, ESP_FAIL, true, "boot_comm", "chip revision check failed. Required <= v%u.%u, found v%u.%u.",
                    max / 100, max % 100, rev / 100, rev % 100);
    }
    return ESP_OK;
}

static esp_err_t check_chip(image_ctx_t *c, const esp_image_header_t *h, bool check_id)
{
    if (check_id && h->chip_id != c->a.chip->id) {
        return fail(c, ESP_FAIL, true, "boot_comm", "mismatch chip ID, expected %d, found %d", c->a.chip->id, h->chip_id);
    }
    return check_revision(c, h);
}

esp_err_t image_check_chip(const esp_image_header_t *h, bool check_id, bool check_max)
{
    portls_image_report_t report = { 0 };
    image_ctx_t c = {
        .a = { .chip = portls_chip_emulated(), .chip_rev = portls_chip_revision(),
               .type = check_max ? ESP_IMAGE_APPLICATION : ESP_IMAGE_BOOTLOADER, .log = IMAGE_CHECK_LOG_CHIP },
        .r = &report,
    };
    return check_chip(&c, h, check_id);
}

static esp_err_t check_header(image_ctx_t *c, const esp_image_header_t *h)
{
    if (h->magic != ESP_IMAGE_HEADER_MAGIC) {
        return fail(c, ESP_ERR_IMAGE_INVALID, false, TAG, "image at 0x%" PRIx32 " has invalid magic byte (nothing flashed here?)",
                    c->a.start_addr);
    }
    esp_err_t err = check_chip(c, h, true);
    if (err == ESP_OK && h->segment_count > ESP_IMAGE_MAX_SEGMENTS) {
        err = fail(c, ESP_ERR_IMAGE_INVALID, false, TAG, "image at 0x%" PRIx32 " segment count %d exceeds max %d", c->a.start_addr,
                   h->segment_count, ESP_IMAGE_MAX_SEGMENTS);
    }
    return err;
}

static bool should_map(const portls_chip_t *chip, uint32_t addr)
{
    return (addr >= chip->irom_low && addr < chip->irom_high) || (addr >= chip->drom_low && addr < chip->drom_high);
}

/* Segment 0 of an app on a chip whose MMU page size is built in: the descriptor gives it. */
static esp_err_t mmu_page_size(image_ctx_t *c, int index, uint32_t data_off)
{
    c->r->meta.mmu_page_size = MMU_PAGE_SIZE;
    if (!c->a.chip->mmu_page_size_configurable || index != 0 || c->a.type != ESP_IMAGE_APPLICATION) {
        return ESP_OK;
    }
    const uint8_t *desc = at(c, data_off, offsetof(esp_app_desc_t, mmu_page_size) + 4);
    if (desc == NULL) {
        return past_end(c, data_off);
    }
    uint32_t magic;
    memcpy(&magic, desc, sizeof(magic));
    if (magic != ESP_APP_DESC_MAGIC_WORD) {
        return fail(c, ESP_FAIL, true, TAG, "Failed to fetch app description header!");
    }
    uint8_t log2 = desc[offsetof(esp_app_desc_t, mmu_page_size)];
    c->r->meta.mmu_page_size = log2 > 0 && log2 < 32 ? 1UL << log2 : MMU_PAGE_SIZE;
    return ESP_OK;
}

static esp_err_t check_segment_header(image_ctx_t *c, int index, const esp_image_segment_header_t *s, uint32_t data_off)
{
    if ((s->data_len & 3) != 0 || s->data_len >= MAX_FLASH_ADDR_SIZE) {
        return fail(c, ESP_ERR_IMAGE_INVALID, false, TAG, "invalid segment length 0x%" PRIx32, s->data_len);
    }
    esp_err_t err = mmu_page_size(c, index, data_off);
    if (err != ESP_OK) {
        return err;
    }
    uint32_t page = c->r->meta.mmu_page_size;
    uint32_t flash_addr = c->a.start_addr + data_off;
    if (should_map(c->a.chip, s->load_addr) && flash_addr % page != s->load_addr % page) {
        return fail(c, ESP_ERR_IMAGE_INVALID, false, TAG, "Segment %d load address 0x%08" PRIx32 ", doesn't match data 0x%08" PRIx32,
                    index, s->load_addr, flash_addr);
    }
    return ESP_OK;
}

static void log_segment(const image_ctx_t *c, int index, const esp_image_segment_header_t *s, uint32_t data_off)
{
    if (c->a.log == IMAGE_CHECK_LOG_ALL) {
        ESP_LOGI(TAG, "segment %d: paddr=%08" PRIx32 " vaddr=%08" PRIx32 " size=%05" PRIx32 "h (%6" PRIu32 ") %s", index,
                 c->a.start_addr + data_off, s->load_addr, s->data_len, s->data_len, should_map(c->a.chip, s->load_addr) ? "map" : "");
    }
}

/* The segment's data: into the checksum and the hash. */
static void take_data(image_ctx_t *c, const uint8_t *data, uint32_t len)
{
    for (uint32_t i = 0; i < len; i += 4) {
        uint32_t word;
        memcpy(&word, data + i, sizeof(word));
        c->checksum_word ^= word;
    }
    hash(c, data, len);
}

static void take_app_desc(image_ctx_t *c, int index, const uint8_t *data, uint32_t len)
{
    if (index == 0 && len >= sizeof(esp_app_desc_t)) {
        memcpy(&c->r->app_desc, data, sizeof(esp_app_desc_t));
        c->r->has_app_desc = c->r->app_desc.magic_word == ESP_APP_DESC_MAGIC_WORD;
    }
}

static esp_err_t process_segment(image_ctx_t *c, int index, uint32_t *off)
{
    const uint8_t *raw = at(c, *off, sizeof(esp_image_segment_header_t));
    if (raw == NULL) {
        return past_end(c, *off);
    }
    esp_image_segment_header_t *s = &c->r->meta.segments[index];
    memcpy(s, raw, sizeof(*s));
    hash(c, raw, sizeof(*s));
    uint32_t data_off = *off + (uint32_t)sizeof(*s);
    esp_err_t err = check_segment_header(c, index, s, data_off);
    if (err != ESP_OK) {
        return err;
    }
    log_segment(c, index, s, data_off);
    c->r->meta.segment_data[index] = c->a.start_addr + data_off;
    if (!c->a.layout_only) {
        const uint8_t *data = at(c, data_off, s->data_len);
        if (data == NULL) {
            return past_end(c, data_off);
        }
        take_data(c, data, s->data_len);
        take_app_desc(c, index, data, s->data_len);
    }
    *off = data_off + s->data_len;
    return ESP_OK;
}

/* The padding up to a 16-byte boundary, whose last byte is the checksum. */
static esp_err_t process_checksum(image_ctx_t *c)
{
    uint32_t unpadded = c->r->meta.image_len;
    uint32_t length = ((unpadded + 1 + 15) & ~15U) - unpadded;
    if (c->a.layout_only) {
        c->r->meta.image_len += length;
        return ESP_OK;
    }
    const uint8_t *pad = at(c, unpadded, length);
    if (pad == NULL) {
        return past_end(c, unpadded);
    }
    uint32_t w = c->checksum_word;
    c->r->checksum_calc = (uint8_t)((w >> 24) ^ (w >> 16) ^ (w >> 8) ^ w);
    c->r->checksum_stored = pad[length - 1];
    c->r->checksum_read = true;
    hash(c, pad, length);
    c->r->meta.image_len += length;
    if (c->r->checksum_calc != c->r->checksum_stored) {
        return fail(c, ESP_ERR_IMAGE_INVALID, false, TAG, "Checksum failed. Calculated 0x%x read 0x%x", c->r->checksum_calc,
                    c->r->checksum_stored);
    }
    return ESP_OK;
}

static esp_err_t process_hash_and_fit(image_ctx_t *c)
{
    esp_image_metadata_t *m = &c->r->meta;
    if (m->image.hash_appended) {
        const uint8_t *digest = at(c, m->image_len, ESP_IMAGE_HASH_LEN);
        if (digest == NULL) {
            return past_end(c, m->image_len);
        }
        memcpy(m->image_digest, digest, ESP_IMAGE_HASH_LEN);
        c->r->digest_read = c->hashing;
        m->image_len += ESP_IMAGE_HASH_LEN;
    }
    if (m->image_len > c->a.part_size) {
        return fail(c, ESP_ERR_IMAGE_INVALID, false, TAG, "Image length %" PRIu32 " doesn't fit in partition length %" PRIu32,
                    m->image_len, c->a.part_size);
    }
    return ESP_OK;
}

static esp_err_t process_image_header(image_ctx_t *c)
{
    const uint8_t *raw = at(c, 0, sizeof(esp_image_header_t));
    if (raw == NULL) {
        return past_end(c, 0);
    }
    memcpy(&c->r->meta.image, raw, sizeof(esp_image_header_t));
    c->r->meta.start_addr = c->a.start_addr;
    c->r->meta.image_len = sizeof(esp_image_header_t);
    /* Bootloader images are not hashed: esptool may have rewritten their header. */
    c->hashing = c->r->meta.image.hash_appended && c->a.type == ESP_IMAGE_APPLICATION && !c->a.layout_only;
    if (c->hashing) {
        mbedtls_sha256_init(&c->sha);
        mbedtls_sha256_starts(&c->sha, 0);
    }
    hash(c, raw, sizeof(esp_image_header_t));
    if (c->a.layout_only) {
        return c->r->meta.image.segment_count > ESP_IMAGE_MAX_SEGMENTS ? fail(c, ESP_ERR_IMAGE_INVALID, false, TAG, "image at 0x%" PRIx32 " segment count %d exceeds max %d", c->a.start_addr, c->r->meta.image.segment_count, ESP_IMAGE_MAX_SEGMENTS) : ESP_OK;
    }
    return check_header(c, &c->r->meta.image);
}

static esp_err_t process_segments(image_ctx_t *c)
{
    uint32_t off = sizeof(esp_image_header_t);
    for (int i = 0; i < c->r->meta.image.segment_count; i++) {
        esp_err_t err = process_segment(c, i, &off);
        if (err != ESP_OK) {
            return err;
        }
    }
    c->r->meta.image_len = off;
    return ESP_OK;
}

static void finish_hash(image_ctx_t *c)
{
    if (!c->hashing) {
        return;
    }
    mbedtls_sha256_finish(&c->sha, c->r->digest_calc);
    mbedtls_sha256_free(&c->sha);
    if (c->r->digest_read && memcmp(c->r->digest_calc, c->r->meta.image_digest, ESP_IMAGE_HASH_LEN) != 0) {
        fail(c, ESP_ERR_IMAGE_INVALID, false, TAG, "Image hash failed - image is corrupt");
    }
}

/* The checks; past a checksum failure the fit and the hash are still looked at, for the report
 * (fail() keeps the first failure). */
static void run_checks(image_ctx_t *c)
{
    if (c->a.part_size > MAX_FLASH_ADDR_SIZE && !c->a.chip->flash_32bit_map) {
        fail(c, ESP_ERR_INVALID_ARG, false, TAG, "partition size 0x%" PRIx32 " invalid, larger than 16MB", c->a.part_size);
        return;
    }
    if (process_image_header(c) == ESP_OK && process_segments(c) == ESP_OK &&
        process_checksum(c) != ESP_ERR_IMAGE_FLASH_FAIL) {
        process_hash_and_fit(c);
    }
    finish_hash(c);
}

esp_err_t image_check(const image_check_args_t *a, portls_image_report_t *report)
{
    memset(report, 0, sizeof(*report));
    image_ctx_t c = { .a = *a, .checksum_word = CHECKSUM_SEED, .r = report };
    run_checks(&c);
    return report->result;
}

esp_err_t portls_image_check(const uint8_t *image, size_t avail, uint32_t start_addr, uint32_t part_size,
                             const portls_chip_t *chip, unsigned chip_rev, esp_image_type type,
                             portls_image_report_t *report)
{
    const image_check_args_t args = {
        .image = image, .avail = image != NULL ? avail : 0, .start_addr = start_addr, .part_size = part_size,
        .chip = chip != NULL ? chip : portls_chip_emulated(), .chip_rev = chip_rev, .type = type,
        .log = IMAGE_CHECK_LOG_NONE,
    };
    return image_check(&args, report);
}

/* The flash from part->offset on, checked for the emulated chip. */
static esp_err_t check_in_flash(const esp_partition_pos_t *part, image_check_log_t log, bool layout_only,
                                portls_image_report_t *report)
{
    memset(report, 0, sizeof(*report));
    const uint8_t *base;
    esp_err_t err = esp_partition_file_mmap(&base);
    if (err != ESP_OK) {
        return err;
    }
    size_t size = flash_file_size();
    const portls_chip_t *chip = portls_chip_emulated();
    const image_check_args_t args = {
        .image = base + (part->offset < size ? part->offset : size),
        .avail = part->offset < size ? size - part->offset : 0,
        .start_addr = part->offset, .part_size = part->size, .chip = chip, .chip_rev = portls_chip_revision(),
        .type = part->offset == chip->bootloader_offset ? ESP_IMAGE_BOOTLOADER : ESP_IMAGE_APPLICATION,
        .log = log, .layout_only = layout_only,
    };
    return image_check(&args, report);
}

esp_err_t esp_image_verify(esp_image_load_mode_t mode, const esp_partition_pos_t *part, esp_image_metadata_t *data)
{
    if (part == NULL || data == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    portls_image_report_t report;
    image_check_log_t log = mode == ESP_IMAGE_VERIFY_SILENT ? IMAGE_CHECK_LOG_CHIP : IMAGE_CHECK_LOG_ALL;
    esp_err_t err = check_in_flash(part, log, false, &report);
    if (err == ESP_OK) {
        *data = report.meta;
    } else {
        memset(data, 0, sizeof(*data)); /* nothing of an invalid image leaks out */
    }
    return err;
}

esp_err_t esp_image_get_metadata(const esp_partition_pos_t *part, esp_image_metadata_t *metadata)
{
    if (part == NULL || metadata == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    portls_image_report_t report;
    esp_err_t err = check_in_flash(part, IMAGE_CHECK_LOG_NONE, true, &report);
    *metadata = report.meta;
    return err;
}

int esp_image_get_flash_size(esp_image_flash_size_t app_flash_size)
{
    if (app_flash_size < ESP_IMAGE_FLASH_SIZE_1MB || app_flash_size >= ESP_IMAGE_FLASH_SIZE_MAX) {
        return 0;
    }
    return (1024 * 1024) << app_flash_size;
}
