/* portls flash's work on a flash image file, through bootloader_support (no simulated boot). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bootloader_common.h"
#include "bootloader_flash_priv.h"
#include "cert_file.h"
#include "cli.h"
#include "report.h"
#include "esp_private/partition_linux.h"
#include "flash_tool.h"
#include "partition_csv.h"
#include "portls_boot.h"
#include "portls_format.h"
#include "sdkconfig.h"

#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
#define ROLLBACK true
#else
#define ROLLBACK false
#endif

typedef struct {
    const char *path;
    const esp_partition_info_t *entries; /* the mapped table */
    int count;
    bootloader_state_t bs;
} flash_t;

__attribute__((format(printf, 1, 2))) static int say(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "portls flash: ");
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    return 1;
}

/* Maps path and reads its table as the bootloader does. */
static int open_flash(const char *path, flash_t *f)
{
    memset(f, 0, sizeof(*f));
    f->path = path;
    esp_partition_file_mmap_ctrl_t *in = esp_partition_get_file_mmap_ctrl_input();
    snprintf(in->flash_file_name, sizeof(in->flash_file_name), "%s", path);
    esp_err_t err = esp_partition_file_mmap(NULL);
    if (err != ESP_OK) {
        return say("%s: not a usable flash image file (%s)", path, esp_err_to_name(err));
    }
    f->entries = bootloader_mmap(ESP_PARTITION_TABLE_OFFSET, ESP_PARTITION_TABLE_MAX_LEN);
    err = esp_partition_table_verify(f->entries, false, &f->count);
    if (err != ESP_OK || !bootloader_utility_load_partition_table(&f->bs)) {
        return say("%s: the partition table is not valid (%s)", path, esp_err_to_name(err));
    }
    return 0;
}

static const esp_partition_info_t *find_label(const flash_t *f, const char *label)
{
    for (int i = 0; i < f->count; i++) {
        if (strncmp((const char *)f->entries[i].label, label, sizeof(f->entries[i].label)) == 0 && strlen(label) <= 16) {
            return &f->entries[i];
        }
    }
    return NULL;
}

static const char *label_of(const esp_partition_info_t *e, char out[17])
{
    memcpy(out, e->label, 16);
    out[16] = '\0';
    return out;
}

unsigned long long flash_parse_size(const char *text)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    unsigned long long unit = 1;
    if (strcasecmp(end, "K") == 0 || strcasecmp(end, "KB") == 0) {
        unit = 1024;
    } else if (strcasecmp(end, "M") == 0 || strcasecmp(end, "MB") == 0) {
        unit = 1024 * 1024;
    } else if (*end != '\0') {
        return 0;
    }
    return errno == 0 && end != text && v <= UINT32_MAX / unit ? v * unit : 0;
}

static int write_new_flash(const char *output, unsigned long long size, const uint8_t *table)
{
    FILE *out = fopen(output, "wb");
    uint8_t ff[4096];
    memset(ff, 0xFF, sizeof(ff));
    for (unsigned long long done = 0; out != NULL && done < size; done += sizeof(ff)) {
        const uint8_t *sector = done == ESP_PARTITION_TABLE_OFFSET ? table : ff;
        if (fwrite(sector, 1, sizeof(ff), out) != sizeof(ff)) {
            break;
        }
    }
    if (out == NULL || fclose(out) != 0) {
        return say("%s: %s", output, strerror(errno));
    }
    return 0;
}

int flash_create(const char *csv_path, const char *size_text, const char *output)
{
    unsigned long long size = flash_parse_size(size_text);
    if (size == 0 || size % ESP_PARTITION_EMULATED_SECTOR_SIZE != 0 || size < ESP_PARTITION_TABLE_OFFSET + ESP_PARTITION_TABLE_SIZE) {
        return say("--size %s: whole 4 KiB sectors, holding the partition table at 0x8000, are needed", size_text);
    }
    cert_file_t csv;
    if (cert_file_load_raw(csv_path, &csv) != 0) {
        return say("%s: %s", csv_path, strerror(errno));
    }
    partition_csv_options_t opt = { .table_offset = ESP_PARTITION_TABLE_OFFSET,
                                    .bootloader_offset = CONFIG_BOOTLOADER_OFFSET_IN_FLASH, .flash_size = size,
                                    .warnings = stderr };
#ifdef CONFIG_PARTITION_TABLE_MD5
    opt.md5 = true;
#endif
    esp_partition_info_t entries[ESP_PARTITION_TABLE_MAX_ENTRIES];
    size_t count;
    char err[512];
    int rc = partition_csv_parse((const char *)csv.data, &opt, entries, &count, err, sizeof(err));
    cert_file_free(&csv);
    if (rc != 0) {
        return say("%s: %s", csv_path, err);
    }
    uint8_t table[ESP_PARTITION_EMULATED_SECTOR_SIZE];
    memset(table, 0xFF, sizeof(table));
    portls_partition_table_build(entries, count, opt.md5, table);
    if (write_new_flash(output, size, table) != 0) {
        return 1;
    }
    printf("%s: %llu bytes, %u partitions\n", output, size, (unsigned)count);
    return 0;
}

/* --- info --- */

static const char *state_name(uint32_t state)
{
    static const char *const names[] = { "NEW", "PENDING_VERIFY", "VALID", "INVALID", "ABORTED" };
    return state < 5 ? names[state] : state == ESP_OTA_IMG_UNDEFINED ? "UNDEFINED" : "unknown";
}

static void print_table(const flash_t *f)
{
    bool md5 = f->entries[f->count].magic == ESP_PARTITION_MAGIC_MD5;
    printf("%s: %zu bytes; partition table at 0x%x, %d entries, %s\n", f->path,
           esp_partition_get_file_mmap_ctrl_act()->flash_file_size, ESP_PARTITION_TABLE_OFFSET, f->count,
           md5 ? "MD5 ok" : "no MD5 entry");
    printf("  Label             Type             SubType    Offset      Size        Flags\n");
    for (int i = 0; i < f->count; i++) {
        const esp_partition_info_t *e = &f->entries[i];
        char label[17], type[8], subtype[8];
        const char *tn = partition_csv_type_name(e->type), *sn = partition_csv_subtype_name(e->type, e->subtype);
        snprintf(type, sizeof(type), "0x%02x", e->type);
        snprintf(subtype, sizeof(subtype), "0x%02x", e->subtype);
        printf("  %-16s  %-15s  %-9s  0x%08" PRIx32 "  0x%08" PRIx32 "  %s%s\n", label_of(e, label), tn ? tn : type,
               sn ? sn : subtype, e->pos.offset, e->pos.size, (e->flags & PART_FLAG_ENCRYPTED) ? "encrypted " : "",
               (e->flags & PART_FLAG_READONLY) ? "readonly" : "");
    }
}

static void print_otadata(const flash_t *f, const esp_ota_select_entry_t two[2])
{
    int active = bootloader_common_get_active_otadata((esp_ota_select_entry_t *)two);
    uint32_t count = f->bs.app_count;
    printf("otadata at 0x%" PRIx32 ":\n", f->bs.ota_info.offset);
    for (int i = 0; i < 2; i++) {
        const esp_ota_select_entry_t *e = &two[i];
        if (e->ota_seq == UINT32_MAX) {
            printf("  [%d] empty (seq 0xffffffff)\n", i);
            continue;
        }
        bool crc_ok = e->crc == bootloader_common_ota_select_crc(e);
        printf("  [%d] seq %" PRIu32, i, e->ota_seq);
        if (count > 0) {
            printf(" (ota_%" PRIu32 ")", (e->ota_seq - 1) % count);
        }
        printf(", state %s, CRC 0x%08" PRIx32 " %s%s\n", state_name(e->ota_state), e->crc, crc_ok ? "valid" : "invalid",
               i == active ? ", active" : "");
    }
}

static void print_hex(const uint8_t *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        printf("%02x", bytes[i]);
    }
}

static void print_app(const esp_partition_info_t *e)
{
    char label[17];
    size_t flash_size = esp_partition_get_file_mmap_ctrl_act()->flash_file_size;
    const uint8_t *image = bootloader_mmap(e->pos.offset, 1);
    portls_image_report_t r;
    portls_image_check(image, image != NULL ? flash_size - e->pos.offset : 0, e->pos.offset, e->pos.size,
                       portls_chip_emulated(), portls_chip_revision(), ESP_IMAGE_APPLICATION, &r);
    printf("  %-16s  ", label_of(e, label));
    if (r.meta.image.magic != ESP_IMAGE_HEADER_MAGIC) {
        printf("no image: %s\n", r.reason);
        return;
    }
    if (r.has_app_desc) {
        const esp_app_desc_t *d = &r.app_desc;
        printf("version \"%.32s\", project \"%.32s\", built %.16s %.16s, IDF \"%.32s\"", d->version, d->project_name, d->date,
               d->time, d->idf_ver);
    }
    if (r.result == ESP_OK) {
        printf(", SHA-256 ");
        print_hex(r.meta.image.hash_appended ? r.meta.image_digest : r.digest_calc, 32);
        printf(", verified\n");
    } else {
        printf("%sinvalid: %s\n", r.has_app_desc ? ", " : "", r.reason);
    }
}

static const char *index_name(int index, char *buf, size_t len)
{
    if (index == FACTORY_INDEX) {
        return "factory";
    }
    if (index == TEST_APP_INDEX) {
        return "test";
    }
    snprintf(buf, len, "ota_%d", index);
    return index == INVALID_INDEX ? "nothing (no app verifies)" : buf;
}

static void print_next_boot(const flash_t *f, const esp_ota_select_entry_t two[2])
{
    portls_boot_plan_t plan;
    portls_boot_plan(&f->bs, two, ROLLBACK, &plan);
    int index = portls_boot_pick(&f->bs, plan.start_index, ESP_IMAGE_VERIFY_SILENT);
    char name[16];
    printf("next boot: %s", index_name(index, name, sizeof(name)));
    for (int i = 0; i < 2; i++) {
        if (plan.write[i]) {
            printf("; the bootloader first marks otadata[%d] %s", i, state_name(plan.otadata[i].ota_state));
        }
    }
    if (plan.note != NULL) {
        printf(" (%s)", plan.note);
    }
    printf("\n");
}

int flash_info(const char *path)
{
    flash_t f;
    if (open_flash(path, &f) != 0) {
        return 1;
    }
    print_table(&f);
    esp_ota_select_entry_t two[2] = { 0 };
    if (f.bs.ota_info.offset != 0 && bootloader_common_read_otadata(&f.bs.ota_info, two) == ESP_OK) {
        print_otadata(&f, two);
    }
    printf("app partitions (checked for %s v%u.%u):\n", CONFIG_IDF_TARGET, portls_chip_revision() / 100,
           portls_chip_revision() % 100);
    for (int i = 0; i < f.count; i++) {
        if (f.entries[i].type == PART_TYPE_APP) {
            print_app(&f.entries[i]);
        }
    }
    print_next_boot(&f, two);
    return 0;
}

/* --- info --json --- */

static cJSON *json_table(const flash_t *f)
{
    cJSON *list = cJSON_CreateArray();
    for (int i = 0; i < f->count; i++) {
        const esp_partition_info_t *e = &f->entries[i];
        char label[17];
        const char *tn = partition_csv_type_name(e->type), *sn = partition_csv_subtype_name(e->type, e->subtype);
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "label", label_of(e, label));
        cJSON_AddNumberToObject(j, "type", e->type);
        cJSON_AddItemToObject(j, "type_name", tn != NULL ? cJSON_CreateString(tn) : cJSON_CreateNull());
        cJSON_AddNumberToObject(j, "subtype", e->subtype);
        cJSON_AddItemToObject(j, "subtype_name", sn != NULL ? cJSON_CreateString(sn) : cJSON_CreateNull());
        cJSON_AddNumberToObject(j, "offset", e->pos.offset);
        cJSON_AddNumberToObject(j, "size", e->pos.size);
        cJSON_AddBoolToObject(j, "encrypted", (e->flags & PART_FLAG_ENCRYPTED) != 0);
        cJSON_AddBoolToObject(j, "readonly", (e->flags & PART_FLAG_READONLY) != 0);
        cJSON_AddItemToArray(list, j);
    }
    return list;
}

static cJSON *json_otadata(const flash_t *f, const esp_ota_select_entry_t two[2])
{
    int active = bootloader_common_get_active_otadata((esp_ota_select_entry_t *)two);
    cJSON *list = cJSON_CreateArray();
    for (int i = 0; i < 2; i++) {
        const esp_ota_select_entry_t *e = &two[i];
        cJSON *j = cJSON_CreateObject();
        bool empty = e->ota_seq == UINT32_MAX;
        cJSON_AddBoolToObject(j, "empty", empty);
        cJSON_AddNumberToObject(j, "seq", e->ota_seq);
        cJSON_AddStringToObject(j, "state", state_name(e->ota_state));
        cJSON_AddBoolToObject(j, "crc_valid", !empty && e->crc == bootloader_common_ota_select_crc(e));
        cJSON_AddBoolToObject(j, "active", i == active);
        if (!empty && f->bs.app_count > 0) {
            cJSON_AddNumberToObject(j, "slot", (e->ota_seq - 1) % f->bs.app_count);
        }
        cJSON_AddItemToArray(list, j);
    }
    return list;
}

static cJSON *json_app(const esp_partition_info_t *e)
{
    char label[17], text[2 * 32 + 1];
    size_t flash_size = esp_partition_get_file_mmap_ctrl_act()->flash_file_size;
    const uint8_t *image = bootloader_mmap(e->pos.offset, 1);
    portls_image_report_t r;
    portls_image_check(image, image != NULL ? flash_size - e->pos.offset : 0, e->pos.offset, e->pos.size,
                       portls_chip_emulated(), portls_chip_revision(), ESP_IMAGE_APPLICATION, &r);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "label", label_of(e, label));
    cJSON_AddBoolToObject(j, "image", r.meta.image.magic == ESP_IMAGE_HEADER_MAGIC);
    cJSON_AddBoolToObject(j, "valid", r.result == ESP_OK);
    cJSON_AddStringToObject(j, "reason", r.reason);
    if (r.has_app_desc) {
        snprintf(text, sizeof(text), "%.32s", r.app_desc.version);
        cJSON_AddStringToObject(j, "version", text);
        snprintf(text, sizeof(text), "%.32s", r.app_desc.project_name);
        cJSON_AddStringToObject(j, "project_name", text);
    }
    if (r.result == ESP_OK) {
        const uint8_t *sha = r.meta.image.hash_appended ? r.meta.image_digest : r.digest_calc;
        for (int i = 0; i < 32; i++) {
            snprintf(text + 2 * i, 3, "%02x", sha[i]);
        }
        cJSON_AddStringToObject(j, "sha256", text);
    }
    return j;
}

static cJSON *json_next_boot(const flash_t *f, const esp_ota_select_entry_t two[2])
{
    portls_boot_plan_t plan;
    portls_boot_plan(&f->bs, two, ROLLBACK, &plan);
    int index = portls_boot_pick(&f->bs, plan.start_index, ESP_IMAGE_VERIFY_SILENT);
    char name[16];
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "app", index == INVALID_INDEX ? cJSON_CreateNull()
                                                           : cJSON_CreateString(index_name(index, name, sizeof(name))));
    cJSON *marks = cJSON_AddArrayToObject(j, "otadata_writes");
    for (int i = 0; i < 2; i++) {
        if (plan.write[i]) {
            cJSON *m = cJSON_CreateObject();
            cJSON_AddNumberToObject(m, "entry", i);
            cJSON_AddStringToObject(m, "state", state_name(plan.otadata[i].ota_state));
            cJSON_AddItemToArray(marks, m);
        }
    }
    cJSON_AddItemToObject(j, "note", plan.note != NULL ? cJSON_CreateString(plan.note) : cJSON_CreateNull());
    return j;
}

int flash_info_json(const char *path)
{
    flash_t f;
    if (open_flash(path, &f) != 0) {
        return 1;
    }
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddStringToObject(obj, "path", path);
    cJSON_AddNumberToObject(obj, "size", (double)esp_partition_get_file_mmap_ctrl_act()->flash_file_size);
    cJSON_AddBoolToObject(obj, "md5", f.entries[f.count].magic == ESP_PARTITION_MAGIC_MD5);
    cJSON_AddItemToObject(obj, "partitions", json_table(&f));
    esp_ota_select_entry_t two[2] = { 0 };
    if (f.bs.ota_info.offset != 0 && bootloader_common_read_otadata(&f.bs.ota_info, two) == ESP_OK) {
        cJSON_AddItemToObject(obj, "otadata", json_otadata(&f, two));
    }
    cJSON *apps = cJSON_AddArrayToObject(obj, "apps");
    for (int i = 0; i < f.count; i++) {
        if (f.entries[i].type == PART_TYPE_APP) {
            cJSON_AddItemToArray(apps, json_app(&f.entries[i]));
        }
    }
    cJSON_AddItemToObject(obj, "next_boot", json_next_boot(&f, two));
    return report_json_print(stdout, obj) == 0 ? 0 : say("out of memory");
}

/* --- otadata --- */

static int require_otadata(const flash_t *f)
{
    return f->bs.ota_info.offset != 0 ? 0 : say("%s has no otadata partition", f->path);
}

static int erase_otadata(const flash_t *f)
{
    esp_err_t err = bootloader_flash_erase_range(f->bs.ota_info.offset, f->bs.ota_info.size);
    return err == ESP_OK ? 0 : say("erasing otadata: %s", esp_err_to_name(err));
}

int flash_erase_otadata(const char *path)
{
    flash_t f;
    if (open_flash(path, &f) != 0 || require_otadata(&f) != 0 || erase_otadata(&f) != 0) {
        return 1;
    }
    printf("otadata erased: the factory app (or the first that verifies) boots\n");
    return 0;
}

/* The partition of OTA slot n, or NULL. */
static const esp_partition_info_t *find_slot(const flash_t *f, long n)
{
    for (int i = 0; i < f->count; i++) {
        if (f->entries[i].type == PART_TYPE_APP && f->entries[i].subtype == PART_SUBTYPE_OTA_FLAG + n) {
            return &f->entries[i];
        }
    }
    return NULL;
}

/* The factory or OTA app partition set-boot names: --slot N, or --name LABEL. */
static const esp_partition_info_t *boot_target(const flash_t *f, long slot, const char *name)
{
    if (name == NULL) {
        return find_slot(f, slot);
    }
    const esp_partition_info_t *e = find_label(f, name);
    bool ota = e != NULL && (e->subtype & ~PART_SUBTYPE_OTA_MASK) == PART_SUBTYPE_OTA_FLAG;
    return e != NULL && e->type == PART_TYPE_APP && (ota || e->subtype == PART_SUBTYPE_FACTORY) ? e : NULL;
}

static int check_image(const esp_partition_info_t *e)
{
    size_t flash_size = esp_partition_get_file_mmap_ctrl_act()->flash_file_size;
    portls_image_report_t r;
    char label[17];
    if (portls_image_check(bootloader_mmap(e->pos.offset, 1), flash_size - e->pos.offset, e->pos.offset, e->pos.size,
                           portls_chip_emulated(), portls_chip_revision(), ESP_IMAGE_APPLICATION, &r) != ESP_OK) {
        return say("%s holds no valid image: %s", label_of(e, label), r.reason);
    }
    return 0;
}

static int no_boot_target(long slot, const char *name)
{
    if (name != NULL) {
        return say("%s: no such factory or OTA app partition", name);
    }
    return say("--slot %ld: no such factory or OTA app partition", slot);
}

int flash_set_boot(const char *path, long slot, const char *name)
{
    flash_t f;
    if (open_flash(path, &f) != 0 || require_otadata(&f) != 0) {
        return 1;
    }
    const esp_partition_info_t *e = boot_target(&f, slot, name);
    char label[17];
    if (e == NULL) {
        return no_boot_target(slot, name);
    }
    if (check_image(e) != 0) {
        return 1;
    }
    if (e->subtype == PART_SUBTYPE_FACTORY) {
        return erase_otadata(&f) != 0 ? 1 : (printf("otadata erased: factory boots next\n"), 0);
    }
    esp_err_t err = portls_otadata_set_boot(&f.bs, e->subtype & PART_SUBTYPE_OTA_MASK);
    if (err != ESP_OK) {
        return say("setting %s to boot: %s", label_of(e, label), esp_err_to_name(err));
    }
    printf("%s boots next\n", label_of(e, label));
    return 0;
}

int flash_mark(const char *path, bool valid)
{
    flash_t f;
    esp_ota_select_entry_t two[2];
    if (open_flash(path, &f) != 0 || require_otadata(&f) != 0) {
        return 1;
    }
    if (bootloader_common_read_otadata(&f.bs.ota_info, two) != ESP_OK) {
        return say("otadata cannot be read (it must be two 4 KiB sectors inside the flash)");
    }
    if (!valid && !portls_otadata_rollback_possible(&f.bs, two)) {
        return say("Rollback is not possible, do not have any suitable apps in slots");
    }
    esp_err_t err = portls_otadata_mark_active(&f.bs, valid ? ESP_OTA_IMG_VALID : ESP_OTA_IMG_INVALID);
    if (err == ESP_FAIL) {
        return say("no active otadata entry: the factory app (or the first that verifies) boots");
    }
    if (err != ESP_OK) {
        return say("writing otadata: %s", esp_err_to_name(err));
    }
    printf("the active otadata entry is %s\n", valid ? "VALID" : "INVALID");
    return 0;
}

/* --- partitions --- */

static const esp_partition_info_t *named(const flash_t *f, const char *label)
{
    const esp_partition_info_t *e = find_label(f, label);
    if (e == NULL) {
        say("%s has no partition \"%s\"", f->path, label);
    }
    return e;
}

int flash_read_partition(const char *path, const char *label, const char *output)
{
    flash_t f;
    const esp_partition_info_t *e;
    if (open_flash(path, &f) != 0 || (e = named(&f, label)) == NULL) {
        return 1;
    }
    const void *data = bootloader_mmap(e->pos.offset, e->pos.size);
    if (data == NULL) {
        return say("%s passes the end of the flash", label);
    }
    if (cli_write_file("flash", output, data, e->pos.size) != 0) {
        return 1;
    }
    printf("%s: %" PRIu32 " bytes of %s\n", output, e->pos.size, label);
    return 0;
}

int flash_write_partition(const char *path, const char *label, const char *input, bool ignore_readonly)
{
    flash_t f;
    const esp_partition_info_t *e;
    cert_file_t data;
    if (open_flash(path, &f) != 0 || (e = named(&f, label)) == NULL) {
        return 1;
    }
    if ((e->flags & PART_FLAG_READONLY) && !ignore_readonly) {
        return say("%s is read-only (--ignore-readonly writes it anyway)", label);
    }
    if (cert_file_load_raw(input, &data) != 0) {
        return say("%s: %s", input, strerror(errno));
    }
    esp_err_t err = data.len > e->pos.size ? ESP_ERR_INVALID_SIZE : bootloader_flash_erase_range(e->pos.offset, e->pos.size);
    if (err == ESP_OK) {
        err = bootloader_flash_write(e->pos.offset, data.data, data.len, false);
    }
    unsigned len = data.len;
    cert_file_free(&data);
    if (err != ESP_OK) {
        return say("writing %s: %s", label, err == ESP_ERR_INVALID_SIZE ? "the file is larger than the partition" : esp_err_to_name(err));
    }
    printf("%s: %u bytes written (the partition erased first)\n", label, len);
    return 0;
}
