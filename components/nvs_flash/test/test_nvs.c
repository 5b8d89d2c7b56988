/* NVS: ESP-IDF's generator's partition read back, the partition written here byte for byte,
 * every type and error of the API, full partitions, page reclaim and the init errors the
 * examples handle. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_partition.h"
#include "esp_private/partition_linux.h"
#include "flash_fixture.h"
#include "nvs_fixture.h"
#include "nvs_flash.h"
#include "esp_rom_crc.h"
#include "spi_flash_mmap.h"
#include "tls_test.h"

static char *s_path;

static int setup(void **state)
{
    (void)state;
    s_path = nvs_fixture_start();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nvs_flash_deinit_partition("nvs");
    nvs_flash_deinit_partition("nvs2");
    nvs_flash_deinit_partition("nvs_ro");
    nvs_fixture_end(s_path);
    return 0;
}

static nvs_handle_t open_rw(const char *part, const char *ns)
{
    nvs_handle_t h = 0;
    assert_int_equal(nvs_open_from_partition(part, ns, NVS_READWRITE, &h), ESP_OK);
    assert_int_not_equal(h, 0);
    return h;
}

static void check_str(nvs_handle_t h, const char *key, const char *want)
{
    size_t len = 0;
    assert_int_equal(nvs_get_str(h, key, NULL, &len), ESP_OK);
    assert_int_equal(len, strlen(want) + 1);
    char *got = malloc(len);
    assert_int_equal(nvs_get_str(h, key, got, &len), ESP_OK);
    assert_string_equal(got, want);
    free(got);
}

static void check_blob(nvs_handle_t h, const char *key, const uint8_t *want, size_t want_len)
{
    size_t len = 0;
    assert_int_equal(nvs_get_blob(h, key, NULL, &len), ESP_OK);
    assert_int_equal(len, want_len);
    uint8_t *got = malloc(len + 1);
    assert_int_equal(nvs_get_blob(h, key, got, &len), ESP_OK);
    assert_memory_equal(got, want, want_len);
    free(got);
}

static const char *s_long_str = "The quick brown fox jumps over the lazy dog; the quick brown fox jumps over the lazy dog "
                                "again and again until the string spans several thirty-two byte entries of the page.";

/* The values of tests/data/nvs/idf_values.csv, in namespace storage and ota_resumption. */
static void check_csv_values(const char *part)
{
    nvs_handle_t h;
    assert_int_equal(nvs_open_from_partition(part, "storage", NVS_READONLY, &h), ESP_OK);
    uint8_t u8; int8_t i8; uint16_t u16; int16_t i16; uint32_t u32; int32_t i32; uint64_t u64; int64_t i64;
    assert_int_equal(nvs_get_u8(h, "u8", &u8), ESP_OK);
    assert_int_equal(u8, 250);
    assert_int_equal(nvs_get_i8(h, "i8", &i8), ESP_OK);
    assert_int_equal(i8, -100);
    assert_int_equal(nvs_get_u16(h, "u16", &u16), ESP_OK);
    assert_int_equal(u16, 65000);
    assert_int_equal(nvs_get_i16(h, "i16", &i16), ESP_OK);
    assert_int_equal(i16, -32000);
    assert_int_equal(nvs_get_u32(h, "u32", &u32), ESP_OK);
    assert_int_equal(u32, 4000000000u);
    assert_int_equal(nvs_get_i32(h, "i32", &i32), ESP_OK);
    assert_int_equal(i32, -2000000000);
    assert_int_equal(nvs_get_u64(h, "u64", &u64), ESP_OK);
    assert_true(u64 == 18000000000000000000ull);
    assert_int_equal(nvs_get_i64(h, "i64", &i64), ESP_OK);
    assert_true(i64 == -9000000000000000000ll);
    check_str(h, "short", "hello");
    check_str(h, "long", s_long_str);
    check_blob(h, "small_blob", (const uint8_t *)"\x01\x02\xab\xcd\xef", 5);
    size_t blob_len;
    uint8_t *blob = nvs_fixture_file("blob6000.bin", &blob_len);
    check_blob(h, "big_blob", blob, blob_len);
    free(blob);
    nvs_close(h);
    assert_int_equal(nvs_open_from_partition(part, "ota_resumption", NVS_READONLY, &h), ESP_OK);
    assert_int_equal(nvs_get_u16(h, "nvs_ota_wr_len", &u16), ESP_OK);
    assert_int_equal(u16, 512);
    check_str(h, "nvs_ota_url", "https://127.0.0.1:8070/hello_world.bin");
    nvs_close(h);
}

/* ESP-IDF v5.5's nvs_partition_gen.py wrote idf_values.bin from idf_values.csv. */
static void test_reads_idf_generator_output(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bin = nvs_fixture_file("idf_values.bin", &len);
    assert_int_equal(len, NVS_FIX_MAIN_SIZE);
    fixture_flash_write(s_path, NVS_FIX_MAIN, bin, len);
    free(bin);
    assert_int_equal(nvs_flash_init(), ESP_OK);
    check_csv_values("nvs");
    /* and it takes new values next to the generator's */
    nvs_handle_t h = open_rw("nvs", "storage");
    assert_int_equal(nvs_set_u8(h, "u8", 7), ESP_OK);
    assert_int_equal(nvs_set_str(h, "added", "x"), ESP_OK);
    nvs_close(h);
    assert_int_equal(nvs_flash_deinit(), ESP_OK);
    assert_int_equal(nvs_flash_init(), ESP_OK);
    assert_int_equal(nvs_open("storage", NVS_READONLY, &h), ESP_OK);
    uint8_t u8;
    assert_int_equal(nvs_get_u8(h, "u8", &u8), ESP_OK);
    assert_int_equal(u8, 7);
    check_str(h, "added", "x");
    check_str(h, "long", s_long_str);
    nvs_close(h);
    assert_int_equal(nvs_flash_erase(), ESP_OK);
}

/* Version 1 pages (the generator's --version 1): read, and new values go next to them. */
static void test_reads_version_1(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bin = nvs_fixture_file("idf_v1.bin", &len);
    assert_int_equal(len, 0x3000);
    fixture_flash_write(s_path, NVS_FIX_SMALL, bin, len);
    free(bin);
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
    nvs_handle_t h = open_rw("nvs2", "old");
    uint32_t v;
    assert_int_equal(nvs_get_u32(h, "count", &v), ESP_OK);
    assert_int_equal(v, 77);
    check_str(h, "name", "version one");
    check_blob(h, "blob", (const uint8_t *)"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff", 16);
    nvs_type_t type;
    assert_int_equal(nvs_find_key(h, "blob", &type), ESP_OK);
    assert_int_equal(type, NVS_TYPE_BLOB);
    /* rewriting the blob stores it in version 2 and drops the old item */
    assert_int_equal(nvs_set_blob(h, "blob", "new", 3), ESP_OK);
    check_blob(h, "blob", (const uint8_t *)"new", 3);
    nvs_close(h);
    assert_int_equal(nvs_flash_deinit_partition("nvs2"), ESP_OK);
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
    h = open_rw("nvs2", "old");
    check_blob(h, "blob", (const uint8_t *)"new", 3);
    nvs_close(h);
    assert_int_equal(nvs_flash_erase_partition("nvs2"), ESP_OK);
}

/* The CSV's values, set through the API in its order on an erased partition. */
static void write_csv_values(const char *part)
{
    nvs_handle_t h = open_rw(part, "storage");
    assert_int_equal(nvs_set_u8(h, "u8", 250), ESP_OK);
    assert_int_equal(nvs_set_i8(h, "i8", -100), ESP_OK);
    assert_int_equal(nvs_set_u16(h, "u16", 65000), ESP_OK);
    assert_int_equal(nvs_set_i16(h, "i16", -32000), ESP_OK);
    assert_int_equal(nvs_set_u32(h, "u32", 4000000000u), ESP_OK);
    assert_int_equal(nvs_set_i32(h, "i32", -2000000000), ESP_OK);
    assert_int_equal(nvs_set_u64(h, "u64", 18000000000000000000ull), ESP_OK);
    assert_int_equal(nvs_set_i64(h, "i64", -9000000000000000000ll), ESP_OK);
    assert_int_equal(nvs_set_str(h, "short", "hello"), ESP_OK);
    assert_int_equal(nvs_set_str(h, "long", s_long_str), ESP_OK);
    assert_int_equal(nvs_set_blob(h, "small_blob", "\x01\x02\xab\xcd\xef", 5), ESP_OK);
    size_t blob_len;
    uint8_t *blob = nvs_fixture_file("blob6000.bin", &blob_len);
    assert_int_equal(nvs_set_blob(h, "big_blob", blob, blob_len), ESP_OK);
    free(blob);
    assert_int_equal(nvs_commit(h), ESP_OK);
    nvs_close(h);
    h = open_rw(part, "ota_resumption");
    assert_int_equal(nvs_set_u16(h, "nvs_ota_wr_len", 512), ESP_OK);
    assert_int_equal(nvs_set_str(h, "nvs_ota_url", "https://127.0.0.1:8070/hello_world.bin"), ESP_OK);
    nvs_close(h);
}

/* With PORTLS_NVS_DUMP set, writes a partition's bytes there (for the nvs_tool test). */
static void dump_partition(const esp_partition_t *p, uint8_t *bytes)
{
    const char *dump = getenv("PORTLS_NVS_DUMP");
    if (dump == NULL) {
        return;
    }
    FILE *f = fopen(dump, "wb");
    assert_non_null(f);
    assert_int_equal(esp_partition_read(p, 0, bytes, p->size), ESP_OK);
    assert_int_equal(fwrite(bytes, 1, p->size, f), p->size);
    fclose(f);
}

/* The CSV's values set through the API on an erased partition give the very bytes ESP-IDF's
 * generator wrote for them (idf_values.bin). With PORTLS_NVS_DUMP set, the partition is also
 * written to that file, for the test that runs ESP-IDF's reader (nvs_tool.py) on it. */
static void test_writes_the_checked_bytes(void **state)
{
    (void)state;
    assert_int_equal(nvs_flash_erase(), ESP_OK);
    assert_int_equal(nvs_flash_init(), ESP_OK);
    write_csv_values("nvs");
    check_csv_values("nvs");
    const esp_partition_t *p = nvs_fixture_part("nvs");
    uint8_t *got = malloc(p->size);
    assert_int_equal(esp_partition_read(p, 0, got, p->size), ESP_OK);
    dump_partition(p, got);
    size_t len;
    uint8_t *want = nvs_fixture_file("idf_values.bin", &len);
    assert_int_equal(len, p->size);
    assert_memory_equal(got, want, len);
    free(want);
    free(got);
    assert_int_equal(nvs_flash_deinit(), ESP_OK);
    assert_int_equal(nvs_flash_init(), ESP_OK);
    check_csv_values("nvs");
    assert_int_equal(nvs_flash_erase(), ESP_OK);
}

static void test_every_type(void **state)
{
    (void)state;
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
    nvs_handle_t h = open_rw("nvs2", "types");
    int8_t i8; uint8_t u8; int16_t i16; uint16_t u16; int32_t i32; uint32_t u32; int64_t i64; uint64_t u64;
    assert_int_equal(nvs_set_i8(h, "i8", INT8_MIN), ESP_OK);
    assert_int_equal(nvs_set_u8(h, "u8", UINT8_MAX), ESP_OK);
    assert_int_equal(nvs_set_i16(h, "i16", INT16_MIN), ESP_OK);
    assert_int_equal(nvs_set_u16(h, "u16", UINT16_MAX), ESP_OK);
    assert_int_equal(nvs_set_i32(h, "i32", INT32_MIN), ESP_OK);
    assert_int_equal(nvs_set_u32(h, "u32", UINT32_MAX), ESP_OK);
    assert_int_equal(nvs_set_i64(h, "i64", INT64_MIN), ESP_OK);
    assert_int_equal(nvs_set_u64(h, "u64", UINT64_MAX), ESP_OK);
    assert_int_equal(nvs_get_i8(h, "i8", &i8), ESP_OK);
    assert_int_equal(i8, INT8_MIN);
    assert_int_equal(nvs_get_u8(h, "u8", &u8), ESP_OK);
    assert_int_equal(u8, UINT8_MAX);
    assert_int_equal(nvs_get_i16(h, "i16", &i16), ESP_OK);
    assert_int_equal(i16, INT16_MIN);
    assert_int_equal(nvs_get_u16(h, "u16", &u16), ESP_OK);
    assert_int_equal(u16, UINT16_MAX);
    assert_int_equal(nvs_get_i32(h, "i32", &i32), ESP_OK);
    assert_int_equal(i32, INT32_MIN);
    assert_int_equal(nvs_get_u32(h, "u32", &u32), ESP_OK);
    assert_int_equal(u32, UINT32_MAX);
    assert_int_equal(nvs_get_i64(h, "i64", &i64), ESP_OK);
    assert_true(i64 == INT64_MIN);
    assert_int_equal(nvs_get_u64(h, "u64", &u64), ESP_OK);
    assert_true(u64 == UINT64_MAX);
    /* a get of another type, and a key that holds nothing */
    assert_int_equal(nvs_get_u8(h, "i8", &u8), ESP_ERR_NVS_TYPE_MISMATCH);
    assert_int_equal(nvs_get_u8(h, "none", &u8), ESP_ERR_NVS_NOT_FOUND);
    size_t len = 8;
    assert_int_equal(nvs_get_str(h, "u8", NULL, &len), ESP_ERR_NVS_TYPE_MISMATCH);
    /* a set of another type replaces the value */
    assert_int_equal(nvs_set_str(h, "u8", "now a string"), ESP_OK);
    assert_int_equal(nvs_get_u8(h, "u8", &u8), ESP_ERR_NVS_TYPE_MISMATCH);
    check_str(h, "u8", "now a string");
    nvs_type_t type;
    assert_int_equal(nvs_find_key(h, "u8", &type), ESP_OK);
    assert_int_equal(type, NVS_TYPE_STR);
    assert_int_equal(nvs_set_blob(h, "u8", "b", 1), ESP_OK);
    assert_int_equal(nvs_find_key(h, "u8", &type), ESP_OK);
    assert_int_equal(type, NVS_TYPE_BLOB);
    assert_int_equal(nvs_find_key(h, "i64", NULL), ESP_OK);
    assert_int_equal(nvs_find_key(h, "none", &type), ESP_ERR_NVS_NOT_FOUND);
    /* namespaces keep keys apart */
    nvs_handle_t other = open_rw("nvs2", "other");
    assert_int_equal(nvs_get_i8(other, "i8", &i8), ESP_ERR_NVS_NOT_FOUND);
    assert_int_equal(nvs_set_i8(other, "i8", 5), ESP_OK);
    assert_int_equal(nvs_get_i8(h, "i8", &i8), ESP_OK);
    assert_int_equal(i8, INT8_MIN);
    nvs_close(other);
    nvs_close(h);
    assert_int_equal(nvs_flash_erase_partition("nvs2"), ESP_OK);
}

static void test_strings_and_blobs(void **state)
{
    (void)state;
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
    nvs_handle_t h = open_rw("nvs2", "sb");
    /* the length query, a short buffer, and the exact one */
    assert_int_equal(nvs_set_str(h, "s", "value"), ESP_OK);
    char buf[6];
    size_t len = 5;
    assert_int_equal(nvs_get_str(h, "s", buf, &len), ESP_ERR_NVS_INVALID_LENGTH);
    assert_int_equal(len, 6);
    assert_int_equal(nvs_get_str(h, "s", buf, NULL), ESP_ERR_NVS_INVALID_LENGTH);
    assert_int_equal(nvs_get_str(h, "s", buf, &len), ESP_OK);
    assert_string_equal(buf, "value");
    /* the longest string fits a page; one byte more does not */
    char *big = malloc(4001);
    memset(big, 'a', 4000);
    big[3999] = '\0';
    assert_int_equal(nvs_set_str(h, "big", big), ESP_OK);
    check_str(h, "big", big);
    big[3999] = 'a';
    big[4000] = '\0';
    assert_int_equal(nvs_set_str(h, "big", big), ESP_ERR_NVS_VALUE_TOO_LONG);
    free(big);
    assert_int_equal(nvs_erase_key(h, "big"), ESP_OK);
    /* an empty blob, and one rewritten (its chunks switch version) */
    assert_int_equal(nvs_set_blob(h, "empty", NULL, 0), ESP_OK);
    len = 99;
    assert_int_equal(nvs_get_blob(h, "empty", NULL, &len), ESP_OK);
    assert_int_equal(len, 0);
    uint8_t blob[7000];
    for (size_t i = 0; i < sizeof(blob); i++) {
        blob[i] = (uint8_t)(i * 13);
    }
    assert_int_equal(nvs_set_blob(h, "blob", blob, sizeof(blob)), ESP_OK);
    check_blob(h, "blob", blob, sizeof(blob));
    blob[5000] ^= 0xFF;
    assert_int_equal(nvs_set_blob(h, "blob", blob, 6000), ESP_OK);
    check_blob(h, "blob", blob, 6000);
    uint8_t small[10];
    len = sizeof(small);
    assert_int_equal(nvs_get_blob(h, "blob", small, &len), ESP_ERR_NVS_INVALID_LENGTH);
    assert_int_equal(len, 6000);
    /* 5 pages: 4 chunks of 4000 at most; more is too long */
    static uint8_t huge[16001];
    assert_int_equal(nvs_set_blob(h, "huge", huge, sizeof(huge)), ESP_ERR_NVS_VALUE_TOO_LONG);
    /* survives a re-init */
    nvs_close(h);
    assert_int_equal(nvs_flash_deinit_partition("nvs2"), ESP_OK);
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
    h = open_rw("nvs2", "sb");
    check_blob(h, "blob", blob, 6000);
    check_str(h, "s", "value");
    /* erase one key, then all */
    assert_int_equal(nvs_erase_key(h, "blob"), ESP_OK);
    assert_int_equal(nvs_get_blob(h, "blob", NULL, &len), ESP_ERR_NVS_NOT_FOUND);
    assert_int_equal(nvs_erase_key(h, "blob"), ESP_ERR_NVS_NOT_FOUND);
    assert_int_equal(nvs_erase_all(h), ESP_OK);
    assert_int_equal(nvs_get_str(h, "s", NULL, &len), ESP_ERR_NVS_NOT_FOUND);
    nvs_close(h);
    assert_int_equal(nvs_flash_erase_partition("nvs2"), ESP_OK);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    nvs_handle_t h;
    assert_int_equal(nvs_open("ns", NVS_READWRITE, &h), ESP_ERR_NVS_NOT_INITIALIZED);
    assert_int_equal(nvs_flash_init_partition(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(nvs_flash_init_partition("a_label_too_long_"), ESP_ERR_INVALID_ARG);
    assert_int_equal(nvs_flash_init_partition("missing"), ESP_ERR_NOT_FOUND);
    assert_int_equal(nvs_flash_erase_partition("missing"), ESP_ERR_NOT_FOUND);
    assert_int_equal(nvs_flash_deinit_partition("nvs2"), ESP_ERR_NVS_NOT_INITIALIZED);
    assert_int_equal(nvs_flash_init_partition_ptr(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(nvs_flash_erase_partition_ptr(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(nvs_flash_erase_partition_ptr(nvs_fixture_part("nvs2")), ESP_OK);
    assert_int_equal(nvs_flash_init_partition_ptr(nvs_fixture_part("nvs2")), ESP_OK);
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK); /* again: nothing to do */
    assert_int_equal(nvs_open("ns", NVS_READWRITE, &h), ESP_ERR_NVS_PART_NOT_FOUND);
    assert_int_equal(nvs_open_from_partition("nvs2", "ns", NVS_READWRITE, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(nvs_open_from_partition("nvs2", NULL, NVS_READWRITE, &h), ESP_ERR_INVALID_ARG);
    assert_int_equal(nvs_open_from_partition("nvs2", "", NVS_READWRITE, &h), ESP_ERR_NVS_INVALID_NAME);
    assert_int_equal(nvs_open_from_partition("nvs2", "sixteen_chars_ns", NVS_READWRITE, &h), ESP_ERR_NVS_KEY_TOO_LONG);
    assert_int_equal(nvs_open_from_partition("nvs2", "fifteen_chars_n", NVS_READONLY, &h), ESP_ERR_NVS_NOT_FOUND);
    h = open_rw("nvs2", "fifteen_chars_n");
    uint32_t v;
    assert_int_equal(nvs_set_u32(h, "fifteen_chars_k", 1), ESP_OK);
    assert_int_equal(nvs_set_u32(h, "sixteen_chars_ke", 1), ESP_ERR_NVS_KEY_TOO_LONG);
    assert_int_equal(nvs_get_u32(h, "sixteen_chars_ke", &v), ESP_ERR_NVS_KEY_TOO_LONG);
    assert_int_equal(nvs_set_u32(h, "", 1), ESP_ERR_NVS_INVALID_NAME);
    assert_int_equal(nvs_set_u32(h, NULL, 1), ESP_ERR_INVALID_ARG);
    assert_int_equal(nvs_get_u32(h, "fifteen_chars_k", NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(nvs_set_str(h, "k", NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(nvs_set_blob(h, "k", NULL, 1), ESP_ERR_INVALID_ARG);
    assert_int_equal(nvs_erase_key(h, NULL), ESP_ERR_INVALID_ARG);
    nvs_handle_t ro;
    assert_int_equal(nvs_open_from_partition("nvs2", "fifteen_chars_n", NVS_READONLY, &ro), ESP_OK);
    assert_int_equal(nvs_get_u32(ro, "fifteen_chars_k", &v), ESP_OK);
    assert_int_equal(v, 1);
    assert_int_equal(nvs_set_u32(ro, "k", 1), ESP_ERR_NVS_READ_ONLY);
    assert_int_equal(nvs_erase_key(ro, "fifteen_chars_k"), ESP_ERR_NVS_READ_ONLY);
    assert_int_equal(nvs_erase_all(ro), ESP_ERR_NVS_READ_ONLY);
    nvs_close(ro);
    nvs_close(h);
    assert_int_equal(nvs_set_u32(h, "k", 1), ESP_ERR_NVS_INVALID_HANDLE);
    assert_int_equal(nvs_get_u32(h, "k", &v), ESP_ERR_NVS_INVALID_HANDLE);
    assert_int_equal(nvs_commit(h), ESP_ERR_NVS_INVALID_HANDLE);
    assert_int_equal(nvs_erase_all(h), ESP_ERR_NVS_INVALID_HANDLE);
    nvs_close(h); /* unknown: ignored */
    /* deinit closes the partition's handles */
    h = open_rw("nvs2", "ns");
    assert_int_equal(nvs_flash_deinit_partition("nvs2"), ESP_OK);
    assert_int_equal(nvs_commit(h), ESP_ERR_NVS_INVALID_HANDLE);
    assert_int_equal(nvs_flash_erase_partition("nvs2"), ESP_OK);
}

/* A read-only partition is never written, not even by init. */
static void test_readonly_partition(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bin = nvs_fixture_file("idf_values.bin", &len);
    fixture_flash_write(s_path, NVS_FIX_RO, bin, 0x2000); /* its first two pages */
    assert_int_equal(nvs_flash_init_partition("nvs_ro"), ESP_OK);
    nvs_handle_t h;
    assert_int_equal(nvs_open_from_partition("nvs_ro", "storage", NVS_READWRITE, &h), ESP_ERR_NOT_ALLOWED);
    assert_int_equal(nvs_open_from_partition("nvs_ro", "storage", NVS_READONLY, &h), ESP_OK);
    uint8_t u8;
    assert_int_equal(nvs_get_u8(h, "u8", &u8), ESP_OK);
    assert_int_equal(u8, 250);
    nvs_close(h);
    assert_int_equal(nvs_flash_deinit_partition("nvs_ro"), ESP_OK);
    uint8_t now[0x2000];
    assert_int_equal(esp_partition_read(nvs_fixture_part("nvs_ro"), 0, now, sizeof(now)), ESP_OK);
    assert_memory_equal(now, bin, sizeof(now));
    free(bin);
}

/* Fills the 5-page partition: NOT_ENOUGH_SPACE, and nothing written before it is lost; erasing
 * makes room again (pages are reclaimed). */
static void test_full_partition(void **state)
{
    (void)state;
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
    nvs_handle_t h = open_rw("nvs2", "fill");
    char key[16];
    esp_err_t err = ESP_OK;
    int n = 0;
    for (; n < 1000 && err == ESP_OK; n++) {
        snprintf(key, sizeof(key), "k%d", n);
        err = nvs_set_u32(h, key, (uint32_t)n * 3u);
    }
    assert_int_equal(err, ESP_ERR_NVS_NOT_ENOUGH_SPACE);
    int stored = n - 1;
    /* 5 pages of 126 entries, one page kept free, one entry for the namespace */
    assert_int_equal(stored, 4 * 126 - 1);
    assert_int_equal(nvs_set_str(h, "more", "x"), ESP_ERR_NVS_NOT_ENOUGH_SPACE);
    for (int i = 0; i < stored; i++) {
        uint32_t v;
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(nvs_get_u32(h, key, &v), ESP_OK);
        assert_int_equal(v, (uint32_t)i * 3u);
    }
    /* an unchanged value writes nothing, so it still succeeds */
    assert_int_equal(nvs_set_u32(h, "k0", 0), ESP_OK);
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(nvs_erase_key(h, key), ESP_OK);
    }
    uint8_t blob[5000];
    memset(blob, 0x5A, sizeof(blob));
    assert_int_equal(nvs_set_blob(h, "blob", blob, sizeof(blob)), ESP_OK);
    check_blob(h, "blob", blob, sizeof(blob));
    nvs_close(h);
    assert_int_equal(nvs_flash_deinit_partition("nvs2"), ESP_OK);
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
    h = open_rw("nvs2", "fill");
    check_blob(h, "blob", blob, sizeof(blob));
    uint32_t v;
    assert_int_equal(nvs_get_u32(h, "k200", &v), ESP_OK);
    assert_int_equal(v, 600);
    nvs_close(h);
    assert_int_equal(nvs_flash_erase_partition("nvs2"), ESP_OK);
}

/* Thousands of updates on 5 pages: every one reclaims space from the erased copies. With
 * PORTLS_NVS_DUMP set, the partition is written there at the end (the nvs_tool test checks it). */
static void test_reclaim_on_updates(void **state)
{
    (void)state;
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
    nvs_handle_t h = open_rw("nvs2", "churn");
    uint8_t blob[3000];
    for (size_t i = 0; i < sizeof(blob); i++) {
        blob[i] = (uint8_t)i;
    }
    assert_int_equal(nvs_set_blob(h, "blob", blob, sizeof(blob)), ESP_OK);
    assert_int_equal(nvs_set_str(h, "str", s_long_str), ESP_OK);
    for (uint32_t i = 0; i < 3000; i++) {
        assert_int_equal(nvs_set_u32(h, "counter", i), ESP_OK);
        if (i % 500 == 0) {
            blob[i % sizeof(blob)] ^= 1;
            assert_int_equal(nvs_set_blob(h, "blob", blob, sizeof(blob)), ESP_OK);
        }
    }
    uint32_t v;
    assert_int_equal(nvs_get_u32(h, "counter", &v), ESP_OK);
    assert_int_equal(v, 2999);
    check_blob(h, "blob", blob, sizeof(blob));
    check_str(h, "str", s_long_str);
    nvs_close(h);
    assert_int_equal(nvs_flash_deinit_partition("nvs2"), ESP_OK);
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
    h = open_rw("nvs2", "churn");
    assert_int_equal(nvs_get_u32(h, "counter", &v), ESP_OK);
    assert_int_equal(v, 2999);
    check_blob(h, "blob", blob, sizeof(blob));
    nvs_close(h);
    uint8_t *bytes = malloc(NVS_FIX_SMALL_SIZE);
    dump_partition(nvs_fixture_part("nvs2"), bytes);
    free(bytes);
    assert_int_equal(nvs_flash_erase_partition("nvs2"), ESP_OK);
}

/* The examples' init: NO_FREE_PAGES and NEW_VERSION_FOUND, then erase and init again. */
static esp_err_t example_init(const char *label)
{
    esp_err_t ret = nvs_flash_init_partition(label);
    if (ret == ESP_ERR_NVS_NO_FREE_PAGES || ret == ESP_ERR_NVS_NEW_VERSION_FOUND) {
        assert_int_equal(nvs_flash_erase_partition(label), ESP_OK);
        ret = nvs_flash_init_partition(label);
    }
    return ret;
}

static void test_no_free_pages(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < 5; i++) {
        nvs_fixture_page_header(s_path, NVS_FIX_SMALL + i * 0x1000, 0xFFFFFFFC, i, 0xFE);
    }
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_ERR_NVS_NO_FREE_PAGES);
    assert_int_equal(example_init("nvs2"), ESP_OK);
    /* a one-page partition never has a free page besides the one in use, as in ESP-IDF */
    assert_int_equal(nvs_flash_init_partition("one"), ESP_ERR_NVS_NO_FREE_PAGES);
    assert_int_equal(nvs_flash_erase_partition("nvs2"), ESP_OK);
}

static void test_new_version_found(void **state)
{
    (void)state;
    nvs_fixture_page_header(s_path, NVS_FIX_SMALL + 0x2000, 0xFFFFFFFE, 3, 0xFD);
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_ERR_NVS_NEW_VERSION_FOUND);
    assert_int_equal(example_init("nvs2"), ESP_OK);
    nvs_handle_t h = open_rw("nvs2", "ns");
    assert_int_equal(nvs_set_u8(h, "k", 1), ESP_OK);
    nvs_close(h);
    assert_int_equal(nvs_flash_erase_partition("nvs2"), ESP_OK);
}

/* Pages that are not NVS (a bad CRC, stray bytes in an empty page) are taken as free and
 * erased before use. */
static void test_corrupt_pages_reused(void **state)
{
    (void)state;
    nvs_fixture_page_header(s_path, NVS_FIX_SMALL, 0xFFFFFFFE, 0, 0xFE);
    fixture_flash_write(s_path, NVS_FIX_SMALL + 30, "\x00", 1); /* the header's CRC */
    fixture_flash_write(s_path, NVS_FIX_SMALL + 0x1000 + 100, "junk", 4);
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
    nvs_handle_t h = open_rw("nvs2", "ns");
    char key[16];
    for (int i = 0; i < 400; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(nvs_set_i32(h, key, -i), ESP_OK);
    }
    for (int i = 0; i < 400; i++) {
        int32_t v;
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(nvs_get_i32(h, key, &v), ESP_OK);
        assert_int_equal(v, -i);
    }
    nvs_close(h);
    assert_int_equal(nvs_flash_erase_partition("nvs2"), ESP_OK);
}

/* Four threads, each with its own handle and keys, on one partition under churn (reclaims). */
static void *thread_body(void *arg)
{
    int id = (int)(intptr_t)arg;
    char ns[8], key[8];
    snprintf(ns, sizeof(ns), "t%d", id);
    nvs_handle_t h;
    if (nvs_open_from_partition("nvs2", ns, NVS_READWRITE, &h) != ESP_OK) {
        return (void *)1;
    }
    intptr_t bad = 0;
    for (int i = 0; i < 300 && !bad; i++) {
        snprintf(key, sizeof(key), "k%d", i % 7);
        int32_t v = 0;
        bad = nvs_set_i32(h, key, id * 1000 + i) != ESP_OK || nvs_get_i32(h, key, &v) != ESP_OK || v != id * 1000 + i;
    }
    nvs_close(h);
    return (void *)bad;
}

static void test_threads(void **state)
{
    (void)state;
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
    pthread_t t[4];
    for (intptr_t i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, thread_body, (void *)i), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *bad;
        assert_int_equal(pthread_join(t[i], &bad), 0);
        assert_null(bad);
    }
    assert_int_equal(nvs_flash_erase_partition("nvs2"), ESP_OK);
}

/* A failed flash write: the call says so, later writes are refused until the next init, reads
 * go on, and the value set before is there after it. */
static void test_failed_write(void **state)
{
    (void)state;
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
    nvs_handle_t h = open_rw("nvs2", "f");
    assert_int_equal(nvs_set_u32(h, "k", 1), ESP_OK);
    esp_partition_fail_after(0, ESP_PARTITION_FAIL_AFTER_MODE_BOTH);
    assert_int_equal(nvs_set_u32(h, "k", 2), ESP_ERR_FLASH_OP_FAIL);
    esp_partition_fail_after(SIZE_MAX, ESP_PARTITION_FAIL_AFTER_MODE_BOTH);
    assert_int_equal(nvs_set_u32(h, "k", 3), ESP_ERR_NVS_INVALID_STATE);
    assert_int_equal(nvs_erase_key(h, "k"), ESP_ERR_NVS_INVALID_STATE);
    uint32_t v;
    assert_int_equal(nvs_get_u32(h, "k", &v), ESP_OK);
    assert_int_equal(v, 1);
    assert_int_equal(nvs_flash_deinit_partition("nvs2"), ESP_OK);
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
    h = open_rw("nvs2", "f");
    assert_int_equal(nvs_get_u32(h, "k", &v), ESP_OK);
    assert_int_equal(v, 1);
    assert_int_equal(nvs_set_u32(h, "k", 3), ESP_OK);
    nvs_close(h);
    assert_int_equal(nvs_flash_erase_partition("nvs2"), ESP_OK);
}

static void test_stats(void **state)
{
    (void)state;
    nvs_stats_t st;
    assert_int_equal(nvs_get_stats("nvs2", NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(nvs_get_stats("nvs2", &st), ESP_ERR_NVS_NOT_INITIALIZED);
    assert_int_equal(st.total_entries, 0);
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
    assert_int_equal(nvs_get_stats("nvs2", &st), ESP_OK);
    assert_int_equal(st.total_entries, 5 * 126);
    assert_int_equal(st.used_entries, 0);
    assert_int_equal(st.free_entries, 5 * 126);
    assert_int_equal(st.available_entries, 4 * 126);
    assert_int_equal(st.namespace_count, 0);
    nvs_handle_t h = open_rw("nvs2", "one");
    nvs_handle_t h2 = open_rw("nvs2", "two");
    assert_int_equal(nvs_set_u8(h, "a", 1), ESP_OK);
    assert_int_equal(nvs_set_str(h, "s", "0123456789012345678901234567890123456789"), ESP_OK); /* 41 bytes: 3 entries */
    assert_int_equal(nvs_set_u8(h2, "b", 1), ESP_OK);
    assert_int_equal(nvs_set_u8(h, "a", 2), ESP_OK); /* the old entry is erased, not used */
    assert_int_equal(nvs_get_stats("nvs2", &st), ESP_OK);
    assert_int_equal(st.used_entries, 2 + 1 + 3 + 1);
    assert_int_equal(st.free_entries, 5 * 126 - 7);
    assert_int_equal(st.namespace_count, 2);
    size_t used;
    assert_int_equal(nvs_get_used_entry_count(h, &used), ESP_OK);
    assert_int_equal(used, 4);
    assert_int_equal(nvs_get_used_entry_count(h, NULL), ESP_ERR_INVALID_ARG);
    nvs_close(h);
    nvs_close(h2);
    assert_int_equal(nvs_get_used_entry_count(h, &used), ESP_ERR_NVS_INVALID_HANDLE);
    assert_int_equal(nvs_flash_erase_partition("nvs2"), ESP_OK);
}

/* Lists an iterator's keys as "ns:key:type," (the iterator is released at the end). */
static void list_keys(nvs_iterator_t it, char *out, size_t size)
{
    out[0] = '\0';
    esp_err_t err = ESP_OK;
    while (err == ESP_OK) {
        nvs_entry_info_t info;
        assert_int_equal(nvs_entry_info(it, &info), ESP_OK);
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s:%s:%x,", info.namespace_name, info.key, (unsigned)info.type);
        err = nvs_entry_next(&it);
    }
    assert_int_equal(err, ESP_ERR_NVS_NOT_FOUND);
    assert_null(it);
}

static void test_iterators(void **state)
{
    (void)state;
    nvs_iterator_t it = (nvs_iterator_t)&it;
    assert_int_equal(nvs_entry_find("nvs2", NULL, NVS_TYPE_ANY, &it), ESP_ERR_NVS_NOT_FOUND);
    assert_null(it);
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
    assert_int_equal(nvs_entry_find("nvs2", NULL, NVS_TYPE_ANY, &it), ESP_ERR_NVS_NOT_FOUND);
    nvs_handle_t h = open_rw("nvs2", "one");
    nvs_handle_t h2 = open_rw("nvs2", "two");
    uint8_t big[5000] = { 0 };
    assert_int_equal(nvs_set_u8(h, "a", 1), ESP_OK);
    assert_int_equal(nvs_set_blob(h, "blob", big, sizeof(big)), ESP_OK);
    assert_int_equal(nvs_set_str(h2, "s", "x"), ESP_OK);
    assert_int_equal(nvs_set_u8(h, "a", 2), ESP_OK);
    char keys[256];
    assert_int_equal(nvs_entry_find("nvs2", NULL, NVS_TYPE_ANY, &it), ESP_OK);
    list_keys(it, keys, sizeof(keys));
    assert_string_equal(keys, "one:blob:42,two:s:21,one:a:1,");
    assert_int_equal(nvs_entry_find("nvs2", "one", NVS_TYPE_ANY, &it), ESP_OK);
    list_keys(it, keys, sizeof(keys));
    assert_string_equal(keys, "one:blob:42,one:a:1,");
    assert_int_equal(nvs_entry_find("nvs2", NULL, NVS_TYPE_STR, &it), ESP_OK);
    list_keys(it, keys, sizeof(keys));
    assert_string_equal(keys, "two:s:21,");
    assert_int_equal(nvs_entry_find_in_handle(h2, NVS_TYPE_ANY, &it), ESP_OK);
    list_keys(it, keys, sizeof(keys));
    assert_string_equal(keys, "two:s:21,");
    assert_int_equal(nvs_entry_find("nvs2", "none", NVS_TYPE_ANY, &it), ESP_ERR_NVS_NOT_FOUND);
    assert_int_equal(nvs_entry_find("nvs2", "one", NVS_TYPE_I32, &it), ESP_ERR_NVS_NOT_FOUND);
    assert_int_equal(nvs_entry_find(NULL, NULL, NVS_TYPE_ANY, &it), ESP_ERR_INVALID_ARG);
    assert_int_equal(nvs_entry_find_in_handle(h, NVS_TYPE_ANY, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(nvs_entry_next(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(nvs_entry_info(NULL, NULL), ESP_ERR_INVALID_ARG);
    /* released before the end */
    assert_int_equal(nvs_entry_find("nvs2", NULL, NVS_TYPE_ANY, &it), ESP_OK);
    nvs_release_iterator(it);
    nvs_release_iterator(NULL);
    nvs_close(h);
    assert_int_equal(nvs_entry_find_in_handle(h, NVS_TYPE_ANY, &it), ESP_ERR_NVS_INVALID_HANDLE);
    nvs_close(h2);
    assert_int_equal(nvs_flash_erase_partition("nvs2"), ESP_OK);
}

/* A U8 item of namespace ns with key and value, as 32 bytes with their CRC. */
static void raw_u8_item(uint8_t ns, const char *key, uint8_t value, uint8_t out[32])
{
    memset(out, 0, 32);
    out[0] = ns;
    out[1] = NVS_TYPE_U8;
    out[2] = 1;
    out[3] = 0xFF;
    strcpy((char *)out + 8, key);
    memset(out + 24, 0xFF, 8);
    out[24] = value;
    uint32_t crc = esp_rom_crc32_le(esp_rom_crc32_le(UINT32_MAX, out, 4), out + 8, 24);
    memcpy(out + 4, &crc, 4); /* little-endian host */
}

/* A key of a namespace that has no entry, and a namespace entry with an empty name: neither
 * can be opened, so iterators do not list them (found by fuzz_nvs_pages), and a new namespace
 * does not take the orphan key's index. */
static void test_iterators_skip_unnamed(void **state)
{
    (void)state;
    uint8_t item[32];
    nvs_fixture_page_header(s_path, NVS_FIX_SMALL, 0xFFFFFFFE, 0, 0xFE);
    fixture_flash_write(s_path, NVS_FIX_SMALL + 32, "\xFA\xFF\xFF\xFF", 4); /* entries 0 and 1 WRITTEN */
    raw_u8_item(1, "orphan", 7, item);
    fixture_flash_write(s_path, NVS_FIX_SMALL + 64, item, sizeof(item));
    raw_u8_item(0, "", 6, item);
    fixture_flash_write(s_path, NVS_FIX_SMALL + 96, item, sizeof(item));
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
    nvs_stats_t st;
    assert_int_equal(nvs_get_stats("nvs2", &st), ESP_OK);
    assert_int_equal(st.used_entries, 2); /* both are there */
    nvs_iterator_t it;
    assert_int_equal(nvs_entry_find("nvs2", NULL, NVS_TYPE_ANY, &it), ESP_ERR_NVS_NOT_FOUND);
    nvs_handle_t h = open_rw("nvs2", "named");
    uint8_t v;
    assert_int_equal(nvs_get_u8(h, "orphan", &v), ESP_ERR_NVS_NOT_FOUND);
    assert_int_equal(nvs_set_u8(h, "k", 1), ESP_OK);
    nvs_close(h);
    assert_int_equal(nvs_entry_find("nvs2", NULL, NVS_TYPE_ANY, &it), ESP_OK);
    char keys[64];
    list_keys(it, keys, sizeof(keys));
    assert_string_equal(keys, "named:k:1,");
    assert_int_equal(nvs_flash_erase_partition("nvs2"), ESP_OK);
}

/* Namespace indices run from 1 to 254. */
static void test_namespace_limit(void **state)
{
    (void)state;
    assert_int_equal(nvs_flash_erase(), ESP_OK);
    assert_int_equal(nvs_flash_init(), ESP_OK);
    char name[16];
    nvs_handle_t h;
    for (int i = 0; i < 254; i++) {
        snprintf(name, sizeof(name), "ns%d", i);
        assert_int_equal(nvs_open(name, NVS_READWRITE, &h), ESP_OK);
        nvs_close(h);
    }
    assert_int_equal(nvs_open("one_too_many", NVS_READWRITE, &h), ESP_ERR_NVS_NOT_ENOUGH_SPACE);
    assert_int_equal(nvs_open("ns253", NVS_READONLY, &h), ESP_OK);
    nvs_close(h);
    nvs_stats_t st;
    assert_int_equal(nvs_get_stats(NULL, &st), ESP_OK);
    assert_int_equal(st.namespace_count, 254);
    assert_int_equal(nvs_flash_erase(), ESP_OK);
}

/* esp_err_to_name() knows nvs.h's codes, with ESP-IDF's values. */
static void test_error_names(void **state)
{
    (void)state;
    assert_int_equal(ESP_ERR_NVS_NO_FREE_PAGES, 0x110d);
    assert_int_equal(ESP_ERR_NVS_NEW_VERSION_FOUND, 0x1110);
    assert_string_equal(esp_err_to_name(ESP_ERR_NVS_NOT_ENOUGH_SPACE), "ESP_ERR_NVS_NOT_ENOUGH_SPACE");
    assert_string_equal(esp_err_to_name(ESP_ERR_NVS_WRONG_ENCRYPTION), "ESP_ERR_NVS_WRONG_ENCRYPTION");
}

static uint32_t state_word0(const char *label)
{
    uint8_t w[4];
    assert_int_equal(esp_partition_read(nvs_fixture_part(label), 32, w, sizeof(w)), ESP_OK);
    return (uint32_t)w[0] | (uint32_t)w[1] << 8 | (uint32_t)w[2] << 16 | (uint32_t)w[3] << 24;
}

/* What a cut leaves, made by hand: an old copy of a key still WRITTEN next to the new one, and an
 * entry with bytes whose state never became WRITTEN. Init reads the newer copy, and erases the
 * old one and the stray entry on flash, so ESP-IDF's reader sees one value. */
static void test_repairs_on_init(void **state)
{
    (void)state;
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
    nvs_handle_t h = open_rw("nvs2", "t");
    assert_int_equal(nvs_set_u32(h, "k", 1), ESP_OK); /* entry 1 */
    assert_int_equal(nvs_set_u32(h, "k", 2), ESP_OK); /* entry 2; entry 1 ERASED */
    nvs_close(h);
    assert_int_equal(nvs_flash_deinit_partition("nvs2"), ESP_OK);
    assert_int_equal(state_word0("nvs2"), 0xFFFFFFE2); /* 2 bits per entry: WRITTEN 10, ERASED 00, EMPTY 11 */
    fixture_flash_write(s_path, NVS_FIX_SMALL + 32, "\xEA\xFF\xFF\xFF", 4); /* entry 1 WRITTEN again */
    fixture_flash_write(s_path, NVS_FIX_SMALL + 64 + 3 * 32, "junk", 4);  /* entry 3: bytes, state EMPTY */
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
    assert_int_equal(state_word0("nvs2"), 0xFFFFFF22); /* entries 1 and 3 ERASED */
    h = open_rw("nvs2", "t");
    uint32_t v;
    assert_int_equal(nvs_get_u32(h, "k", &v), ESP_OK);
    assert_int_equal(v, 2);
    assert_int_equal(nvs_set_u32(h, "k2", 5), ESP_OK); /* entry 4 */
    assert_int_equal(nvs_get_u32(h, "k2", &v), ESP_OK);
    assert_int_equal(v, 5);
    nvs_close(h);
    assert_int_equal(state_word0("nvs2"), 0xFFFFFE22);
    assert_int_equal(nvs_flash_erase_partition("nvs2"), ESP_OK);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]); /* one test by name (the nvs_tool test runs one) */
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_reads_idf_generator_output),
        cmocka_unit_test(test_writes_the_checked_bytes),
        cmocka_unit_test(test_reads_version_1),
        cmocka_unit_test(test_every_type),
        cmocka_unit_test(test_strings_and_blobs),
        cmocka_unit_test(test_readonly_partition),
        cmocka_unit_test(test_full_partition),
        cmocka_unit_test(test_reclaim_on_updates),
        cmocka_unit_test(test_no_free_pages),
        cmocka_unit_test(test_new_version_found),
        cmocka_unit_test(test_corrupt_pages_reused),
        cmocka_unit_test(test_repairs_on_init),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_error_names),
        cmocka_unit_test(test_failed_write),
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_iterators),
        cmocka_unit_test(test_iterators_skip_unnamed),
        cmocka_unit_test(test_namespace_limit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
