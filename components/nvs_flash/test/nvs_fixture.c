#include "nvs_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_rom_crc.h"
#include "flash_fixture.h"
#include "tls_test.h"

char *nvs_fixture_start(void)
{
    static const fixture_part_t parts[] = {
        { "nvs", PART_TYPE_DATA, 0x02, NVS_FIX_MAIN, NVS_FIX_MAIN_SIZE, 0 },
        { "nvs2", PART_TYPE_DATA, 0x02, NVS_FIX_SMALL, NVS_FIX_SMALL_SIZE, 0 },
        { "nvs_ro", PART_TYPE_DATA, 0x02, NVS_FIX_RO, 0x2000, PART_FLAG_READONLY },
        { "one", PART_TYPE_DATA, 0x02, NVS_FIX_ONE, 0x1000, 0 },
        { "factory", PART_TYPE_APP, PART_SUBTYPE_FACTORY, 0x20000, 0x10000, 0 },
    };
    char *path = fixture_flash_create(0x30000, parts, sizeof(parts) / sizeof(parts[0]));
    fixture_flash_image(path, 0x20000, "1.0");
    fixture_power_on(path);
    return path;
}

void nvs_fixture_end(char *path)
{
    fixture_remove(path);
}

uint8_t *nvs_fixture_file(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", NVS_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    assert_true(size > 0);
    rewind(f);
    uint8_t *data = malloc((size_t)size);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *len = (size_t)size;
    return data;
}

const esp_partition_t *nvs_fixture_part(const char *label)
{
    const esp_partition_t *p = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_DATA_NVS, label);
    assert_non_null(p);
    return p;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

void nvs_fixture_page_header(const char *path, uint32_t offset, uint32_t state, uint32_t seq, uint8_t version)
{
    uint8_t h[32];
    memset(h, 0xFF, sizeof(h));
    put32(h, state);
    put32(h + 4, seq);
    h[8] = version;
    put32(h + 28, esp_rom_crc32_le(UINT32_MAX, h + 4, 24));
    fixture_flash_write(path, offset, h, sizeof(h));
}
