/* App images: what portls_image_build() makes, and each of esp_image_verify()'s checks failing
 * with its error and ESP-IDF's log line. */
#include <stdlib.h>
#include <string.h>

#include "bootloader_common.h"
#include "esp_image_format.h"
#include "esp_log.h"
#include "flash_fixture.h"
#include "mbedtls/sha256.h"
#include "portls_format.h"
#include "sdkconfig.h"
#include "tls_test.h"

#define SEG0_DATA 0x20 /* the first segment's data, the descriptor */
#define PAYLOAD 1000

static const portls_chip_t *other_chip(void)
{
    const portls_chip_t *c3 = portls_chip_by_name("esp32c3");
    return portls_chip_emulated() != c3 ? c3 : portls_chip_by_name("esp32s3");
}

static void check(const uint8_t *img, size_t len, uint32_t part_size, esp_err_t err, const char *reason,
                  portls_image_report_t *r)
{
    assert_int_equal(portls_image_check(img, len, FIXTURE_OTA_0, part_size, NULL, portls_chip_revision(),
                                        ESP_IMAGE_APPLICATION, r), err);
    if (strstr(r->reason, reason) == NULL) {
        fail_msg("reason \"%s\", expected \"%s\"", r->reason, reason);
    }
}

/* The layout elf2image writes: header, one DROM segment with the descriptor, checksum, digest. */
static void test_build_layout(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = fixture_image("1.2.3", PAYLOAD, &len);
    const esp_image_header_t *h = (const esp_image_header_t *)img;
    const portls_chip_t *chip = portls_chip_emulated();
    assert_int_equal(h->magic, 0xE9);
    assert_int_equal(h->segment_count, 1);
    assert_int_equal(h->chip_id, CONFIG_IDF_FIRMWARE_CHIP_ID);
    assert_int_equal(h->min_chip_rev_full, chip->min_rev_full);
    assert_int_equal(h->max_chip_rev_full, chip->max_rev_full);
    assert_int_equal(h->hash_appended, 1);
    assert_int_equal(h->spi_mode, ESP_IMAGE_SPI_MODE_DIO);
    assert_int_equal(img[3], 0x10); /* 2MB, frequency code 0 */
    const esp_image_segment_header_t *s = (const esp_image_segment_header_t *)(img + 24);
    assert_int_equal(s->load_addr, chip->app_data_addr + 0x20);
    assert_int_equal(s->data_len, 256 + PAYLOAD);
    const esp_app_desc_t *d = (const esp_app_desc_t *)(img + SEG0_DATA);
    assert_int_equal(d->magic_word, ESP_APP_DESC_MAGIC_WORD);
    assert_string_equal(d->version, "1.2.3");
    assert_string_equal(d->project_name, "fixture");
    assert_string_equal(d->date, "Nov 14 2023"); /* build_time 1700000000, UTC */
    assert_string_equal(d->time, "22:13:20");
    assert_string_equal(d->idf_ver, "portls " PORTLS_VERSION_FOR_TESTS);
    assert_int_equal(d->mmu_page_size, 16);
    uint8_t payload_sha[32];
    mbedtls_sha256(img + SEG0_DATA + 256, PAYLOAD, payload_sha, 0);
    assert_memory_equal(d->app_elf_sha256, payload_sha, 32);
    /* checksum block ends 16-aligned, then 32 bytes of SHA-256 over everything before */
    assert_int_equal((len - 32) % 16, 0);
    uint8_t sha[32];
    mbedtls_sha256(img, len - 32, sha, 0);
    assert_memory_equal(img + len - 32, sha, 32);
    portls_image_report_t r;
    check(img, len, FIXTURE_SLOT_SIZE, ESP_OK, "", &r);
    assert_int_equal(r.meta.image_len, len);
    assert_true(r.has_app_desc);
    assert_true(r.checksum_read && r.digest_read);
    free(img);
}

static void test_build_refusals(void **state)
{
    (void)state;
    uint8_t *img;
    size_t len;
    portls_image_config_t cfg = { .version = "1", .project_name = "p", .min_rev_full = -1, .max_rev_full = -1 };
    assert_int_equal(portls_image_build(NULL, "x", 1, &img, &len), ESP_ERR_INVALID_ARG);
    cfg.version = "0123456789012345678901234567890123";
    assert_int_equal(portls_image_build(&cfg, "x", 1, &img, &len), ESP_ERR_INVALID_ARG);
    cfg.version = "1";
    cfg.max_rev_full = 65536;
    assert_int_equal(portls_image_build(&cfg, "x", 1, &img, &len), ESP_ERR_INVALID_ARG);
    cfg.max_rev_full = -1;
    assert_int_equal(portls_image_build(&cfg, "x", 0x1000000, &img, &len), ESP_ERR_INVALID_ARG);
    cfg.chip = portls_chip_by_name("esp32c3");
    cfg.min_rev_full = 3;
    assert_int_equal(portls_image_build(&cfg, "x", 1, &img, &len), ESP_OK);
    assert_int_equal(((esp_image_header_t *)img)->min_chip_rev, 3); /* the C3's legacy byte is the minor */
    free(img);
    cfg.chip = portls_chip_by_name("esp32");
    cfg.min_rev_full = 301;
    assert_int_equal(portls_image_build(&cfg, "x", 1, &img, &len), ESP_OK);
    assert_int_equal(((esp_image_header_t *)img)->min_chip_rev, 3); /* the ESP32's is the major */
    free(img);
}

/* Patches one byte and rewrites the checksum and digest so that only the intended check fails. */
static void reseal(uint8_t *img, size_t len)
{
    const esp_image_segment_header_t *s = (const esp_image_segment_header_t *)(img + 24);
    uint8_t sum = 0xEF;
    for (uint32_t i = 0; i < s->data_len; i++) {
        sum ^= img[SEG0_DATA + i];
    }
    img[len - 33] = sum;
    mbedtls_sha256(img, len - 32, img + len - 32, 0);
}

static void test_each_check_fails(void **state)
{
    (void)state;
    size_t len;
    uint8_t *good = fixture_image("1.0", PAYLOAD, &len);
    uint8_t *img = malloc(len);
    portls_image_report_t r;
    struct {
        size_t offset;
        uint8_t value;
        bool reseal;
        esp_err_t err;
        const char *reason;
    } cases[] = {
        { 0, 0xFF, false, ESP_ERR_IMAGE_INVALID, "has invalid magic byte (nothing flashed here?)" },
        { 12, (uint8_t)other_chip()->id, true, ESP_FAIL, "mismatch chip ID, expected" },
        { 1, 17, false, ESP_ERR_IMAGE_INVALID, "segment count 17 exceeds max 16" },
        { 28, 0x03, false, ESP_ERR_IMAGE_INVALID, "invalid segment length 0x" }, /* data_len % 4 */
        { 24, 0x24, false, ESP_ERR_IMAGE_INVALID, "Segment 0 load address" }, /* DROM address off its page offset */
        { SEG0_DATA + 300, 0x5A, false, ESP_ERR_IMAGE_INVALID, "Checksum failed. Calculated 0x" }, /* a segment byte */
        { 0, 0, false, ESP_ERR_IMAGE_INVALID, "Checksum failed" }, /* the checksum byte: below */
        { 0, 0, false, ESP_ERR_IMAGE_INVALID, "Image hash failed - image is corrupt" }, /* the digest: below */
    };
    cases[6].offset = len - 33;
    cases[6].value = good[len - 33] ^ 1;
    cases[7].offset = len - 1;
    cases[7].value = good[len - 1] ^ 1;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(img, good, len);
        img[cases[i].offset] = cases[i].value;
        if (cases[i].reseal) {
            reseal(img, len);
        }
        check(img, len, FIXTURE_SLOT_SIZE, cases[i].err, cases[i].reason, &r);
    }
    /* a byte of the payload changed and the checksum fixed up: the hash catches it */
    memcpy(img, good, len);
    img[SEG0_DATA + 400] ^= 0x11;
    img[SEG0_DATA + 404] ^= 0x11;
    check(img, len, FIXTURE_SLOT_SIZE, ESP_ERR_IMAGE_INVALID, "Image hash failed - image is corrupt", &r);
    assert_true(r.checksum_calc == r.checksum_stored);
    /* too big for the slot, and running past the end of what can be read */
    check(good, len, (uint32_t)len - 1, ESP_ERR_IMAGE_INVALID, "doesn't fit in partition length", &r);
    check(good, len - 1, FIXTURE_SLOT_SIZE, ESP_ERR_IMAGE_FLASH_FAIL, "runs past the end of flash", &r);
    check(good, len, 0x1000001, ESP_ERR_INVALID_ARG, "invalid, larger than 16MB", &r);
    free(img);
    free(good);
}

/* The chip revision window, both ends; a bootloader image has no maximum. */
static void test_chip_revision(void **state)
{
    (void)state;
    portls_image_config_t cfg = { .version = "1", .project_name = "p", .min_rev_full = 100, .max_rev_full = 199 };
    uint8_t *img;
    size_t len;
    assert_int_equal(portls_image_build(&cfg, "payload", 7, &img, &len), ESP_OK);
    portls_image_report_t r;
    const portls_chip_t *chip = portls_chip_emulated();
    assert_int_equal(portls_image_check(img, len, 0x10000, 0x10000, chip, 99, ESP_IMAGE_APPLICATION, &r), ESP_FAIL);
    assert_string_equal(r.reason, "chip revision check failed. Required >= v1.0, found v0.99.");
    assert_int_equal(portls_image_check(img, len, 0x10000, 0x10000, chip, 150, ESP_IMAGE_APPLICATION, &r), ESP_OK);
    assert_int_equal(portls_image_check(img, len, 0x10000, 0x10000, chip, 200, ESP_IMAGE_APPLICATION, &r), ESP_FAIL);
    assert_string_equal(r.reason, "chip revision check failed. Required <= v1.99, found v2.0.");
    assert_int_equal(portls_image_check(img, len, 0x10000, 0x10000, chip, 200, ESP_IMAGE_BOOTLOADER, &r), ESP_OK);
    free(img);
}

/* Chips that take the MMU page size from the descriptor need one in segment 0. */
static void test_descriptor_needed(void **state)
{
    (void)state;
    const portls_chip_t *c6 = portls_chip_by_name("esp32c6");
    portls_image_config_t cfg = { .chip = c6, .version = "1", .project_name = "p", .min_rev_full = -1, .max_rev_full = -1 };
    uint8_t *img;
    size_t len;
    assert_int_equal(portls_image_build(&cfg, "payload", 7, &img, &len), ESP_OK);
    portls_image_report_t r;
    assert_int_equal(portls_image_check(img, len, 0x10000, 0x10000, c6, 0, ESP_IMAGE_APPLICATION, &r), ESP_OK);
    assert_int_equal(r.meta.mmu_page_size, 0x10000);
    img[SEG0_DATA] ^= 1;
    assert_int_equal(portls_image_check(img, len, 0x10000, 0x10000, c6, 0, ESP_IMAGE_APPLICATION, &r), ESP_FAIL);
    assert_string_equal(r.reason, "Failed to fetch app description header!");
    free(img);
}

/* esp_image_verify() on the flash: metadata on success, zeros and ESP-IDF's log line on failure;
 * silent mode still logs a chip mismatch, as ESP-IDF does. */
static void test_verify_in_flash(void **state)
{
    (void)state;
    char *path = fixture_flash_create(FIXTURE_FLASH_SIZE, fixture_standard, fixture_standard_count);
    fixture_flash_image(path, FIXTURE_OTA_0, "2.0");
    fixture_power_on(path);
    esp_partition_pos_t pos = { FIXTURE_OTA_0, FIXTURE_SLOT_SIZE };
    esp_image_metadata_t md;
    assert_int_equal(esp_image_verify(ESP_IMAGE_VERIFY_SILENT, &pos, &md), ESP_OK);
    assert_int_equal(md.start_addr, FIXTURE_OTA_0);
    assert_int_equal(md.segment_data[0], FIXTURE_OTA_0 + SEG0_DATA);
    esp_partition_pos_t empty = { FIXTURE_OTA_1, FIXTURE_SLOT_SIZE };
    fixture_capture_start(ESP_LOG_INFO);
    esp_err_t err = esp_image_verify(ESP_IMAGE_VERIFY, &empty, &md);
    char *log = fixture_capture_end();
    assert_int_equal(err, ESP_ERR_IMAGE_INVALID);
    assert_non_null(strstr(log, "E ("));
    assert_non_null(strstr(log, "esp_image: image at 0x30000 has invalid magic byte (nothing flashed here?)"));
    free(log);
    uint8_t zero[sizeof(md)] = { 0 };
    assert_memory_equal(&md, zero, sizeof(md));
    fixture_capture_start(ESP_LOG_INFO);
    err = esp_image_verify(ESP_IMAGE_VERIFY_SILENT, &empty, &md);
    log = fixture_capture_end();
    assert_int_equal(err, ESP_ERR_IMAGE_INVALID);
    assert_string_equal(log, "");
    free(log);
    uint8_t chip_byte = (uint8_t)other_chip()->id;
    fixture_flash_write(path, FIXTURE_OTA_0 + 12, &chip_byte, 1);
    fixture_capture_start(ESP_LOG_INFO);
    err = esp_image_verify(ESP_IMAGE_VERIFY_SILENT, &pos, &md);
    log = fixture_capture_end();
    assert_int_equal(err, ESP_FAIL);
    assert_non_null(strstr(log, "boot_comm: mismatch chip ID, expected"));
    free(log);
    assert_int_equal(esp_image_verify(ESP_IMAGE_VERIFY, NULL, &md), ESP_ERR_INVALID_ARG);
    fixture_remove(path);
}

/* Digests of what partitions hold, and their descriptors. */
static void test_sha256_and_description(void **state)
{
    (void)state;
    char *path = fixture_flash_create(FIXTURE_FLASH_SIZE, fixture_standard, fixture_standard_count);
    size_t len;
    uint8_t *img = fixture_image("3.1", 500, &len);
    fixture_flash_write(path, FIXTURE_OTA_0, img, len);
    fixture_power_on(path);
    uint8_t sha[32];
    assert_int_equal(bootloader_common_get_sha256_of_partition(FIXTURE_OTA_0, FIXTURE_SLOT_SIZE, PART_TYPE_APP, sha), ESP_OK);
    assert_memory_equal(sha, img + len - 32, 32);
    uint8_t ff[0x1000];
    memset(ff, 0xFF, sizeof(ff));
    uint8_t expect[32];
    mbedtls_sha256(ff, sizeof(ff), expect, 0);
    assert_int_equal(bootloader_common_get_sha256_of_partition(0xf000, 0x1000, PART_TYPE_DATA, sha), ESP_OK);
    assert_memory_equal(sha, expect, 32);
    assert_int_equal(bootloader_common_get_sha256_of_partition(FIXTURE_OTA_1, FIXTURE_SLOT_SIZE, PART_TYPE_APP, sha),
                     ESP_ERR_IMAGE_INVALID);
    uint8_t bad = img[len - 1] ^ 0xFF;
    fixture_flash_write(path, FIXTURE_OTA_0 + (uint32_t)len - 1, &bad, 1);
    assert_int_equal(bootloader_common_get_sha256_of_partition(FIXTURE_OTA_0, FIXTURE_SLOT_SIZE, PART_TYPE_APP, sha),
                     ESP_ERR_IMAGE_INVALID);
    assert_int_equal(bootloader_common_get_sha256_of_partition(FIXTURE_OTA_0, 0, PART_TYPE_APP, sha), ESP_ERR_INVALID_ARG);
    esp_app_desc_t desc;
    esp_partition_pos_t pos = { FIXTURE_OTA_0, FIXTURE_SLOT_SIZE };
    assert_int_equal(bootloader_common_get_partition_description(&pos, &desc), ESP_OK);
    assert_string_equal(desc.version, "3.1");
    pos.offset = FIXTURE_OTA_1;
    assert_int_equal(bootloader_common_get_partition_description(&pos, &desc), ESP_ERR_NOT_FOUND);
    free(img);
    fixture_remove(path);
}

/* Every chip: its own images pass, the next chip's are refused by id. */
static void test_every_chip(void **state)
{
    (void)state;
    static const char *const names[] = { "esp32", "esp32s2", "esp32c3", "esp32s3", "esp32c2", "esp32c6",
                                         "esp32h2", "esp32p4", "esp32c5", "esp32c61", "esp32h21", "esp32h4" };
    for (size_t i = 0; i < 12; i++) {
        const portls_chip_t *chip = portls_chip_by_name(names[i]);
        const portls_chip_t *next = portls_chip_by_name(names[(i + 1) % 12]);
        assert_non_null(chip);
        portls_image_config_t cfg = { .chip = chip, .version = "1", .project_name = "p", .min_rev_full = -1,
                                      .max_rev_full = -1 };
        uint8_t *img;
        size_t len;
        assert_int_equal(portls_image_build(&cfg, "payload", 7, &img, &len), ESP_OK);
        portls_image_report_t r;
        assert_int_equal(portls_image_check(img, len, 0x10000, 0x10000, chip, chip->min_rev_full, ESP_IMAGE_APPLICATION, &r),
                         ESP_OK);
        assert_int_equal(portls_image_check(img, len, 0x10000, 0x10000, next, next->min_rev_full, ESP_IMAGE_APPLICATION, &r),
                         ESP_FAIL);
        assert_non_null(strstr(r.reason, "mismatch chip ID"));
        free(img);
    }
}

static void test_chip_table(void **state)
{
    (void)state;
    const portls_chip_t *chip = portls_chip_emulated();
#if PORTLS_CHIP_REVISION < 0
    assert_int_equal(portls_chip_revision(), chip->min_rev_full);
#else
    assert_int_equal(portls_chip_revision(), PORTLS_CHIP_REVISION);
#endif
    assert_non_null(chip);
    assert_string_equal(chip->name, CONFIG_IDF_TARGET);
    assert_int_equal(chip->id, CONFIG_IDF_FIRMWARE_CHIP_ID);
    assert_int_equal(chip->bootloader_offset, CONFIG_BOOTLOADER_OFFSET_IN_FLASH);
    assert_int_equal(portls_chip_by_id(ESP_CHIP_ID_ESP32C3), portls_chip_by_name("esp32c3"));
    assert_null(portls_chip_by_name("esp8266"));
    assert_int_equal(esp_image_get_flash_size(ESP_IMAGE_FLASH_SIZE_4MB), 4 * 1024 * 1024);
    assert_int_equal(esp_image_get_flash_size(ESP_IMAGE_FLASH_SIZE_MAX), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_layout),
        cmocka_unit_test(test_build_refusals),
        cmocka_unit_test(test_each_check_fails),
        cmocka_unit_test(test_chip_revision),
        cmocka_unit_test(test_descriptor_needed),
        cmocka_unit_test(test_verify_in_flash),
        cmocka_unit_test(test_sha256_and_description),
        cmocka_unit_test(test_every_chip),
        cmocka_unit_test(test_chip_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
