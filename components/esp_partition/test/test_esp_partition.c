/* esp_partition on the flash image file: lookups, the linux target's read/write/erase rules,
 * mmap, digests, external partitions, copies, the MD5 check and the booted partition. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "esp_log.h"
#include "esp_partition.h"
#include "esp_private/partition_linux.h"
#include "flash_fixture.h"
#include "mbedtls/sha256.h"
#include "portls_boot.h"
#include "portls_format.h"
#include "portls_partition.h"
#include "sdkconfig.h"
#include "spi_flash_mmap.h"
#include "tls_test.h"

static char *s_path;

static int setup(void **state)
{
    (void)state;
    fixture_part_t parts[8];
    memcpy(parts, fixture_standard, sizeof(fixture_standard[0]) * fixture_standard_count);
    parts[fixture_standard_count] = (fixture_part_t) { "ro", PART_TYPE_DATA, 0x40, 0x40000, 0x2000, PART_FLAG_READONLY };
    parts[fixture_standard_count + 1] = (fixture_part_t) { "beyond", PART_TYPE_DATA, 0x41, 0x42000, 0x2000, 0 };
    /* the flash ends at 0x43000: "beyond" passes its end (the bootloader refuses that table) */
    s_path = fixture_flash_create(0x43000, parts, fixture_standard_count + 2);
    fixture_flash_image(s_path, FIXTURE_FACTORY, "1.0");
    fixture_power_on(s_path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fixture_remove(s_path);
    return 0;
}

static void test_find(void **state)
{
    (void)state;
    esp_partition_iterator_t it = esp_partition_find(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_ANY, NULL);
    const char *expect[] = { "factory", "ota_0", "ota_1" };
    for (int i = 0; i < 3; i++) {
        assert_non_null(it);
        const esp_partition_t *p = esp_partition_get(it);
        assert_string_equal(p->label, expect[i]);
        assert_null(p->flash_chip);
        assert_int_equal(p->erase_size, 0x1000);
        assert_false(p->encrypted);
        it = esp_partition_next(it);
    }
    assert_null(it);
    const esp_partition_t *ota1 = esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_OTA_1, NULL);
    assert_non_null(ota1);
    assert_int_equal(ota1->address, FIXTURE_OTA_1);
    assert_int_equal(ota1->size, FIXTURE_SLOT_SIZE);
    assert_ptr_equal(esp_partition_find_first(ESP_PARTITION_TYPE_ANY, ESP_PARTITION_SUBTYPE_ANY, "ota_1"), ota1);
    assert_null(esp_partition_find(ESP_PARTITION_TYPE_ANY, ESP_PARTITION_SUBTYPE_APP_OTA_1, NULL));
    assert_null(esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY, "nothing"));
    assert_true(esp_partition_find_first(ESP_PARTITION_TYPE_DATA, 0x40, NULL)->readonly);
    esp_partition_t copy = *ota1;
    assert_ptr_equal(esp_partition_verify(&copy), ota1);
    copy.label[0] = '\0'; /* an empty label matches any */
    assert_ptr_equal(esp_partition_verify(&copy), ota1);
    copy.size = 0x1000;
    assert_null(esp_partition_verify(&copy));
    assert_null(esp_partition_verify(NULL));
    esp_partition_iterator_release(NULL);
    assert_int_equal(esp_partition_get_main_flash_sector_size(), 0x1000);
}

/* Erased is 0xFF, writes AND, erases are whole sectors, readonly refuses, bounds as on linux. */
static void test_read_write_erase(void **state)
{
    (void)state;
    const esp_partition_t *p = esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_OTA_0, NULL);
    uint8_t buf[8];
    assert_int_equal(esp_partition_read(p, 0, buf, 4), ESP_OK);
    assert_memory_equal(buf, "\xff\xff\xff\xff", 4);
    assert_int_equal(esp_partition_write(p, 0, "\x0f\xf0\x33\xcc", 4), ESP_OK);
    assert_int_equal(esp_partition_write(p, 0, "\x0f\x00\x33\xcc", 4), ESP_OK);
    assert_int_equal(esp_partition_read_raw(p, 0, buf, 4), ESP_OK);
    assert_memory_equal(buf, "\x0f\x00\x33\xcc", 4);
#ifdef CONFIG_ESP_PARTITION_ERASE_CHECK
    assert_int_equal(esp_partition_write_raw(p, 0, "\xff", 1), ESP_ERR_FLASH_OP_FAIL);
#endif
    assert_int_equal(esp_partition_erase_range(p, 0, 0x1000), ESP_OK);
    assert_int_equal(esp_partition_read(p, 0, buf, 4), ESP_OK);
    assert_memory_equal(buf, "\xff\xff\xff\xff", 4);
    assert_int_equal(esp_partition_erase_range(p, 0x800, 0x1000), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_partition_erase_range(p, 0, 0x800), ESP_ERR_INVALID_SIZE);
    assert_int_equal(esp_partition_erase_range(p, 0x20000, 0x1000), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_partition_erase_range(p, 0xf000, 0x2000), ESP_ERR_INVALID_SIZE);
    assert_int_equal(esp_partition_read(p, p->size + 1, buf, 1), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_partition_read(p, p->size - 2, buf, 4), ESP_ERR_INVALID_SIZE);
    assert_int_equal(esp_partition_write(p, p->size - 2, buf, 4), ESP_ERR_INVALID_SIZE);
    assert_int_equal(esp_partition_write(p, 0, NULL, 4), ESP_ERR_INVALID_ARG);
    const esp_partition_t *ro = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, 0x40, NULL);
    assert_int_equal(esp_partition_write(ro, 0, "x", 1), ESP_ERR_NOT_ALLOWED);
    assert_int_equal(esp_partition_erase_range(ro, 0, 0x1000), ESP_ERR_NOT_ALLOWED);
    assert_int_equal(esp_partition_read(ro, 0, buf, 1), ESP_OK);
    /* a partition that passes the end of the flash file: its bytes past the end are refused */
    const esp_partition_t *beyond = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, 0x41, NULL);
    assert_int_equal(esp_partition_read(beyond, 0, buf, 8), ESP_OK);
    assert_int_equal(esp_partition_read(beyond, 0x1000, buf, 1), ESP_ERR_INVALID_SIZE);
    assert_int_equal(esp_partition_erase_range(beyond, 0, 0x2000), ESP_ERR_INVALID_SIZE);
    esp_partition_t encrypted = *p;
    encrypted.encrypted = true;
    assert_int_equal(esp_partition_write(&encrypted, 0, "x", 1), ESP_ERR_NOT_SUPPORTED);
    assert_int_equal(esp_partition_read(&encrypted, 0, buf, 1), ESP_ERR_NOT_SUPPORTED);
}

static void test_mmap(void **state)
{
    (void)state;
    const esp_partition_t *p = esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_FACTORY, NULL);
    const void *ptr;
    esp_partition_mmap_handle_t h;
    assert_int_equal(esp_partition_mmap(p, 1, 100, ESP_PARTITION_MMAP_DATA, &ptr, &h), ESP_OK);
    uint8_t buf[100];
    assert_int_equal(esp_partition_read(p, 1, buf, sizeof(buf)), ESP_OK);
    assert_memory_equal(ptr, buf, sizeof(buf));
    assert_int_equal(h, 0);
    esp_partition_munmap(h);
    assert_int_equal(esp_partition_mmap(p, p->size + 1, 1, ESP_PARTITION_MMAP_DATA, &ptr, &h), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_partition_mmap(p, 0, p->size + 1, ESP_PARTITION_MMAP_INST, &ptr, &h), ESP_ERR_INVALID_SIZE);
    assert_null(ptr);
    esp_partition_t other_chip = *p;
    other_chip.flash_chip = (esp_flash_t *)&other_chip;
    assert_int_equal(esp_partition_mmap(&other_chip, 0, 1, ESP_PARTITION_MMAP_DATA, &ptr, &h), ESP_ERR_NOT_SUPPORTED);
}

/* A copy of the factory image into ota_1 is identical to it; data partitions hash whole. */
static void test_copy_sha256_identity(void **state)
{
    (void)state;
    const esp_partition_t *factory = esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_FACTORY, NULL);
    const esp_partition_t *ota1 = esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_OTA_1, NULL);
    uint8_t sha[32];
    assert_int_equal(esp_partition_get_sha256(factory, sha), ESP_OK);
    assert_int_equal(esp_partition_get_sha256(ota1, sha), ESP_ERR_IMAGE_INVALID);
    assert_false(esp_partition_check_identity(factory, ota1));
    assert_int_equal(esp_partition_write(ota1, 0x8000, "\x00", 1), ESP_OK); /* erased by the copy */
    assert_int_equal(esp_partition_copy(ota1, 0, factory, 0, SIZE_MAX), ESP_OK);
    assert_true(esp_partition_check_identity(factory, ota1));
    uint8_t b;
    assert_int_equal(esp_partition_read(ota1, 0x8000, &b, 1), ESP_OK);
    assert_int_equal(b, 0xFF);
    assert_int_equal(esp_partition_copy(ota1, 0, ota1, 0, 16), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_partition_copy(ota1, 0x10001, factory, 0, 16), ESP_ERR_INVALID_SIZE);
    assert_int_equal(esp_partition_copy(ota1, 0xf000, factory, 0, 0x2000), ESP_ERR_INVALID_SIZE);
    const esp_partition_t *phy = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_DATA_PHY, NULL);
    uint8_t ff[0x1000], expect[32];
    memset(ff, 0xFF, sizeof(ff));
    mbedtls_sha256(ff, sizeof(ff), expect, 0);
    assert_int_equal(esp_partition_get_sha256(phy, sha), ESP_OK);
    assert_memory_equal(sha, expect, 32);
    assert_int_equal(esp_partition_get_sha256(NULL, sha), ESP_ERR_INVALID_ARG);
}

static void test_external(void **state)
{
    (void)state;
    const esp_partition_t *ext;
    assert_int_equal(esp_partition_register_external(NULL, 0x20000, 0x1000, "x", ESP_PARTITION_TYPE_DATA, 0x50, &ext),
                     ESP_ERR_INVALID_ARG); /* overlaps ota_0 */
    assert_null(ext);
    assert_int_equal(esp_partition_register_external(NULL, 0x44000, 0x1000, "a-label-longer-than-16", ESP_PARTITION_TYPE_DATA,
                                                     0x50, &ext), ESP_OK);
    assert_string_equal(ext->label, "a-label-longer-t");
    assert_false(ext->readonly);
    assert_int_equal(ext->erase_size, 0x1000);
    esp_partition_iterator_t it = esp_partition_find(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY, NULL);
    const esp_partition_t *last = NULL;
    for (; it != NULL; it = esp_partition_next(it)) {
        last = esp_partition_get(it);
    }
    assert_ptr_equal(last, ext); /* after the table's */
    uint8_t b;
    assert_int_equal(esp_partition_read(ext, 0, &b, 1), ESP_ERR_INVALID_SIZE); /* past the file */
    const esp_partition_t *table_one = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_DATA_PHY, NULL);
    assert_int_equal(esp_partition_deregister_external(table_one), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_partition_deregister_external(ext), ESP_OK);
    assert_int_equal(esp_partition_deregister_external(ext), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_partition_register_external(NULL, 0x44000, 0x1000, NULL, ESP_PARTITION_TYPE_DATA, 0x50, &ext),
                     ESP_ERR_INVALID_ARG);
}

/* The bootloader refuses a table with a partition past the end of flash: nothing boots, while
 * the app's reading of the table (no such check, as in ESP-IDF) works. */
static void test_no_boot_with_that_table(void **state)
{
    (void)state;
    assert_null(portls_partition_get_running());
    assert_non_null(esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_FACTORY, NULL));
}

/* The factory image booted; unload_all reloads the table without a new boot. */
static void test_running(void **state)
{
    (void)state;
    char *path = fixture_flash_create(FIXTURE_FLASH_SIZE, fixture_standard, fixture_standard_count);
    fixture_flash_image(path, FIXTURE_FACTORY, "1.0");
    fixture_power_on(path);
    const esp_partition_t *running = portls_partition_get_running();
    assert_non_null(running);
    assert_string_equal(running->label, "factory");
    assert_ptr_equal(running, esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_FACTORY, NULL));
    const portls_boot_t *boot;
    assert_int_equal(portls_boot_get(&boot), ESP_OK);
    uint32_t generation = boot->generation;
    esp_partition_unload_all();
    running = portls_partition_get_running();
    assert_non_null(running);
    assert_int_equal(boot->generation, generation);
    const esp_partition_t *factory = esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_FACTORY, NULL);
    assert_int_equal(esp_partition_erase_range(factory, 0, 0x1000), ESP_OK);
    fixture_power_on(path); /* a new power-on: nothing bootable now */
    assert_null(portls_partition_get_running());
    assert_non_null(esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_FACTORY, NULL));
    fixture_remove(path);
    fixture_power_on(s_path);
}

static void write_table(bool md5, bool corrupt)
{
    esp_partition_info_t e = { .magic = ESP_PARTITION_MAGIC, .type = 1, .subtype = 2, .pos = { 0x9000, 0x4000 } };
    memcpy(e.label, "nvs", 4);
    uint8_t table[ESP_PARTITION_TABLE_MAX_LEN];
    assert_int_equal(portls_partition_table_build(&e, 1, md5, table), ESP_OK);
    table[32 + 16] ^= corrupt ? 1 : 0;
    fixture_flash_write(s_path, ESP_PARTITION_TABLE_OFFSET, table, sizeof(table));
    fixture_power_on(s_path);
}

static void test_md5(void **state)
{
    (void)state;
    write_table(true, false);
    assert_non_null(esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_DATA_NVS, NULL));
#ifdef CONFIG_PARTITION_TABLE_MD5
    write_table(false, false);
    fixture_capture_start(ESP_LOG_ERROR);
    assert_null(esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_DATA_NVS, NULL));
    char *log = fixture_capture_end();
    assert_non_null(strstr(log, "partition: No MD5 found in partition table"));
    free(log);
    const esp_partition_t *ext;
    assert_int_equal(esp_partition_register_external(NULL, 0x44000, 0x1000, "x", ESP_PARTITION_TYPE_DATA, 0x50, &ext),
                     ESP_ERR_NOT_FOUND);
    write_table(true, true);
    fixture_capture_start(ESP_LOG_ERROR);
    assert_null(esp_partition_find(ESP_PARTITION_TYPE_ANY, ESP_PARTITION_SUBTYPE_ANY, NULL));
    log = fixture_capture_end();
    assert_non_null(strstr(log, "partition: Partition table MD5 mismatch"));
    free(log);
#endif
}

/* A power cut through esp_partition_write(): the words before it are written. */
static void test_fail_after(void **state)
{
    (void)state;
    const esp_partition_t *p = esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_OTA_0, NULL);
    uint8_t zeros[12] = { 0 }, buf[12];
    esp_partition_fail_after(1, ESP_PARTITION_FAIL_AFTER_MODE_WRITE);
    assert_int_equal(esp_partition_write(p, 0, zeros, sizeof(zeros)), ESP_ERR_FLASH_OP_FAIL);
    assert_int_equal(esp_partition_erase_range(p, 0, 0x1000), ESP_OK); /* erases do not count here */
    assert_int_equal(esp_partition_write(p, 0, zeros, 4), ESP_ERR_FLASH_OP_FAIL);
    esp_partition_fail_after(SIZE_MAX, ESP_PARTITION_FAIL_AFTER_MODE_BOTH);
    assert_int_equal(esp_partition_read(p, 0, buf, sizeof(buf)), ESP_OK);
    assert_int_equal(buf[0], 0xFF);
}

/* No flash file named: the calls fail (and the log says how to name one). */
static void test_no_flash(void **state)
{
    (void)state;
    const esp_partition_t *p = esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_ANY, NULL);
    esp_partition_t copy = *p;
    esp_partition_file_munmap();
    fixture_capture_start(ESP_LOG_ERROR);
    assert_null(esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_ANY, NULL));
    char *log = fixture_capture_end();
    assert_non_null(strstr(log, "PORTLS_FLASH environment variable"));
    free(log);
    uint8_t b;
    assert_int_equal(esp_partition_read(&copy, 0, &b, 1), ESP_ERR_NOT_FOUND);
    assert_null(portls_partition_get_running());
    fixture_power_on(s_path);
}

static void *first_lookup(void *arg)
{
    (void)arg;
    return (void *)esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_OTA_0, NULL);
}

/* Threads that all make the first call of a power-on: one boot, one table, one answer. */
static void test_threads(void **state)
{
    (void)state;
    fixture_power_on(s_path);
    pthread_t threads[4];
    void *found[4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&threads[i], NULL, first_lookup, NULL), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(threads[i], &found[i]), 0);
        assert_non_null(found[i]);
        assert_ptr_equal(found[i], found[0]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_find, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_write_erase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mmap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy_sha256_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_external, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_boot_with_that_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_running, setup, teardown),
        cmocka_unit_test_setup_teardown(test_md5, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_flash, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
