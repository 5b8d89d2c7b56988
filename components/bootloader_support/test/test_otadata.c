/* otadata: the CRC over the seq only, the tie to sector 0, the states; the bootloader's choice,
 * its fallback order and its writes; the app's otadata updates. */
#include <stdlib.h>
#include <string.h>

#include "bootloader_common.h"
#include "esp_log.h"
#include "flash_fixture.h"
#include "portls_boot.h"
#include "sdkconfig.h"
#include "tls_test.h"

static void test_crc_covers_seq_only(void **state)
{
    (void)state;
    static const struct {
        uint32_t seq, crc;
    } values[] = { { 1, 0x4743989A }, { 2, 0x55F63774 }, { 3, 0xED4A5011 }, { 4, 0x709D68A8 }, { 0xFFFFFFFF, 0x2144DF1C } };
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        esp_ota_select_entry_t e = fixture_entry(values[i].seq, ESP_OTA_IMG_NEW);
        assert_int_equal(bootloader_common_ota_select_crc(&e), values[i].crc);
        e.ota_state = ESP_OTA_IMG_VALID; /* the state is not covered */
        memset(e.seq_label, 0, sizeof(e.seq_label));
        assert_int_equal(bootloader_common_ota_select_crc(&e), values[i].crc);
    }
}

static void test_valid_invalid(void **state)
{
    (void)state;
    esp_ota_select_entry_t e = fixture_entry(5, ESP_OTA_IMG_UNDEFINED);
    assert_true(bootloader_common_ota_select_valid(&e));
    e.crc ^= 1;
    assert_false(bootloader_common_ota_select_valid(&e));
    assert_false(bootloader_common_ota_select_invalid(&e)); /* the CRC is not looked at */
    uint32_t bad[] = { ESP_OTA_IMG_INVALID, ESP_OTA_IMG_ABORTED };
    for (int i = 0; i < 2; i++) {
        e = fixture_entry(5, bad[i]);
        assert_true(bootloader_common_ota_select_invalid(&e));
        assert_false(bootloader_common_ota_select_valid(&e));
    }
    e = fixture_entry(0xFFFFFFFF, ESP_OTA_IMG_VALID);
    assert_true(bootloader_common_ota_select_invalid(&e));
    uint32_t good[] = { ESP_OTA_IMG_NEW, ESP_OTA_IMG_PENDING_VERIFY, ESP_OTA_IMG_VALID };
    for (int i = 0; i < 3; i++) {
        e = fixture_entry(5, good[i]);
        assert_true(bootloader_common_ota_select_valid(&e));
    }
}

static void test_select_tie_to_sector_0(void **state)
{
    (void)state;
    esp_ota_select_entry_t two[2] = { fixture_entry(4, ESP_OTA_IMG_VALID), fixture_entry(4, ESP_OTA_IMG_NEW) };
    assert_int_equal(bootloader_common_get_active_otadata(two), 0);
    two[1] = fixture_entry(5, ESP_OTA_IMG_NEW);
    assert_int_equal(bootloader_common_get_active_otadata(two), 1);
    bool valid[2] = { true, true };
    assert_int_equal(bootloader_common_select_otadata(two, valid, false), 0);
    two[1].crc = 0;
    assert_int_equal(bootloader_common_get_active_otadata(two), 0);
    two[0].ota_state = ESP_OTA_IMG_ABORTED;
    assert_int_equal(bootloader_common_get_active_otadata(two), -1);
    assert_int_equal(bootloader_common_get_active_otadata(NULL), -1);
    assert_int_equal(bootloader_common_select_otadata(two, NULL, true), -1);
}

static bootloader_state_t standard_state(bool factory)
{
    bootloader_state_t bs = { .ota_info = { FIXTURE_OTADATA, 0x2000 }, .app_count = 2 };
    bs.factory = factory ? (esp_partition_pos_t) { FIXTURE_FACTORY, FIXTURE_SLOT_SIZE } : (esp_partition_pos_t) { 0 };
    bs.ota[0] = (esp_partition_pos_t) { FIXTURE_OTA_0, FIXTURE_SLOT_SIZE };
    bs.ota[1] = (esp_partition_pos_t) { FIXTURE_OTA_1, FIXTURE_SLOT_SIZE };
    return bs;
}

static void test_plan(void **state)
{
    (void)state;
    bootloader_state_t bs = standard_state(true);
    esp_ota_select_entry_t blank[2];
    memset(blank, 0xFF, sizeof(blank));
    portls_boot_plan_t plan;
    portls_boot_plan(&bs, blank, true, &plan);
    assert_int_equal(plan.start_index, FACTORY_INDEX);
    assert_string_equal(plan.note, "Defaulting to factory image");
    assert_false(plan.write[0] || plan.write[1] || plan.initial);

    bootloader_state_t no_factory = standard_state(false);
    portls_boot_plan(&no_factory, blank, true, &plan);
    assert_int_equal(plan.start_index, 0);
    assert_true(plan.initial);

    /* seq 4 selects (4 - 1) % 2 = slot 1; rollback turns NEW into PENDING_VERIFY */
    esp_ota_select_entry_t two[2] = { fixture_entry(3, ESP_OTA_IMG_VALID), fixture_entry(4, ESP_OTA_IMG_NEW) };
    portls_boot_plan(&bs, two, true, &plan);
    assert_int_equal(plan.start_index, 1);
    assert_true(plan.write[1] && !plan.write[0]);
    assert_int_equal(plan.otadata[1].ota_state, ESP_OTA_IMG_PENDING_VERIFY);
    portls_boot_plan(&bs, two, false, &plan);
    assert_int_equal(plan.start_index, 1);
    assert_false(plan.write[1]);

    /* an app that never confirmed itself is ABORTED; the other entry boots */
    two[1].ota_state = ESP_OTA_IMG_PENDING_VERIFY;
    portls_boot_plan(&bs, two, true, &plan);
    assert_true(plan.write[1]);
    assert_int_equal(plan.otadata[1].ota_state, ESP_OTA_IMG_ABORTED);
    assert_int_equal(plan.start_index, 0);
    portls_boot_plan(&bs, two, false, &plan); /* without rollback PENDING_VERIFY means nothing */
    assert_int_equal(plan.start_index, 1);

    /* entries with a bad CRC: otadata is unusable */
    two[0].crc = two[1].crc = 0;
    two[1].ota_state = ESP_OTA_IMG_VALID;
    portls_boot_plan(&bs, two, true, &plan);
    assert_int_equal(plan.start_index, FACTORY_INDEX);
    assert_string_equal(plan.note, "ota data partition invalid, falling back to factory");
    assert_true(plan.note_is_error);

    bs.app_count = 0;
    two[0] = fixture_entry(1, ESP_OTA_IMG_VALID);
    portls_boot_plan(&bs, two, true, &plan);
    assert_int_equal(plan.start_index, FACTORY_INDEX);
    bootloader_state_t none = { 0 };
    portls_boot_plan(&none, NULL, true, &plan);
    assert_int_equal(plan.start_index, FACTORY_INDEX);
}

/* From the start slot down to factory, then up, then the test app. */
static void test_pick_order(void **state)
{
    (void)state;
    fixture_part_t parts[8];
    memcpy(parts, fixture_standard, sizeof(fixture_standard[0]) * fixture_standard_count);
    parts[fixture_standard_count] = (fixture_part_t) { "test", PART_TYPE_APP, PART_SUBTYPE_TEST, 0x30000 + FIXTURE_SLOT_SIZE,
                                                       FIXTURE_SLOT_SIZE, 0 };
    char *path = fixture_flash_create(FIXTURE_FLASH_SIZE + FIXTURE_SLOT_SIZE, parts, fixture_standard_count + 1);
    fixture_flash_image(path, FIXTURE_OTA_1, "ota1");
    fixture_power_on(path);
    bootloader_state_t bs;
    assert_true(bootloader_utility_load_partition_table(&bs));
    assert_int_equal(bs.app_count, 2);
    assert_int_equal(bs.test.offset, 0x40000);
    assert_int_equal(portls_boot_pick(&bs, 0, ESP_IMAGE_VERIFY_SILENT), 1);
    fixture_flash_image(path, FIXTURE_FACTORY, "factory");
    assert_int_equal(portls_boot_pick(&bs, 0, ESP_IMAGE_VERIFY_SILENT), FACTORY_INDEX);
    assert_int_equal(portls_boot_pick(&bs, 1, ESP_IMAGE_VERIFY_SILENT), 1);
    fixture_capture_start(ESP_LOG_INFO);
    int picked = portls_boot_pick(&bs, 0, ESP_IMAGE_VERIFY);
    char *log = fixture_capture_end();
    assert_int_equal(picked, FACTORY_INDEX);
    assert_non_null(strstr(log, "boot: OTA app partition slot 0 is not bootable"));
    assert_non_null(strstr(log, "boot: Loaded app from partition at offset 0x10000"));
    free(log);
    bs.factory.size = 0;
    bs.ota[1].size = 0;
    assert_int_equal(portls_boot_pick(&bs, 0, ESP_IMAGE_VERIFY_SILENT), INVALID_INDEX);
    fixture_flash_image(path, 0x40000, "test");
    assert_int_equal(portls_boot_pick(&bs, 0, ESP_IMAGE_VERIFY_SILENT), TEST_APP_INDEX);
    fixture_remove(path);
}

/* The real boot: it writes what the plan says, once per power-on. */
static void test_boot_writes(void **state)
{
    (void)state;
    char *path = fixture_flash_create(FIXTURE_FLASH_SIZE, fixture_standard, fixture_standard_count);
    fixture_flash_image(path, FIXTURE_FACTORY, "1.0");
    fixture_flash_image(path, FIXTURE_OTA_0, "2.0");
    esp_ota_select_entry_t e = fixture_entry(1, ESP_OTA_IMG_NEW);
    fixture_flash_write(path, FIXTURE_OTADATA, &e, sizeof(e));
    fixture_power_on(path);
    const portls_boot_t *boot;
    assert_int_equal(portls_boot_get(&boot), ESP_OK);
    assert_int_equal(boot->index, 0);
    assert_int_equal(boot->pos.offset, FIXTURE_OTA_0);
    assert_string_equal(boot->app_desc.version, "2.0");
    assert_string_equal(esp_app_get_description()->version, "2.0");
    esp_ota_select_entry_t two[2];
    fixture_read_otadata(path, two);
#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
    assert_int_equal(two[0].ota_state, ESP_OTA_IMG_PENDING_VERIFY);
    assert_int_equal(portls_boot_get(&boot), ESP_OK); /* the same power-on: no second boot */
    assert_int_equal(boot->index, 0);
    fixture_power_on(path); /* never confirmed: ABORTED, and the factory app boots */
    assert_int_equal(portls_boot_get(&boot), ESP_OK);
    assert_int_equal(boot->index, FACTORY_INDEX);
    assert_string_equal(esp_app_get_description()->version, "1.0");
    fixture_read_otadata(path, two);
    assert_int_equal(two[0].ota_state, ESP_OTA_IMG_ABORTED);
#endif
    char sha[16];
    assert_int_equal(esp_app_get_elf_sha256(sha, sizeof(sha)), CONFIG_APP_RETRIEVE_LEN_ELF_SHA + 1);
    assert_int_equal(strlen(sha), CONFIG_APP_RETRIEVE_LEN_ELF_SHA);
    assert_int_equal(esp_app_get_elf_sha256(sha, 4), 4);
    assert_int_equal(strlen(sha), 3);
    assert_int_equal(esp_app_get_elf_sha256(sha, 1), 0);
    fixture_remove(path);
}

/* No factory, blank otadata: ota_0 boots and sector 0 gets its seq (ESP-IDF's set_actual_ota_seq). */
static void test_boot_sets_initial_seq(void **state)
{
    (void)state;
    fixture_part_t parts[] = {
        { "otadata", PART_TYPE_DATA, PART_SUBTYPE_DATA_OTA, FIXTURE_OTADATA, 0x2000, 0 },
        { "ota_0", PART_TYPE_APP, 0x10, FIXTURE_OTA_0, FIXTURE_SLOT_SIZE, 0 },
        { "ota_1", PART_TYPE_APP, 0x11, FIXTURE_OTA_1, FIXTURE_SLOT_SIZE, 0 },
    };
    char *path = fixture_flash_create(FIXTURE_FLASH_SIZE, parts, 3);
    fixture_flash_image(path, FIXTURE_OTA_1, "b");
    fixture_capture_start(ESP_LOG_INFO);
    fixture_power_on(path);
    const portls_boot_t *boot;
    assert_int_equal(portls_boot_get(&boot), ESP_OK);
    char *log = fixture_capture_end();
    assert_int_equal(boot->index, 1);
    assert_non_null(strstr(log, "boot: Set actual ota_seq=2 in otadata[0]"));
    free(log);
    esp_ota_select_entry_t two[2];
    fixture_read_otadata(path, two);
    assert_int_equal(two[0].ota_seq, 2);
    assert_int_equal(two[0].ota_state, ESP_OTA_IMG_VALID);
    assert_true(bootloader_common_ota_select_valid(&two[0]));
    fixture_remove(path);
}

/* Nothing bootable, and no flash at all: no running app, a zero descriptor. */
static void test_boot_nothing(void **state)
{
    (void)state;
    char *path = fixture_flash_create(FIXTURE_FLASH_SIZE, fixture_standard, fixture_standard_count);
    fixture_power_on(path);
    const portls_boot_t *boot;
    assert_int_equal(portls_boot_get(&boot), ESP_OK);
    assert_int_equal(boot->index, INVALID_INDEX);
    assert_int_equal(esp_app_get_description()->magic_word, 0);
    fixture_remove(path);
    assert_int_equal(portls_boot_get(&boot), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_app_get_description()->magic_word, 0);
    assert_int_equal(portls_boot_get(NULL), ESP_ERR_INVALID_ARG);
}

/* esp_ota_set_boot_partition()'s seq rule, the tie, and master's fix for the active slot. */
static void test_select_slot(void **state)
{
    (void)state;
    esp_ota_select_entry_t two[2];
    memset(two, 0xFF, sizeof(two));
    assert_int_equal(portls_otadata_select_slot(two, 1, 2), 0); /* blank: sector 0, seq slot + 1 */
    assert_int_equal(two[0].ota_seq, 2);
    assert_true(bootloader_common_ota_select_valid(&two[0]));
#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
    assert_int_equal(two[0].ota_state, ESP_OTA_IMG_NEW);
#else
    assert_int_equal(two[0].ota_state, ESP_OTA_IMG_UNDEFINED);
#endif
    assert_int_equal(portls_otadata_select_slot(two, 0, 2), 1); /* the other sector, seq 3 */
    assert_int_equal(two[1].ota_seq, 3);
    assert_int_equal(bootloader_common_get_active_otadata(two), 1);
    assert_int_equal(portls_otadata_select_slot(two, 1, 2), 0);
    assert_int_equal(two[0].ota_seq, 4);
    /* 8 slots, active seq 5 (slot 4): slot 7 needs seq 8 */
    two[0] = fixture_entry(4, ESP_OTA_IMG_VALID);
    two[1] = fixture_entry(5, ESP_OTA_IMG_VALID);
    assert_int_equal(portls_otadata_select_slot(two, 7, 8), 0);
    assert_int_equal(two[0].ota_seq, 8);
    /* the active slot again: only its state changes, in the active sector (v5.5 wrote seq 1 into
     * sector 1, where the tie with sector 0 hid it) */
    two[0] = fixture_entry(1, ESP_OTA_IMG_VALID);
    two[1] = fixture_entry(0xFFFFFFFF, ESP_OTA_IMG_UNDEFINED);
    assert_int_equal(portls_otadata_select_slot(two, 0, 2), 0);
    assert_int_equal(two[0].ota_seq, 1);
    assert_int_equal(two[1].ota_seq, 0xFFFFFFFF);
    assert_int_equal(portls_otadata_select_slot(two, 2, 2), -1);
    two[0] = fixture_entry(0xFFFFFFFE, ESP_OTA_IMG_VALID);
    assert_int_equal(portls_otadata_select_slot(two, 0, 2), -1); /* no seq left */
}

static void test_set_active_state(void **state)
{
    (void)state;
    esp_ota_select_entry_t two[2] = { fixture_entry(1, ESP_OTA_IMG_VALID), fixture_entry(2, ESP_OTA_IMG_PENDING_VERIFY) };
    bool changed;
    assert_int_equal(portls_otadata_set_active_state(two, ESP_OTA_IMG_VALID, &changed), 1);
    assert_true(changed);
    assert_int_equal(two[1].ota_state, ESP_OTA_IMG_VALID);
    assert_int_equal(portls_otadata_set_active_state(two, ESP_OTA_IMG_VALID, &changed), 1);
    assert_false(changed);
    memset(two, 0xFF, sizeof(two));
    assert_int_equal(portls_otadata_set_active_state(two, ESP_OTA_IMG_VALID, &changed), -1);
    assert_false(changed);
}

static void test_rollback_possible(void **state)
{
    (void)state;
    char *path = fixture_flash_create(FIXTURE_FLASH_SIZE, fixture_standard, fixture_standard_count);
    fixture_power_on(path);
    bootloader_state_t bs;
    assert_true(bootloader_utility_load_partition_table(&bs));
    assert_int_equal(portls_ota_app_count(&bs), 2);
    esp_ota_select_entry_t two[2] = { fixture_entry(1, ESP_OTA_IMG_VALID), fixture_entry(2, ESP_OTA_IMG_PENDING_VERIFY) };
    assert_false(portls_otadata_rollback_possible(&bs, two)); /* ota_0 holds no image */
    fixture_flash_image(path, FIXTURE_OTA_0, "a");
    assert_true(portls_otadata_rollback_possible(&bs, two));
    two[0].crc = 0; /* no other entry: the factory app must verify */
    assert_false(portls_otadata_rollback_possible(&bs, two));
    fixture_flash_image(path, FIXTURE_FACTORY, "f");
    assert_true(portls_otadata_rollback_possible(&bs, two));
    memset(two, 0xFF, sizeof(two));
    assert_false(portls_otadata_rollback_possible(&bs, two)); /* nothing active */
    fixture_remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_covers_seq_only),
        cmocka_unit_test(test_valid_invalid),
        cmocka_unit_test(test_select_tie_to_sector_0),
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_pick_order),
        cmocka_unit_test(test_boot_writes),
        cmocka_unit_test(test_boot_sets_initial_seq),
        cmocka_unit_test(test_boot_nothing),
        cmocka_unit_test(test_select_slot),
        cmocka_unit_test(test_set_active_state),
        cmocka_unit_test(test_rollback_possible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
