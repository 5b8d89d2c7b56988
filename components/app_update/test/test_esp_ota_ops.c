/* esp_ota_ops.h on a flash image file: each call's checks and error codes, the otadata it writes,
 * and what the next boot (a new mapping of the file: the simulated bootloader runs again) does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_log.h"
#include "esp_ota_ops.h"
#include "esp_private/partition_linux.h"
#include "flash_fixture.h"
#include "portls_format.h"
#include "sdkconfig.h"
#include "tls_test.h"

#define PAYLOAD 3000


static const esp_partition_t *part(const char *label)
{
    const esp_partition_t *p = esp_partition_find_first(ESP_PARTITION_TYPE_ANY, ESP_PARTITION_SUBTYPE_ANY, label);
    assert_non_null(p);
    return p;
}

/* A power cycle: the next partition call boots again. */
static void reboot(void)
{
    fixture_power_on(fixture_path);
}

static const char *running(void)
{
    const esp_partition_t *p = esp_ota_get_running_partition();
    return p != NULL ? p->label : "none";
}

/* An app image for chip (NULL: the emulated one). */
static uint8_t *image_for(const char *chip, const char *version, size_t *len)
{
    uint8_t payload[PAYLOAD];
    for (size_t i = 0; i < sizeof(payload); i++) {
        payload[i] = (uint8_t)(i * 13 + 5);
    }
    const portls_image_config_t cfg = { .chip = chip != NULL ? portls_chip_by_name(chip) : NULL, .version = version,
                                        .project_name = "ota", .min_rev_full = -1, .max_rev_full = -1,
                                        .build_time = 1700000000 };
    uint8_t *image;
    assert_int_equal(portls_image_build(&cfg, payload, sizeof(payload), &image, len), ESP_OK);
    return image;
}

/* begin(image_size), write in chunks, end. @return the first failure */
static esp_err_t update(const esp_partition_t *p, const uint8_t *image, size_t len, size_t chunk, size_t image_size)
{
    esp_ota_handle_t h;
    esp_err_t err = esp_ota_begin(p, image_size, &h);
    for (size_t off = 0; err == ESP_OK && off < len; off += chunk) {
        err = esp_ota_write(h, image + off, off + chunk < len ? chunk : len - off);
    }
    if (err != ESP_OK) {
        esp_ota_abort(h);
        return err;
    }
    return esp_ota_end(h);
}

static esp_err_t update_version(const char *label, const char *version)
{
    size_t len;
    uint8_t *image = image_for(NULL, version, &len);
    esp_err_t err = update(part(label), image, len, 700, OTA_WITH_SEQUENTIAL_WRITES);
    free(image);
    return err;
}

static bool verifies(const esp_partition_t *p)
{
    return fixture_verifies(p->address, p->size);
}

static esp_ota_img_states_t state_of(const char *label)
{
    esp_ota_img_states_t st = 0x77;
    assert_int_equal(esp_ota_get_state_partition(part(label), &st), ESP_OK);
    return st;
}


static void test_error_codes_and_constants(void **state)
{
    (void)state;
    assert_int_equal(OTA_SIZE_UNKNOWN, 0xffffffff);
    assert_int_equal(OTA_WITH_SEQUENTIAL_WRITES, 0xfffffffe);
    assert_int_equal(ESP_ERR_OTA_BASE, 0x1500);
    assert_int_equal(ESP_ERR_OTA_PARTITION_CONFLICT, 0x1501);
    assert_int_equal(ESP_ERR_OTA_SELECT_INFO_INVALID, 0x1502);
    assert_int_equal(ESP_ERR_OTA_VALIDATE_FAILED, 0x1503);
    assert_int_equal(ESP_ERR_OTA_SMALL_SEC_VER, 0x1504);
    assert_int_equal(ESP_ERR_OTA_ROLLBACK_FAILED, 0x1505);
    assert_int_equal(ESP_ERR_OTA_ROLLBACK_INVALID_STATE, 0x1506);
    assert_string_equal(esp_err_to_name(ESP_ERR_OTA_VALIDATE_FAILED), "ESP_ERR_OTA_VALIDATE_FAILED");
    assert_string_equal(esp_err_to_name(0x1506), "ESP_ERR_OTA_ROLLBACK_INVALID_STATE");
    assert_int_equal(esp_ota_get_app_partition_count(), 2);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    assert_ptr_equal(esp_ota_get_app_description(), esp_app_get_description());
    char a[16], b[16];
    assert_int_equal(esp_ota_get_app_elf_sha256(a, sizeof(a)), esp_app_get_elf_sha256(b, sizeof(b)));
#pragma GCC diagnostic pop
    assert_string_equal(a, b);
}

/* factory -> ota_0, confirmed; ota_0 -> ota_1 is refused while ota_0 is unconfirmed. */
static void test_update_set_boot_and_confirm(void **state)
{
    (void)state;
    assert_string_equal(running(), "factory");
    assert_ptr_equal(esp_ota_get_next_update_partition(NULL), part("ota_0"));
    assert_int_equal(update_version("ota_0", "2.0"), ESP_OK);
    assert_ptr_equal(esp_ota_get_boot_partition(), part("factory")); /* written, not yet set */
    assert_int_equal(esp_ota_set_boot_partition(part("ota_0")), ESP_OK);
    assert_ptr_equal(esp_ota_get_boot_partition(), part("ota_0"));
#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
    assert_int_equal(state_of("ota_0"), ESP_OTA_IMG_NEW);
#else
    assert_int_equal(state_of("ota_0"), ESP_OTA_IMG_UNDEFINED);
#endif
    reboot();
    assert_string_equal(running(), "ota_0");
    assert_string_equal(esp_app_get_description()->version, "2.0");
    esp_ota_handle_t h;
    assert_int_equal(esp_ota_begin(part("ota_0"), OTA_SIZE_UNKNOWN, &h), ESP_ERR_OTA_PARTITION_CONFLICT);
#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
    assert_int_equal(state_of("ota_0"), ESP_OTA_IMG_PENDING_VERIFY);
    fixture_capture_start(ESP_LOG_ERROR);
    assert_int_equal(esp_ota_begin(part("ota_1"), OTA_SIZE_UNKNOWN, &h), ESP_ERR_OTA_ROLLBACK_INVALID_STATE);
    fixture_capture_expect("Running app has not confirmed state (ESP_OTA_IMG_PENDING_VERIFY)");
#endif
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_OK);
    assert_int_equal(state_of("ota_0"), ESP_OTA_IMG_VALID);
    assert_ptr_equal(esp_ota_get_next_update_partition(NULL), part("ota_1"));
    assert_int_equal(update_version("ota_1", "3.0"), ESP_OK);
    assert_int_equal(esp_ota_set_boot_partition(part("ota_1")), ESP_OK);
    reboot();
    assert_string_equal(running(), "ota_1");
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_OK);
    assert_ptr_equal(esp_ota_get_next_update_partition(NULL), part("ota_0")); /* wraps */
}

static void test_begin_errors(void **state)
{
    (void)state;
    esp_ota_handle_t h;
    assert_int_equal(esp_ota_begin(NULL, 0, &h), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_ota_begin(part("ota_0"), 0, NULL), ESP_ERR_INVALID_ARG);
    esp_partition_t fake = *part("ota_0");
    fake.address += 0x1000;
    assert_int_equal(esp_ota_begin(&fake, 0, &h), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_ota_begin(part("factory"), 0, &h), ESP_ERR_INVALID_ARG); /* not an OTA slot */
    assert_int_equal(esp_ota_begin(part("ota_0"), FIXTURE_SLOT_SIZE + 1, &h), ESP_ERR_INVALID_SIZE);
    /* image_size 0 erases the whole partition; a size erases that much, in whole sectors */
    fixture_flash_image(fixture_path, FIXTURE_OTA_1, "9.0");
    assert_true(verifies(part("ota_1")));
    assert_int_equal(esp_ota_begin(part("ota_1"), 0, &h), ESP_OK);
    assert_false(verifies(part("ota_1")));
    assert_int_equal(esp_ota_abort(h), ESP_OK);
    assert_int_equal(esp_ota_abort(h), ESP_ERR_NOT_FOUND);
    uint8_t mark = 0x00, byte;
    assert_int_equal(esp_partition_write(part("ota_1"), 0x2000, &mark, 1), ESP_OK);
    assert_int_equal(esp_ota_begin(part("ota_1"), 0x1001, &h), ESP_OK); /* two sectors */
    assert_int_equal(esp_partition_read(part("ota_1"), 0x2000, &byte, 1), ESP_OK);
    assert_int_equal(byte, 0x00);
    esp_ota_abort(h);
    /* a data partition may be written */
    assert_int_equal(esp_ota_begin(part("nvs"), OTA_WITH_SEQUENTIAL_WRITES, &h), ESP_OK);
    assert_int_equal(esp_ota_write(h, "data", 4), ESP_OK);
    assert_int_equal(esp_ota_end(h), ESP_OK); /* data is not checked */
}

#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
/* With rollback, starting an update of a slot erases the inactive otadata sector. */
static void test_begin_invalidates_the_inactive_slot(void **state)
{
    (void)state;
    fixture_flash_image(fixture_path, FIXTURE_OTA_0, "2.0");
    fixture_flash_image(fixture_path, FIXTURE_OTA_1, "3.0");
    esp_ota_select_entry_t e0 = fixture_entry(1, ESP_OTA_IMG_VALID), e1 = fixture_entry(2, ESP_OTA_IMG_VALID);
    fixture_flash_write(fixture_path, FIXTURE_OTADATA, &e0, sizeof(e0));
    fixture_flash_write(fixture_path, FIXTURE_OTADATA + 0x1000, &e1, sizeof(e1));
    reboot();
    assert_string_equal(running(), "ota_1");
    assert_true(esp_ota_check_rollback_is_possible()); /* to ota_0 */
    esp_ota_handle_t h;
    assert_int_equal(esp_ota_begin(part("ota_0"), OTA_WITH_SEQUENTIAL_WRITES, &h), ESP_OK);
    esp_ota_select_entry_t two[2];
    fixture_read_otadata(fixture_path, two);
    assert_int_equal(two[0].ota_seq, 0xFFFFFFFF);
    assert_int_equal(two[1].ota_seq, 2);
    assert_true(esp_ota_check_rollback_is_possible()); /* now to the factory app */
    esp_ota_abort(h);
}
#endif

/* A merged flash image starts with 0xFF (or with the bootloader's image): the first write refuses
 * it, before anything is erased or written; so does an image for another chip. */
static void test_first_write_checks(void **state)
{
    (void)state;
    fixture_flash_image(fixture_path, FIXTURE_OTA_1, "9.0");
    uint8_t merged[4096];
    FILE *f = fopen(fixture_path, "rb"); /* a whole flash from offset 0, as esptool merge_bin writes one */
    assert_non_null(f);
    assert_int_equal(fread(merged, 1, sizeof(merged), f), sizeof(merged));
    fclose(f);
    esp_ota_handle_t h;
    assert_int_equal(esp_ota_begin(part("ota_1"), OTA_WITH_SEQUENTIAL_WRITES, &h), ESP_OK);
    fixture_capture_start(ESP_LOG_ERROR);
    assert_int_equal(esp_ota_write(h, merged, sizeof(merged)), ESP_ERR_OTA_VALIDATE_FAILED);
    fixture_capture_expect("OTA image has invalid magic byte (expected 0xE9, saw 0xff)");
    assert_true(verifies(part("ota_1"))); /* the old image: nothing erased */
    assert_int_equal(esp_ota_end(h), ESP_ERR_INVALID_ARG); /* nothing written */

    size_t len;
    uint8_t *c3 = image_for("esp32c3", "2.0", &len);
    assert_int_equal(esp_ota_begin(part("ota_1"), OTA_WITH_SEQUENTIAL_WRITES, &h), ESP_OK);
    assert_int_equal(esp_ota_write(h, c3, 10), ESP_OK); /* the magic byte is right */
    fixture_capture_start(ESP_LOG_ERROR);
    assert_int_equal(esp_ota_write(h, c3 + 10, 100), ESP_ERR_OTA_VALIDATE_FAILED); /* the header is complete */
    fixture_capture_expect("mismatch chip ID, expected 0, found 5");
    esp_ota_abort(h);
    free(c3);

    /* An image of this chip whose first segment has no app descriptor: a bootloader's, say */
    uint8_t *image = image_for(NULL, "2.0", &len);
    image[32] ^= 0xFF;
    assert_int_equal(esp_ota_begin(part("ota_1"), OTA_WITH_SEQUENTIAL_WRITES, &h), ESP_OK);
    fixture_capture_start(ESP_LOG_ERROR);
    assert_int_equal(esp_ota_write(h, image, len), ESP_ERR_OTA_VALIDATE_FAILED);
    fixture_capture_expect("OTA image has no app descriptor at offset 0x20");
    esp_ota_abort(h);
    free(image);
    assert_int_equal(esp_ota_write(h, "x", 1), ESP_ERR_INVALID_ARG); /* the handle is gone */
    assert_int_equal(esp_ota_write(h, NULL, 1), ESP_ERR_INVALID_ARG);
}

/* A corrupted byte, a bad checksum, a bad hash: esp_ota_end() refuses the image, and it cannot be
 * set to boot. */
static void test_end_verifies(void **state)
{
    (void)state;
    size_t len;
    uint8_t *image = image_for(NULL, "2.0", &len);
    static const struct {
        size_t at; /* from the end when negative */
        long from_end;
        const char *log;
    } cases[] = {
        { 24 + 8 + 256 + 100, 0, "Checksum failed" },    /* a byte of the segment */
        { 0, 33, "Checksum failed" },                    /* the checksum byte */
        { 0, 1, "Image hash failed - image is corrupt" }, /* the SHA-256 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t at = cases[i].from_end != 0 ? len - (size_t)cases[i].from_end : cases[i].at;
        image[at] ^= 0x01;
        fixture_capture_start(ESP_LOG_ERROR);
        esp_err_t err = update(part("ota_0"), image, len, 512, OTA_WITH_SEQUENTIAL_WRITES);
        fixture_capture_expect(cases[i].log); /* then "New image failed verification" */
        assert_int_equal(err, ESP_ERR_OTA_VALIDATE_FAILED);
        image[at] ^= 0x01;
        assert_int_equal(esp_ota_set_boot_partition(part("ota_0")), ESP_ERR_OTA_VALIDATE_FAILED);
        assert_ptr_equal(esp_ota_get_boot_partition(), part("factory"));
    }
    free(image);
    esp_ota_handle_t h;
    assert_int_equal(esp_ota_end(12345), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_ota_begin(part("ota_0"), OTA_WITH_SEQUENTIAL_WRITES, &h), ESP_OK);
    assert_int_equal(esp_ota_write(h, "", 0), ESP_OK);
    assert_int_equal(esp_ota_end(h), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_ota_abort(h), ESP_ERR_NOT_FOUND); /* end freed it */
}

static void test_write_with_offset(void **state)
{
    (void)state;
    size_t len;
    uint8_t *image = image_for(NULL, "2.0", &len);
    esp_ota_handle_t h;
    assert_int_equal(esp_ota_begin(part("ota_0"), len, &h), ESP_OK);
    for (size_t off = (len - 1) / 1000 * 1000;; off -= 1000) { /* backwards */
        size_t n = off + 1000 < len ? 1000 : len - off;
        assert_int_equal(esp_ota_write_with_offset(h, image + off, n, (uint32_t)off), ESP_OK);
        if (off == 0) {
            break;
        }
    }
    assert_int_equal(esp_ota_end(h), ESP_OK);
    assert_true(verifies(part("ota_0")));
    assert_int_equal(esp_ota_begin(part("ota_0"), OTA_WITH_SEQUENTIAL_WRITES, &h), ESP_OK);
    fixture_capture_start(ESP_LOG_ERROR);
    assert_int_equal(esp_ota_write_with_offset(h, image, 16, 0), ESP_ERR_INVALID_STATE); /* ESP-IDF asserts */
    fixture_capture_expect("needs the partition erased");
    assert_int_equal(esp_ota_write_with_offset(h, NULL, 16, 0), ESP_ERR_INVALID_ARG);
    esp_ota_abort(h);
    assert_int_equal(esp_ota_write_with_offset(h, image, 16, 0), ESP_ERR_INVALID_ARG);
    free(image);
}

/* An update cut by a reboot goes on with esp_ota_resume() where it stopped. */
static void test_resume_after_a_reboot(void **state)
{
    (void)state;
    size_t len;
    uint8_t *image = image_for(NULL, "2.0", &len);
    esp_ota_handle_t h;
    assert_int_equal(esp_ota_begin(part("ota_0"), OTA_WITH_SEQUENTIAL_WRITES, &h), ESP_OK);
    size_t half = 1500;
    assert_int_equal(esp_ota_write(h, image, half), ESP_OK);
    reboot(); /* the handle is lost with the power */
    assert_int_equal(esp_ota_resume(part("ota_0"), OTA_WITH_SEQUENTIAL_WRITES, half, &h), ESP_OK);
    assert_int_equal(esp_ota_write(h, image + half, len - half), ESP_OK);
    assert_int_equal(esp_ota_end(h), ESP_OK);
    assert_true(verifies(part("ota_0")));

    assert_int_equal(esp_ota_resume(NULL, 0, 0, &h), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_ota_resume(part("ota_0"), 0, FIXTURE_SLOT_SIZE + 1, &h), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_ota_resume(part("factory"), 0, 0, &h), ESP_ERR_INVALID_ARG);
    esp_partition_t fake = *part("ota_0");
    fake.size -= 0x1000;
    assert_int_equal(esp_ota_resume(&fake, 0, 0, &h), ESP_ERR_NOT_FOUND);
    free(image);

    /* cut inside the header: the rest of it is checked when it comes */
    uint8_t *c3 = image_for("esp32c3", "2.0", &len);
    assert_int_equal(esp_ota_begin(part("ota_1"), OTA_WITH_SEQUENTIAL_WRITES, &h), ESP_OK);
    assert_int_equal(esp_ota_write(h, c3, 10), ESP_OK);
    reboot();
    assert_int_equal(esp_ota_resume(part("ota_1"), OTA_WITH_SEQUENTIAL_WRITES, 10, &h), ESP_OK);
    assert_int_equal(esp_ota_write(h, c3 + 10, len - 10), ESP_ERR_OTA_VALIDATE_FAILED);
    esp_ota_abort(h);
    free(c3);
}

/* Staging and final partitions: checked as the final's type, copied with finalize_with_copy. */
static void test_final_partition_and_copy(void **state)
{
    (void)state;
    esp_ota_handle_t h;
    assert_int_equal(esp_ota_set_final_partition(1234, part("factory"), true), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_ota_begin(part("ota_1"), OTA_WITH_SEQUENTIAL_WRITES, &h), ESP_OK);
    assert_int_equal(esp_ota_set_final_partition(h, NULL, true), ESP_ERR_INVALID_ARG);
    esp_partition_t fake = *part("factory");
    fake.address = 0x3000;
    assert_int_equal(esp_ota_set_final_partition(h, &fake, true), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_ota_set_final_partition(h, part("factory"), true), ESP_OK);
    size_t len;
    uint8_t *image = image_for(NULL, "3.0", &len);
    assert_int_equal(esp_ota_write(h, image, 100), ESP_OK);
    assert_int_equal(esp_ota_set_final_partition(h, part("factory"), true), ESP_ERR_INVALID_STATE);
    assert_int_equal(esp_ota_write(h, image + 100, len - 100), ESP_OK);
    assert_int_equal(esp_ota_end(h), ESP_OK);
    esp_app_desc_t desc;
    assert_int_equal(esp_ota_get_partition_description(part("factory"), &desc), ESP_OK);
    assert_string_equal(desc.version, "3.0");
    assert_true(esp_partition_check_identity(part("factory"), part("ota_1")));
    /* a data partition as staging, checked as an app */
    assert_int_equal(esp_ota_begin(part("nvs"), OTA_WITH_SEQUENTIAL_WRITES, &h), ESP_OK);
    assert_int_equal(esp_ota_set_final_partition(h, part("ota_0"), false), ESP_OK);
    assert_int_equal(esp_ota_write(h, "data", 4), ESP_ERR_OTA_VALIDATE_FAILED);
    esp_ota_abort(h);
    free(image);
}

static void test_set_boot_partition(void **state)
{
    (void)state;
    assert_int_equal(esp_ota_set_boot_partition(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_ota_set_boot_partition(part("nvs")), ESP_ERR_OTA_VALIDATE_FAILED); /* the image first */
    assert_int_equal(esp_ota_set_boot_partition(part("ota_1")), ESP_ERR_OTA_VALIDATE_FAILED); /* empty */
    assert_int_equal(update_version("ota_0", "2.0"), ESP_OK);
    assert_int_equal(esp_ota_set_boot_partition(part("ota_0")), ESP_OK);
    reboot();
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_OK);
    /* the slot already active: its own entry gets the new state (v5.5 wrote it to the other
     * sector with the same seq, and sector 0 won the tie) */
    assert_int_equal(esp_ota_set_boot_partition(part("ota_0")), ESP_OK);
    esp_ota_select_entry_t two[2];
    fixture_read_otadata(fixture_path, two);
    assert_int_equal(two[0].ota_seq, 1);
    assert_int_equal(two[1].ota_seq, 0xFFFFFFFF);
#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
    assert_int_equal(two[0].ota_state, ESP_OTA_IMG_NEW);
#endif
    assert_int_equal(esp_ota_set_boot_partition(part("factory")), ESP_OK); /* erases otadata */
    fixture_read_otadata(fixture_path, two);
    assert_int_equal(two[0].ota_seq, 0xFFFFFFFF);
    assert_ptr_equal(esp_ota_get_boot_partition(), part("factory"));
}

static void test_descriptions_and_next_partition(void **state)
{
    (void)state;
    esp_app_desc_t desc;
    assert_int_equal(esp_ota_get_partition_description(NULL, &desc), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_ota_get_partition_description(part("nvs"), &desc), ESP_ERR_NOT_SUPPORTED);
    assert_int_equal(esp_ota_get_partition_description(part("ota_0"), &desc), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_ota_get_partition_description(part("factory"), &desc), ESP_OK);
    assert_string_equal(desc.version, "1.0");
    esp_bootloader_desc_t bl;
    assert_int_equal(esp_ota_get_bootloader_description(NULL, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_ota_get_bootloader_description(NULL, &bl), ESP_ERR_NOT_FOUND); /* 0xFF there */
    esp_bootloader_desc_t written = { .magic_byte = ESP_BOOTLOADER_DESC_MAGIC_BYTE, .version = 7, .idf_ver = "v5.5" };
    fixture_flash_write(fixture_path, CONFIG_BOOTLOADER_OFFSET_IN_FLASH + 32, &written, sizeof(written));
    assert_int_equal(esp_ota_get_bootloader_description(NULL, &bl), ESP_OK);
    assert_int_equal(bl.version, 7);
    assert_string_equal(bl.idf_ver, "v5.5");
    assert_ptr_equal(esp_ota_get_next_update_partition(part("ota_0")), part("ota_1"));
    assert_ptr_equal(esp_ota_get_next_update_partition(part("ota_1")), part("ota_0"));
    assert_ptr_equal(esp_ota_get_next_update_partition(part("factory")), part("ota_0"));
    esp_partition_t fake = *part("ota_0");
    fake.size = 0x1000;
    assert_null(esp_ota_get_next_update_partition(&fake));
    assert_ptr_equal(esp_ota_get_running_partition(), part("factory"));
}

#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
/* An app that refuses itself: INVALID, the previous app boots, and it is the last invalid one. */
static void test_mark_invalid_and_roll_back(void **state)
{
    (void)state;
    fixture_capture_start(ESP_LOG_ERROR);
    assert_int_equal(esp_ota_mark_app_invalid_rollback(), ESP_FAIL);
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_FAIL);
    fixture_capture_expect("Running firmware is factory");
    assert_null(esp_ota_get_last_invalid_partition());
    assert_int_equal(update_version("ota_0", "2.0"), ESP_OK);
    assert_int_equal(esp_ota_set_boot_partition(part("ota_0")), ESP_OK);
    reboot();
    assert_string_equal(running(), "ota_0");
    assert_true(esp_ota_check_rollback_is_possible()); /* the factory app verifies */
    assert_int_equal(esp_ota_mark_app_invalid_rollback(), ESP_OK);
    assert_int_equal(state_of("ota_0"), ESP_OTA_IMG_INVALID);
    reboot();
    assert_string_equal(running(), "factory");
    assert_ptr_equal(esp_ota_get_last_invalid_partition(), part("ota_0"));

    /* no other app to boot: refused */
    assert_int_equal(esp_ota_set_boot_partition(part("ota_0")), ESP_OK);
    reboot();
    assert_string_equal(running(), "ota_0");
    uint8_t blank[256];
    memset(blank, 0, sizeof(blank));
    fixture_flash_write(fixture_path, FIXTURE_FACTORY, blank, sizeof(blank));
    assert_false(esp_ota_check_rollback_is_possible());
    fixture_capture_start(ESP_LOG_ERROR);
    assert_int_equal(esp_ota_mark_app_invalid_rollback(), ESP_ERR_OTA_ROLLBACK_FAILED);
    assert_int_equal(esp_ota_mark_app_invalid_rollback_and_reboot(), ESP_ERR_OTA_ROLLBACK_FAILED);
    fixture_capture_expect("Rollback is not possible");
}

/* An app that never confirms itself is ABORTED at the next boot. */
static void test_unconfirmed_app_is_aborted(void **state)
{
    (void)state;
    assert_int_equal(update_version("ota_0", "2.0"), ESP_OK);
    assert_int_equal(esp_ota_set_boot_partition(part("ota_0")), ESP_OK);
    reboot();
    assert_string_equal(running(), "ota_0");
    reboot();
    assert_string_equal(running(), "factory");
    assert_int_equal(state_of("ota_0"), ESP_OTA_IMG_ABORTED);
    assert_ptr_equal(esp_ota_get_last_invalid_partition(), part("ota_0"));
    /* its image damaged: no longer reported */
    uint8_t zero = 0;
    fixture_flash_write(fixture_path, FIXTURE_OTA_0 + 500, &zero, 1);
    assert_null(esp_ota_get_last_invalid_partition());
}
#endif

/* factory -> ota_0 -> ota_1: the app before (ota_0) and its otadata sector can be erased. */
static void test_erase_last_boot_app_partition(void **state)
{
    (void)state;
    assert_int_equal(esp_ota_erase_last_boot_app_partition(), ESP_FAIL); /* factory runs */
    assert_int_equal(update_version("ota_0", "2.0"), ESP_OK);
    assert_int_equal(esp_ota_set_boot_partition(part("ota_0")), ESP_OK);
    reboot();
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_OK);
    assert_int_equal(esp_ota_erase_last_boot_app_partition(), ESP_FAIL); /* no inactive entry */
    esp_ota_handle_t h;
    size_t len;
    uint8_t *image = image_for(NULL, "3.0", &len);
    assert_int_equal(esp_ota_begin(part("ota_1"), len, &h), ESP_OK);
    assert_int_equal(esp_ota_write(h, image, len), ESP_OK);
    assert_int_equal(esp_ota_end(h), ESP_OK);
    free(image);
    assert_int_equal(esp_ota_set_boot_partition(part("ota_1")), ESP_OK);
    reboot();
    assert_string_equal(running(), "ota_1");
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_OK);
    assert_int_equal(state_of("ota_0"), ESP_OTA_IMG_VALID);
    assert_int_equal(esp_ota_invalidate_inactive_ota_data_slot(), ESP_OK); /* only the entry */
    assert_true(verifies(part("ota_0")));
    assert_int_equal(esp_ota_get_state_partition(part("ota_0"), &(esp_ota_img_states_t){ 0 }), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_ota_erase_last_boot_app_partition(), ESP_FAIL);
    /* again, with the app */
    esp_ota_select_entry_t e = fixture_entry(1, ESP_OTA_IMG_VALID);
    fixture_flash_write(fixture_path, FIXTURE_OTADATA, &e, sizeof(e));
    assert_int_equal(esp_ota_erase_last_boot_app_partition(), ESP_OK);
    assert_false(verifies(part("ota_0")));
    assert_string_equal(running(), "ota_1");
}

static void test_state_partition_errors(void **state)
{
    (void)state;
    esp_ota_img_states_t st;
    assert_int_equal(esp_ota_get_state_partition(NULL, &st), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_ota_get_state_partition(part("ota_0"), NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_ota_get_state_partition(part("factory"), &st), ESP_ERR_NOT_SUPPORTED);
    assert_int_equal(esp_ota_get_state_partition(part("ota_0"), &st), ESP_ERR_NOT_FOUND); /* empty otadata */
}

/* A table without otadata: the calls that need it say so. */
static void test_without_otadata(void **state)
{
    (void)state;
    fixture_part_t parts[] = {
        { "factory", PART_TYPE_APP, PART_SUBTYPE_FACTORY, FIXTURE_FACTORY, FIXTURE_SLOT_SIZE, 0 },
        { "ota_0", PART_TYPE_APP, 0x10, FIXTURE_OTA_0, FIXTURE_SLOT_SIZE, 0 },
    };
    char *flash = fixture_flash_create(FIXTURE_FLASH_SIZE, parts, 2);
    fixture_flash_image(flash, FIXTURE_FACTORY, "1.0");
    fixture_flash_image(flash, FIXTURE_OTA_0, "2.0");
    fixture_power_on(flash);
    fixture_capture_start(ESP_LOG_ERROR);
    assert_null(esp_ota_get_boot_partition());
    assert_int_equal(esp_ota_set_boot_partition(part("ota_0")), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_ota_set_boot_partition(part("factory")), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_ota_get_state_partition(part("ota_0"), &(esp_ota_img_states_t){ 0 }), ESP_ERR_NOT_FOUND);
    assert_false(esp_ota_check_rollback_is_possible());
    fixture_capture_expect("not found otadata");
    fixture_remove(flash);
    fixture_power_on(fixture_path);
}

/* Nothing bootable: no running app, and the first slot is the one to update. The test app is not
 * an OTA slot to set to boot (v5.5 took it for ota_0). */
static void test_nothing_booted_and_the_test_app(void **state)
{
    (void)state;
    fixture_part_t parts[8];
    memcpy(parts, fixture_standard, fixture_standard_count * sizeof(parts[0]));
    parts[fixture_standard_count] = (fixture_part_t){ "test", PART_TYPE_APP, PART_SUBTYPE_TEST, 0x40000, 0x10000, 0 };
    char *flash = fixture_flash_create(0x50000, parts, fixture_standard_count + 1);
    fixture_power_on(flash);
    assert_null(esp_ota_get_running_partition());
    assert_ptr_equal(esp_ota_get_next_update_partition(NULL), part("ota_0"));
    fixture_flash_image(flash, 0x40000, "7.0");
    assert_int_equal(esp_ota_set_boot_partition(part("test")), ESP_ERR_INVALID_ARG);
    assert_ptr_equal(esp_ota_get_boot_partition(), part("factory")); /* empty otadata */
    fixture_remove(flash);
    fixture_power_on(fixture_path);
}

/* A partition-table update: its first bytes must be a table entry, and it must verify. */
static void test_partition_table_final(void **state)
{
    (void)state;
    fixture_part_t parts[8];
    memcpy(parts, fixture_standard, fixture_standard_count * sizeof(parts[0]));
    parts[fixture_standard_count] = (fixture_part_t){ "table", PART_TYPE_PARTITION_TABLE, 0, 0x8000, 0x1000, 0 };
    char *flash = fixture_flash_create(FIXTURE_FLASH_SIZE, parts, fixture_standard_count + 1);
    fixture_flash_image(flash, FIXTURE_FACTORY, "1.0");
    fixture_power_on(flash);
    uint8_t table[ESP_PARTITION_TABLE_MAX_LEN];
    FILE *f = fopen(flash, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0x8000, SEEK_SET), 0);
    assert_int_equal(fread(table, 1, sizeof(table), f), sizeof(table));
    fclose(f);
    esp_ota_handle_t h;
    assert_int_equal(esp_ota_begin(part("nvs"), OTA_WITH_SEQUENTIAL_WRITES, &h), ESP_OK);
    assert_int_equal(esp_ota_set_final_partition(h, part("table"), false), ESP_OK);
    fixture_capture_start(ESP_LOG_ERROR);
    assert_int_equal(esp_ota_write(h, "\xff\xff", 2), ESP_ERR_OTA_VALIDATE_FAILED);
    fixture_capture_expect("Partition table image has invalid magic word (expected 0x50AA, saw 0xffff)");
    assert_int_equal(esp_ota_write(h, table, sizeof(table)), ESP_OK);
    assert_int_equal(esp_ota_end(h), ESP_OK);
    table[40] ^= 1; /* the MD5 no longer matches */
    assert_int_equal(esp_ota_begin(part("nvs"), OTA_WITH_SEQUENTIAL_WRITES, &h), ESP_OK);
    assert_int_equal(esp_ota_set_final_partition(h, part("table"), false), ESP_OK);
    assert_int_equal(esp_ota_write(h, table, sizeof(table)), ESP_OK);
    assert_int_equal(esp_ota_end(h), ESP_ERR_OTA_VALIDATE_FAILED);
    fixture_remove(flash);
    fixture_power_on(fixture_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_error_codes_and_constants, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_update_set_boot_and_confirm, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_begin_errors, fixture_setup, fixture_teardown),
#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
        cmocka_unit_test_setup_teardown(test_begin_invalidates_the_inactive_slot, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_mark_invalid_and_roll_back, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unconfirmed_app_is_aborted, fixture_setup, fixture_teardown),
#endif
        cmocka_unit_test_setup_teardown(test_first_write_checks, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_end_verifies, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_write_with_offset, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_resume_after_a_reboot, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_final_partition_and_copy, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_set_boot_partition, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_descriptions_and_next_partition, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_erase_last_boot_app_partition, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_state_partition_errors, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_without_otadata, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_partition_table_final, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_nothing_booted_and_the_test_app, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
