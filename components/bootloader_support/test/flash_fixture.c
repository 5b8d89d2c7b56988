#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bootloader_common.h"
#include "esp_image_format.h"
#include "esp_log.h"
#include "esp_private/partition_linux.h"
#include "flash_fixture.h"
#include "portls_format.h"
#include "tls_test.h"

const fixture_part_t fixture_standard[] = {
    { "nvs", PART_TYPE_DATA, 0x02, 0x9000, 0x4000, 0 },
    { "otadata", PART_TYPE_DATA, PART_SUBTYPE_DATA_OTA, FIXTURE_OTADATA, 0x2000, 0 },
    { "phy_init", PART_TYPE_DATA, PART_SUBTYPE_DATA_RF, 0xf000, 0x1000, 0 },
    { "factory", PART_TYPE_APP, PART_SUBTYPE_FACTORY, FIXTURE_FACTORY, FIXTURE_SLOT_SIZE, 0 },
    { "ota_0", PART_TYPE_APP, 0x10, FIXTURE_OTA_0, FIXTURE_SLOT_SIZE, 0 },
    { "ota_1", PART_TYPE_APP, 0x11, FIXTURE_OTA_1, FIXTURE_SLOT_SIZE, 0 },
};
const size_t fixture_standard_count = sizeof(fixture_standard) / sizeof(fixture_standard[0]);

char *fixture_flash_create(size_t size, const fixture_part_t *parts, size_t count)
{
    char *path = strdup("/tmp/portls-flash-XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    uint8_t *ff = malloc(size);
    assert_non_null(ff);
    memset(ff, 0xFF, size);
    assert_int_equal(write(fd, ff, size), (ssize_t)size);
    free(ff);
    close(fd);
    esp_partition_info_t entries[16];
    assert_true(count <= 16);
    for (size_t i = 0; i < count; i++) {
        entries[i] = (esp_partition_info_t) { .magic = ESP_PARTITION_MAGIC, .type = parts[i].type,
                                              .subtype = parts[i].subtype, .pos = { parts[i].offset, parts[i].size },
                                              .flags = parts[i].flags };
        memset(entries[i].label, 0, sizeof(entries[i].label));
        strncpy((char *)entries[i].label, parts[i].label, sizeof(entries[i].label));
    }
    uint8_t table[ESP_PARTITION_TABLE_MAX_LEN];
    assert_int_equal(portls_partition_table_build(entries, count, true, table), ESP_OK);
    fixture_flash_write(path, ESP_PARTITION_TABLE_OFFSET, table, sizeof(table));
    return path;
}

void fixture_flash_write(const char *path, uint32_t offset, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, data, len, offset), (ssize_t)len);
    close(fd);
}

uint8_t *fixture_image(const char *version, size_t payload_len, size_t *len)
{
    uint8_t *payload = malloc(payload_len + 1);
    assert_non_null(payload);
    for (size_t i = 0; i < payload_len; i++) {
        payload[i] = (uint8_t)(i * 7 + 1);
    }
    const portls_image_config_t cfg = { .version = version, .project_name = "fixture", .min_rev_full = -1,
                                        .max_rev_full = -1, .build_time = 1700000000 };
    uint8_t *image;
    assert_int_equal(portls_image_build(&cfg, payload, payload_len, &image, len), ESP_OK);
    free(payload);
    return image;
}

void fixture_flash_image(const char *path, uint32_t offset, const char *version)
{
    size_t len;
    uint8_t *image = fixture_image(version, 1000, &len);
    fixture_flash_write(path, offset, image, len);
    free(image);
}

void fixture_read_otadata(const char *path, esp_ota_select_entry_t two[2])
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &two[0], sizeof(two[0]), FIXTURE_OTADATA), (ssize_t)sizeof(two[0]));
    assert_int_equal(pread(fd, &two[1], sizeof(two[1]), FIXTURE_OTADATA + 0x1000), (ssize_t)sizeof(two[1]));
    close(fd);
}

esp_ota_select_entry_t fixture_entry(uint32_t seq, uint32_t state)
{
    esp_ota_select_entry_t e;
    memset(&e, 0xFF, sizeof(e));
    e.ota_seq = seq;
    e.ota_state = state;
    e.crc = bootloader_common_ota_select_crc(&e);
    return e;
}

void fixture_power_on(const char *path)
{
    esp_partition_file_munmap();
    esp_partition_file_mmap_ctrl_t *in = esp_partition_get_file_mmap_ctrl_input();
    snprintf(in->flash_file_name, sizeof(in->flash_file_name), "%s", path);
    assert_int_equal(esp_partition_file_mmap(NULL), ESP_OK);
}

void fixture_remove(char *path)
{
    if (strcmp(esp_partition_get_file_mmap_ctrl_act()->flash_file_name, path) == 0) {
        esp_partition_file_munmap();
    }
    unlink(path);
    free(path);
}

char *fixture_path;

int fixture_setup(void **state)
{
    (void)state;
    fixture_path = fixture_flash_create(FIXTURE_FLASH_SIZE, fixture_standard, fixture_standard_count);
    fixture_flash_image(fixture_path, FIXTURE_FACTORY, "1.0");
    fixture_power_on(fixture_path);
    return 0;
}

int fixture_teardown(void **state)
{
    (void)state;
    fixture_remove(fixture_path);
    fixture_path = NULL;
    return 0;
}

static int s_saved_stderr = -1;
static char s_capture_path[] = "/tmp/portls-stderr-XXXXXX";

void fixture_capture_start(int level)
{
    fflush(stderr);
    strcpy(s_capture_path, "/tmp/portls-stderr-XXXXXX");
    int fd = mkstemp(s_capture_path);
    assert_true(fd >= 0);
    s_saved_stderr = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
    esp_log_level_set("*", (esp_log_level_t)level);
}

char *fixture_capture_end(void)
{
    fflush(stderr);
    esp_log_level_set("*", ESP_LOG_NONE);
    dup2(s_saved_stderr, STDERR_FILENO);
    close(s_saved_stderr);
    FILE *f = fopen(s_capture_path, "r");
    assert_non_null(f);
    char *text = calloc(1, 65536);
    assert_non_null(text);
    size_t n = fread(text, 1, 65535, f);
    text[n] = '\0';
    fclose(f);
    unlink(s_capture_path);
    return text;
}

void fixture_capture_expect(const char *text)
{
    char *log = fixture_capture_end();
    if (strstr(log, text) == NULL) {
        fail_msg("no \"%s\" in the log:\n%s", text, log);
    }
    free(log);
}

bool fixture_verifies(uint32_t offset, uint32_t size)
{
    esp_partition_pos_t pos = { offset, size };
    esp_image_metadata_t md;
    return esp_image_verify(ESP_IMAGE_VERIFY_SILENT, &pos, &md) == ESP_OK;
}
