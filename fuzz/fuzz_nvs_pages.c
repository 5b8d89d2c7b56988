/* libFuzzer target for the NVS page parser: the input as a 4-page nvs partition. Each page goes
 * through the parser (header, every entry), then the partition through nvs_flash_init's load and
 * repairs; if it loads, every key it lists is read, and a value set must read back, and read back
 * after another init. */
#include <stdlib.h>
#include <string.h>

#include "esp_partition.h"
#include "fuzz_flash.h"
#include "nvs_flash.h"
#include "nvs_format.h"

#define FLASH_SIZE 0x40000
#define NVS_OFFSET 0x30000
#define NVS_SIZE 0x4000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const esp_partition_t *s_part;

static void parse_pages(const uint8_t *data, size_t size)
{
    for (size_t off = 0; off + NVS_PAGE_SIZE <= size; off += NVS_PAGE_SIZE) {
        nvs_page_header_t h;
        nvs_page_header_parse(data + off, NVS_PAGE_SIZE, &h);
        for (size_t i = 0; i < NVS_ENTRY_COUNT; i++) {
            nvs_item_t item;
            if (nvs_item_at(data + off, NVS_PAGE_SIZE, i, &item)
                && (item.span == 0 || i + item.span > NVS_ENTRY_COUNT || item.key[15] != '\0')) {
                abort();
            }
        }
    }
    nvs_page_header_t h;
    if (nvs_page_header_parse(data, size % NVS_PAGE_SIZE, &h) != ESP_ERR_INVALID_SIZE) {
        abort(); /* a short page is refused */
    }
}

/* Reads every key the loaded partition lists, whatever its type. */
static void read_value(const nvs_entry_info_t *info)
{
    nvs_handle_t h;
    if (nvs_open(info->namespace_name, NVS_READONLY, &h) != ESP_OK) {
        abort(); /* the namespace was listed */
    }
    uint64_t v;
    size_t len = 0;
    if (info->type == NVS_TYPE_STR || info->type == NVS_TYPE_BLOB) {
        esp_err_t err = info->type == NVS_TYPE_STR ? nvs_get_str(h, info->key, NULL, &len)
                                                   : nvs_get_blob(h, info->key, NULL, &len);
        uint8_t *buf = err == ESP_OK ? malloc(len + 1) : NULL;
        if (buf != NULL && info->type == NVS_TYPE_STR) {
            nvs_get_str(h, info->key, (char *)buf, &len);
        } else if (buf != NULL) {
            nvs_get_blob(h, info->key, buf, &len);
        }
        free(buf);
    } else if (nvs_get_u64(h, info->key, &v) == ESP_OK && info->type != NVS_TYPE_U64) {
        abort(); /* a get of another type */
    }
    nvs_close(h);
}

static void read_all(void)
{
    nvs_stats_t stats;
    if (nvs_get_stats(NULL, &stats) != ESP_OK || stats.used_entries + stats.free_entries != stats.total_entries) {
        abort();
    }
    nvs_iterator_t it = NULL;
    esp_err_t err = nvs_entry_find("nvs", NULL, NVS_TYPE_ANY, &it);
    while (err == ESP_OK) {
        nvs_entry_info_t info;
        nvs_entry_info(it, &info);
        read_value(&info);
        err = nvs_entry_next(&it);
    }
}

static void expect_value(uint32_t want)
{
    nvs_handle_t h;
    uint32_t got = 0;
    if (nvs_open("fuzz", NVS_READONLY, &h) != ESP_OK || nvs_get_u32(h, "k", &got) != ESP_OK || got != want) {
        abort();
    }
    nvs_close(h);
}

static void use_partition(uint32_t value)
{
    nvs_handle_t h;
    if (nvs_open("fuzz", NVS_READWRITE, &h) != ESP_OK) {
        return; /* a full partition may refuse even the namespace */
    }
    esp_err_t err = nvs_set_u32(h, "k", value);
    nvs_close(h);
    if (err != ESP_OK) {
        return;
    }
    expect_value(value);
    if (nvs_flash_deinit() != ESP_OK || nvs_flash_init() != ESP_OK) {
        abort();
    }
    expect_value(value);
}

static void start(void)
{
    fuzz_flash_start(FLASH_SIZE, 0x10000);
    if (esp_partition_register_external(NULL, NVS_OFFSET, NVS_SIZE, "nvs", ESP_PARTITION_TYPE_DATA,
                                        ESP_PARTITION_SUBTYPE_DATA_NVS, &s_part) != ESP_OK) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (s_part == NULL) {
        start();
    }
    if (size > NVS_SIZE) {
        return 0;
    }
    parse_pages(data, size);
    if (esp_partition_erase_range(s_part, 0, NVS_SIZE) != ESP_OK || esp_partition_write(s_part, 0, data, size) != ESP_OK) {
        abort();
    }
    esp_err_t err = nvs_flash_init();
    if (err == ESP_OK) {
        read_all();
        use_partition((uint32_t)size);
    } else if (err != ESP_ERR_NVS_NO_FREE_PAGES && err != ESP_ERR_NVS_NEW_VERSION_FOUND) {
        abort();
    }
    nvs_flash_deinit();
    return 0;
}
