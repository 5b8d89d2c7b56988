#include <stdio.h>
#include <string.h>

#include "image_json.h"

static void add_hex(cJSON *obj, const char *name, const uint8_t *bytes, size_t len)
{
    char text[2 * 32 + 1];
    for (size_t i = 0; i < len && i < 32; i++) {
        snprintf(text + 2 * i, 3, "%02x", bytes[i]);
    }
    text[2 * (len < 32 ? len : 32)] = '\0';
    cJSON_AddStringToObject(obj, name, text);
}

static void add_header(cJSON *obj, const esp_image_header_t *h)
{
    cJSON *j = cJSON_AddObjectToObject(obj, "header");
    cJSON_AddNumberToObject(j, "entry_addr", h->entry_addr);
    cJSON_AddNumberToObject(j, "segment_count", h->segment_count);
    cJSON_AddNumberToObject(j, "flash_size", esp_image_get_flash_size((esp_image_flash_size_t)h->spi_size));
    cJSON_AddNumberToObject(j, "flash_mode", h->spi_mode);
    cJSON_AddNumberToObject(j, "flash_freq", h->spi_speed);
    cJSON_AddNumberToObject(j, "chip_id", h->chip_id);
    cJSON_AddNumberToObject(j, "min_chip_rev_full", h->min_chip_rev_full);
    cJSON_AddNumberToObject(j, "max_chip_rev_full", h->max_chip_rev_full);
    cJSON_AddBoolToObject(j, "hash_appended", h->hash_appended);
}

static void add_segments(cJSON *obj, const portls_image_report_t *r, const portls_chip_t *chip)
{
    cJSON *list = cJSON_AddArrayToObject(obj, "segments");
    int count = r->meta.image.segment_count < ESP_IMAGE_MAX_SEGMENTS ? r->meta.image.segment_count
                                                                     : ESP_IMAGE_MAX_SEGMENTS;
    for (int i = 0; i < count && r->meta.segment_data[i] != 0; i++) {
        const esp_image_segment_header_t *s = &r->meta.segments[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "length", s->data_len);
        cJSON_AddNumberToObject(j, "load_addr", s->load_addr);
        cJSON_AddNumberToObject(j, "file_offset", r->meta.segment_data[i] - 8);
        cJSON_AddStringToObject(j, "memory", image_memory_type(chip, s->load_addr));
        cJSON_AddItemToArray(list, j);
    }
}

static void add_footer(cJSON *obj, const portls_image_report_t *r)
{
    if (r->checksum_read) {
        cJSON *j = cJSON_AddObjectToObject(obj, "checksum");
        cJSON_AddNumberToObject(j, "stored", r->checksum_stored);
        cJSON_AddNumberToObject(j, "calculated", r->checksum_calc);
        cJSON_AddBoolToObject(j, "valid", r->checksum_calc == r->checksum_stored);
    }
    if (r->digest_read) {
        cJSON *j = cJSON_AddObjectToObject(obj, "sha256");
        add_hex(j, "calculated", r->digest_calc, 32);
        add_hex(j, "stored", r->meta.image_digest, 32);
        cJSON_AddBoolToObject(j, "valid", memcmp(r->digest_calc, r->meta.image_digest, 32) == 0);
    }
}

static void add_app(cJSON *obj, const esp_app_desc_t *d)
{
    char text[40];
    cJSON *j = cJSON_AddObjectToObject(obj, "app");
    snprintf(text, sizeof(text), "%.32s", d->project_name);
    cJSON_AddStringToObject(j, "project_name", text);
    snprintf(text, sizeof(text), "%.32s", d->version);
    cJSON_AddStringToObject(j, "version", text);
    snprintf(text, sizeof(text), "%.16s", d->date);
    cJSON_AddStringToObject(j, "date", text);
    snprintf(text, sizeof(text), "%.16s", d->time);
    cJSON_AddStringToObject(j, "time", text);
    snprintf(text, sizeof(text), "%.32s", d->idf_ver);
    cJSON_AddStringToObject(j, "idf_ver", text);
    cJSON_AddNumberToObject(j, "secure_version", d->secure_version);
    add_hex(j, "elf_sha256", d->app_elf_sha256, 32);
}

cJSON *image_json(size_t file_size, const portls_image_report_t *r, const portls_chip_t *chip, unsigned rev)
{
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddNumberToObject(obj, "file_size", (double)file_size);
    add_header(obj, &r->meta.image);
    add_segments(obj, r, chip);
    add_footer(obj, r);
    if (r->has_app_desc) {
        add_app(obj, &r->app_desc);
    }
    cJSON *v = cJSON_AddObjectToObject(obj, "verify");
    cJSON_AddStringToObject(v, "chip", chip->name);
    cJSON_AddNumberToObject(v, "chip_rev_full", rev);
    cJSON_AddBoolToObject(v, "valid", r->result == ESP_OK);
    cJSON_AddStringToObject(v, "reason", r->reason);
    return obj;
}
