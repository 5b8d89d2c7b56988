/* The emulated flash: naming and mapping the file, NOR writes, sector erases, power cuts; and the
 * bootloader's check of the partition table. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootloader_flash_priv.h"
#include "esp_log.h"
#include "esp_private/partition_linux.h"
#include "flash_fixture.h"
#include "portls_boot.h"
#include "portls_format.h"
#include "sdkconfig.h"
#include "spi_flash_mmap.h"
#include "tls_test.h"

#define AREA 0x20000 /* a free sector range of the standard table (ota_0) */

static char *s_path;

static int setup(void **state)
{
    (void)state;
    s_path = fixture_flash_create(FIXTURE_FLASH_SIZE, fixture_standard, fixture_standard_count);
    fixture_power_on(s_path);
    esp_partition_fail_after(SIZE_MAX, ESP_PARTITION_FAIL_AFTER_MODE_BOTH);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    esp_partition_fail_after(SIZE_MAX, ESP_PARTITION_FAIL_AFTER_MODE_BOTH);
    fixture_remove(s_path);
    return 0;
}

static void test_naming_the_file(void **state)
{
    (void)state;
    esp_partition_file_munmap();
    fixture_capture_start(ESP_LOG_ERROR);
    esp_err_t err = esp_partition_file_mmap(NULL);
    char *log = fixture_capture_end();
    assert_int_equal(err, ESP_ERR_NOT_FOUND);
    assert_non_null(strstr(log, "esp_partition_get_file_mmap_ctrl_input()->flash_file_name or the PORTLS_FLASH"));
    free(log);
    setenv("PORTLS_FLASH", s_path, 1);
    assert_int_equal(esp_partition_file_mmap(NULL), ESP_OK);
    assert_string_equal(esp_partition_get_file_mmap_ctrl_act()->flash_file_name, s_path);
    assert_int_equal(esp_partition_get_file_mmap_ctrl_act()->flash_file_size, FIXTURE_FLASH_SIZE);
    unsetenv("PORTLS_FLASH");
    assert_int_equal(esp_partition_file_munmap(), ESP_OK);
    assert_int_equal(esp_partition_file_munmap(), ESP_ERR_NO_MEM);
    assert_int_equal(esp_partition_get_file_mmap_ctrl_act()->flash_file_size, 0);
    esp_partition_file_mmap_ctrl_t *in = esp_partition_get_file_mmap_ctrl_input();
    snprintf(in->flash_file_name, sizeof(in->flash_file_name), "%s", s_path);
    in->flash_file_size = 0x1000;
    assert_int_equal(esp_partition_file_mmap(NULL), ESP_ERR_INVALID_ARG);
    in->flash_file_size = 0;
    snprintf(in->flash_file_name, sizeof(in->flash_file_name), "/nonexistent/flash.img");
    assert_int_equal(esp_partition_file_mmap(NULL), ESP_ERR_NOT_FOUND);
    char small[] = "/tmp/portls-small-XXXXXX";
    int fd = mkstemp(small);
    assert_int_equal(ftruncate(fd, 0x8000), 0); /* no room for the table */
    close(fd);
    snprintf(in->flash_file_name, sizeof(in->flash_file_name), "%s", small);
    assert_int_equal(esp_partition_file_mmap(NULL), ESP_ERR_INVALID_SIZE);
    unlink(small);
    fixture_power_on(s_path);
    assert_int_equal(esp_partition_get_file_mmap_ctrl_input()->flash_file_name[0], '\0'); /* cleared, as ESP-IDF */
}

static void test_remove_dump(void **state)
{
    (void)state;
    char *other = fixture_flash_create(FIXTURE_FLASH_SIZE, fixture_standard, fixture_standard_count);
    fixture_power_on(other);
    esp_partition_get_file_mmap_ctrl_input()->remove_dump = true;
    assert_int_equal(esp_partition_file_munmap(), ESP_OK);
    esp_partition_get_file_mmap_ctrl_input()->remove_dump = false;
    struct stat st;
    assert_int_equal(stat(other, &st), -1);
    free(other);
    fixture_power_on(s_path);
}

/* Writes AND into flash; with the erase check a 0 -> 1 bit fails at that byte. */
static void test_nor_writes(void **state)
{
    (void)state;
    uint8_t buf[8];
    assert_int_equal(bootloader_flash_read(AREA, buf, 4, false), ESP_OK);
    assert_memory_equal(buf, "\xff\xff\xff\xff", 4);
    assert_int_equal(bootloader_flash_write(AREA, "\xf0\x0f\xaa\x55", 4, false), ESP_OK);
    assert_int_equal(bootloader_flash_write(AREA, "\xf0\x0f\x0a\x55", 4, false), ESP_OK); /* clears bits only */
    assert_int_equal(bootloader_flash_read(AREA, buf, 4, false), ESP_OK);
    assert_memory_equal(buf, "\xf0\x0f\x0a\x55", 4);
#ifdef CONFIG_ESP_PARTITION_ERASE_CHECK
    fixture_capture_start(ESP_LOG_WARN);
    esp_err_t err = bootloader_flash_write(AREA, "\x00\x0f\xff\x00", 4, false);
    char *log = fixture_capture_end();
    assert_int_equal(err, ESP_ERR_FLASH_OP_FAIL);
    assert_non_null(strstr(log, "invalid flash operation detected"));
    free(log);
    assert_int_equal(bootloader_flash_read(AREA, buf, 4, false), ESP_OK);
    assert_memory_equal(buf, "\x00\x0f\x0a\x55", 4); /* bytes before the refused one are written */
#endif
    assert_int_equal(bootloader_flash_erase_sector(AREA / 0x1000), ESP_OK);
    assert_int_equal(bootloader_flash_read(AREA, buf, 4, false), ESP_OK);
    assert_memory_equal(buf, "\xff\xff\xff\xff", 4);
    assert_int_equal(bootloader_flash_erase_range(AREA + 1, 0x1000), ESP_ERR_INVALID_ARG);
    assert_int_equal(bootloader_flash_erase_range(AREA, 0x800), ESP_ERR_INVALID_ARG);
    assert_int_equal(bootloader_flash_write(AREA, buf, 4, true), ESP_ERR_NOT_SUPPORTED);
    assert_int_equal(bootloader_flash_read(FIXTURE_FLASH_SIZE - 2, buf, 4, false), ESP_ERR_INVALID_ARG);
    assert_int_equal(bootloader_flash_write(FIXTURE_FLASH_SIZE, buf, 1, false), ESP_ERR_INVALID_ARG);
    assert_null(bootloader_mmap(FIXTURE_FLASH_SIZE - 4, 8));
    const uint8_t *p = bootloader_mmap(ESP_PARTITION_TABLE_OFFSET, 2);
    assert_non_null(p);
    assert_int_equal(p[0], 0xAA);
}

/* One cycle per 4 bytes written, one per sector erased; the operation that runs out stops there,
 * and so does everything after it until the next esp_partition_fail_after(). */
static void test_power_cut(void **state)
{
    (void)state;
    uint8_t zeros[16] = { 0 };
    uint8_t buf[16];
    esp_partition_fail_after(2, ESP_PARTITION_FAIL_AFTER_MODE_BOTH);
    assert_int_equal(bootloader_flash_write(AREA, zeros, 16, false), ESP_ERR_FLASH_OP_FAIL);
    assert_int_equal(bootloader_flash_read(AREA, buf, 16, false), ESP_OK);
    assert_memory_equal(buf, zeros, 8);
    assert_int_equal(buf[8], 0xFF);
    assert_int_equal(bootloader_flash_write(AREA + 8, zeros, 4, false), ESP_ERR_FLASH_OP_FAIL); /* still off */
    assert_int_equal(bootloader_flash_erase_range(AREA, 0x1000), ESP_ERR_FLASH_OP_FAIL);
    assert_int_equal(bootloader_flash_read(AREA, buf, 16, false), ESP_OK);
    assert_int_equal(buf[8], 0xFF);
    assert_int_equal(buf[0], 0x00); /* the erase did not happen */

    esp_partition_fail_after(1, ESP_PARTITION_FAIL_AFTER_MODE_BOTH); /* two sectors, power for one */
    assert_int_equal(bootloader_flash_erase_range(AREA, 0x2000), ESP_ERR_FLASH_OP_FAIL);
    assert_int_equal(bootloader_flash_read(AREA, buf, 1, false), ESP_OK);
    assert_int_equal(buf[0], 0xFF);

    /* only the named operations count */
    esp_partition_fail_after(0, ESP_PARTITION_FAIL_AFTER_MODE_ERASE);
    assert_int_equal(bootloader_flash_write(AREA, zeros, 16, false), ESP_OK);
    assert_int_equal(bootloader_flash_erase_range(AREA, 0x1000), ESP_ERR_FLASH_OP_FAIL);
    esp_partition_fail_after(0, ESP_PARTITION_FAIL_AFTER_MODE_WRITE);
    assert_int_equal(bootloader_flash_erase_range(AREA, 0x1000), ESP_OK);
    assert_int_equal(bootloader_flash_write(AREA, zeros, 4, false), ESP_ERR_FLASH_OP_FAIL);
    esp_partition_fail_after(SIZE_MAX, ESP_PARTITION_FAIL_AFTER_MODE_BOTH);
    assert_int_equal(bootloader_flash_write(AREA, zeros, 4, false), ESP_OK);
}

/* An otadata update is an erase and 8 words: each of its cut points leaves a partial entry. */
static void test_otadata_write_cut(void **state)
{
    (void)state;
    const esp_partition_pos_t ota_info = { FIXTURE_OTADATA, 0x2000 };
    esp_ota_select_entry_t e = fixture_entry(7, ESP_OTA_IMG_VALID);
    esp_ota_select_entry_t before = fixture_entry(9, ESP_OTA_IMG_NEW);
    for (size_t n = 0; n <= 10; n++) {
        esp_partition_fail_after(SIZE_MAX, ESP_PARTITION_FAIL_AFTER_MODE_BOTH);
        assert_int_equal(portls_otadata_write(&ota_info, 1, &before), ESP_OK);
        esp_partition_fail_after(n, ESP_PARTITION_FAIL_AFTER_MODE_BOTH);
        esp_err_t err = portls_otadata_write(&ota_info, 1, &e);
        assert_int_equal(err, n < 10 ? ESP_ERR_FLASH_OP_FAIL : ESP_OK);
        esp_ota_select_entry_t two[2];
        fixture_read_otadata(s_path, two);
        size_t written = n == 0 ? 0 : (n - 1) * 4;
        if (n == 0) {
            assert_int_equal(two[1].ota_seq, 9); /* not even erased */
        } else {
            uint8_t expect[32];
            memset(expect, 0xFF, sizeof(expect));
            memcpy(expect, &e, written > 32 ? 32 : written);
            assert_memory_equal(&two[1], expect, sizeof(expect));
        }
    }
    assert_int_equal(portls_otadata_write(&ota_info, 2, &e), ESP_ERR_INVALID_ARG);
}

static void write_table(const esp_partition_info_t *entries, size_t count, bool md5)
{
    uint8_t table[ESP_PARTITION_TABLE_MAX_LEN];
    assert_int_equal(portls_partition_table_build(entries, count, md5, table), ESP_OK);
    fixture_flash_write(s_path, ESP_PARTITION_TABLE_OFFSET, table, sizeof(table));
}

static esp_partition_info_t entry(uint32_t offset, uint32_t size)
{
    esp_partition_info_t e = { .magic = ESP_PARTITION_MAGIC, .type = 1, .subtype = 2, .pos = { offset, size } };
    memcpy(e.label, "nvs", 4);
    return e;
}

static void test_table_verify(void **state)
{
    (void)state;
    const esp_partition_info_t *table = bootloader_mmap(ESP_PARTITION_TABLE_OFFSET, ESP_PARTITION_TABLE_MAX_LEN);
    int n;
    assert_int_equal(esp_partition_table_verify(table, true, &n), ESP_OK);
    assert_int_equal(n, (int)fixture_standard_count);
    esp_partition_info_t e[2] = { entry(0x9000, 0x4000), entry(0x10000, FIXTURE_FLASH_SIZE) };
    write_table(e, 1, false); /* the MD5 entry is optional for the bootloader */
    assert_int_equal(esp_partition_table_verify(table, false, &n), ESP_OK);
    assert_int_equal(n, 1);
    write_table(e, 2, true); /* past the end of flash */
    fixture_capture_start(ESP_LOG_ERROR);
    assert_int_equal(esp_partition_table_verify(table, true, &n), ESP_ERR_INVALID_SIZE);
    char *log = fixture_capture_end();
    assert_non_null(strstr(log, "flash_parts: partition 1 invalid - offset 0x10000 size 0x40000 exceeds flash chip size 0x40000"));
    free(log);
    write_table(e, 1, true);
    uint8_t flip = 0x00;
    fixture_flash_write(s_path, ESP_PARTITION_TABLE_OFFSET + 32 + 20, &flip, 1); /* the digest */
    assert_int_equal(esp_partition_table_verify(table, false, &n), ESP_ERR_INVALID_STATE);
    write_table(e, 1, true);
    fixture_flash_write(s_path, ESP_PARTITION_TABLE_OFFSET + 64, &table[1], 32); /* a second MD5 entry */
    assert_int_equal(esp_partition_table_verify(table, false, &n), ESP_ERR_INVALID_STATE);
    uint8_t zero[32] = { 0 };
    write_table(e, 1, true);
    fixture_flash_write(s_path, ESP_PARTITION_TABLE_OFFSET + 64, zero, 32); /* not a terminator */
    assert_int_equal(esp_partition_table_verify(table, false, &n), ESP_ERR_INVALID_STATE);
    uint8_t all[ESP_PARTITION_TABLE_MAX_LEN];
    for (size_t i = 0; i < sizeof(all); i += 32) {
        memcpy(all + i, &e[0], 32);
    }
    fixture_flash_write(s_path, ESP_PARTITION_TABLE_OFFSET, all, sizeof(all)); /* 96 entries, no end */
    fixture_capture_start(ESP_LOG_ERROR);
    assert_int_equal(esp_partition_table_verify(table, true, &n), ESP_ERR_INVALID_STATE);
    log = fixture_capture_end();
    assert_non_null(strstr(log, "partition table has no terminating entry, not valid"));
    free(log);
    uint8_t out[ESP_PARTITION_TABLE_MAX_LEN];
    esp_partition_info_t many[95];
    assert_int_equal(portls_partition_table_build(many, 95, true, out), ESP_ERR_INVALID_SIZE);
    assert_int_equal(portls_partition_table_build(NULL, 1, true, out), ESP_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_naming_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_dump, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nor_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_power_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_otadata_write_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_verify, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
