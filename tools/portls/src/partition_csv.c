/* gen_esp32part.py's CSV reading and checks, in C. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "partition_csv.h"
#include "portls_format.h"

#define MAX_PARTS ESP_PARTITION_TABLE_MAX_ENTRIES
#define LINE_MAX_LEN 1024
#define NVS_RW_MIN_SIZE 0x3000
#define OTADATA_SIZE 0x2000

typedef struct {
    const char *name;
    int value;
} keyword_t;

static const keyword_t s_types[] = {
    { "app", PART_TYPE_APP }, { "data", PART_TYPE_DATA }, { "bootloader", PART_TYPE_BOOTLOADER },
    { "partition_table", PART_TYPE_PARTITION_TABLE }, { NULL, 0 },
};
static const keyword_t s_bootloader_subtypes[] = { { "primary", 0 }, { "ota", 1 }, { "recovery", 2 }, { NULL, 0 } };
static const keyword_t s_table_subtypes[] = { { "primary", 0 }, { "ota", 1 }, { NULL, 0 } };
static const keyword_t s_app_subtypes[] = {
    { "factory", 0x00 }, { "test", 0x20 }, { "ota_0", 0x10 }, { "ota_1", 0x11 }, { "ota_2", 0x12 }, { "ota_3", 0x13 },
    { "ota_4", 0x14 }, { "ota_5", 0x15 }, { "ota_6", 0x16 }, { "ota_7", 0x17 }, { "ota_8", 0x18 }, { "ota_9", 0x19 },
    { "ota_10", 0x1A }, { "ota_11", 0x1B }, { "ota_12", 0x1C }, { "ota_13", 0x1D }, { "ota_14", 0x1E },
    { "ota_15", 0x1F }, { "tee_0", 0x30 }, { "tee_1", 0x31 }, { NULL, 0 },
};
static const keyword_t s_data_subtypes[] = {
    { "ota", 0x00 }, { "phy", 0x01 }, { "nvs", 0x02 }, { "coredump", 0x03 }, { "nvs_keys", 0x04 }, { "efuse", 0x05 },
    { "undefined", 0x06 }, { "esphttpd", 0x80 }, { "fat", 0x81 }, { "spiffs", 0x82 }, { "littlefs", 0x83 },
    { "tee_ota", 0x90 }, { NULL, 0 },
};
static const keyword_t s_none[] = { { NULL, 0 } };

typedef struct {
    char name[LINE_MAX_LEN];
    int line;
    long long type, subtype, offset, size;
    bool has_offset, encrypted, readonly;
} part_t;

typedef struct {
    const partition_csv_options_t *opt;
    part_t parts[MAX_PARTS + 1];
    size_t count;
    char *err;
    size_t err_len;
} csv_t;

__attribute__((format(printf, 2, 3))) static int fail(csv_t *c, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(c->err, c->err_len, format, args);
    va_end(args);
    return -1;
}

static const keyword_t *subtypes_of(long long type)
{
    switch (type) {
    case PART_TYPE_APP:
        return s_app_subtypes;
    case PART_TYPE_DATA:
        return s_data_subtypes;
    case PART_TYPE_BOOTLOADER:
        return s_bootloader_subtypes;
    case PART_TYPE_PARTITION_TABLE:
        return s_table_subtypes;
    default:
        return s_none;
    }
}

static const char *keyword_name(const keyword_t *k, int value)
{
    for (; k->name != NULL; k++) {
        if (k->value == value) {
            return k->name;
        }
    }
    return NULL;
}

const char *partition_csv_type_name(uint8_t type)
{
    return keyword_name(s_types, type);
}

const char *partition_csv_subtype_name(uint8_t type, uint8_t subtype)
{
    return keyword_name(subtypes_of(type), subtype);
}

static bool keyword_value(const keyword_t *k, const char *text, long long *out)
{
    for (; k->name != NULL; k++) {
        if (strcasecmp(k->name, text) == 0) {
            *out = k->value;
            return true;
        }
    }
    return false;
}

static char *strip(char *s)
{
    while (isspace((unsigned char)*s)) {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) {
        s[--n] = '\0';
    }
    return s;
}

/* Digits of base, with single underscores between them, as Python's int() reads them. */
static bool py_digits(const char *s, int base, unsigned long long *out)
{
    unsigned long long v = 0;
    bool any = false, underscore = false;
    for (; *s != '\0'; s++) {
        if (*s == '_' && any && !underscore) {
            underscore = true;
            continue;
        }
        int d = isdigit((unsigned char)*s) ? *s - '0' : isxdigit((unsigned char)*s) ? tolower((unsigned char)*s) - 'a' + 10 : 99;
        if (d >= base || v > (ULLONG_MAX - (unsigned)d) / (unsigned)base) {
            return false;
        }
        v = v * (unsigned)base + (unsigned)d;
        any = true;
        underscore = false;
    }
    *out = v;
    return any && !underscore;
}

/* The base a Python integer literal's prefix gives, moving past it (one underscore may follow). */
static int py_base(const char **text)
{
    const char *t = *text;
    if (t[0] != '0' || t[1] == '\0' || strchr("xXoObB", t[1]) == NULL) {
        return 10;
    }
    int base = strchr("xX", t[1]) ? 16 : strchr("oO", t[1]) ? 8 : 2;
    *text = t + (t[2] == '_' ? 3 : 2);
    return base;
}

/* Python's int(text, 0): blanks around, a sign, a 0x/0o/0b prefix or a decimal without leading
 * zeros, digits with single underscores between them. */
static bool py_int(const char *text, long long *out)
{
    char digits[LINE_MAX_LEN];
    snprintf(digits, sizeof(digits), "%s", text);
    const char *t = strip(digits);
    bool negative = *t == '-';
    t += *t == '-' || *t == '+';
    int base = py_base(&t);
    if (base == 10 && t[0] == '0' && strspn(t, "0_") != strlen(t)) {
        return false;
    }
    unsigned long long v;
    if (!py_digits(t, base, &v) || v > (unsigned long long)LLONG_MAX) {
        return false;
    }
    *out = negative ? -(long long)v : (long long)v;
    return true;
}

/* gen_esp32part's parse_int(): K and M suffixes, numbers, then keywords. */
static int parse_int(csv_t *c, const char *v, const keyword_t *keywords, long long *out)
{
    size_t n = strlen(v);
    if (n > 0 && strchr("kKmM", v[n - 1]) != NULL) {
        char head[LINE_MAX_LEN];
        snprintf(head, sizeof(head), "%.*s", (int)(n - 1), v);
        long long base;
        if (parse_int(c, head, keywords, &base) != 0) {
            return -1;
        }
        *out = base * (tolower((unsigned char)v[n - 1]) == 'k' ? 1024 : 1024 * 1024);
        return 0;
    }
    if (py_int(v, out) || keyword_value(keywords, v, out)) {
        return 0;
    }
    if (keywords[0].name == NULL) {
        return fail(c, "Invalid field value %s", v);
    }
    char known[512] = "";
    for (const keyword_t *k = keywords; k->name != NULL; k++) {
        snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s", k == keywords ? "" : ", ", k->name);
    }
    return fail(c, "Value '%s' is not valid. Known keywords: %s", v, known);
}

/* The length of the variable name a '$' at in starts (0: none), and whether it is ${braced}. */
static size_t var_name(const char *in, bool *braced)
{
    *braced = in[1] == '{';
    const char *name = in + (*braced ? 2 : 1);
    size_t n = 0;
    while (isalpha((unsigned char)name[n]) || name[n] == '_' || (n > 0 && isdigit((unsigned char)name[n]))) {
        n++;
    }
    return *braced && name[n] != '}' ? 0 : n;
}

/* $NAME and ${NAME} from the environment; an unknown one is an error. */
static int expand_vars(csv_t *c, const char *in, char *out, size_t len)
{
    size_t o = 0;
    bool braced;
    size_t n;
    while (*in != '\0' && o + 1 < len) {
        if (*in != '$' || (n = var_name(in, &braced)) == 0) {
            out[o++] = *in++;
            continue;
        }
        char var[LINE_MAX_LEN];
        snprintf(var, sizeof(var), "%.*s", (int)n, in + (braced ? 2 : 1));
        const char *value = getenv(var);
        if (value == NULL) {
            return fail(c, "unknown variable '%s'", var);
        }
        o += (size_t)snprintf(out + o, len - o, "%s", value);
        o = o < len ? o : len - 1;
        in += n + (braced ? 3 : 1);
    }
    out[o] = '\0';
    return 0;
}

static int parse_flags(csv_t *c, part_t *p, char *text)
{
    for (char *save = NULL, *flag = strtok_r(text, ":", &save); flag != NULL; flag = strtok_r(NULL, ":", &save)) {
        if (strcmp(flag, "encrypted") == 0) {
            p->encrypted = true;
        } else if (strcmp(flag, "readonly") == 0) {
            p->readonly = true;
        } else if (flag[0] != '\0') {
            return fail(c, "CSV flag column contains unknown flag '%s'", flag);
        }
    }
    return 0;
}

static bool is_primary(long long type, long long subtype, long long which)
{
    return type == which && subtype == 0;
}

static int parse_subtype(csv_t *c, part_t *p, const char *text)
{
    if (text[0] != '\0') {
        return parse_int(c, text, subtypes_of(p->type), &p->subtype);
    }
    if (p->type == PART_TYPE_APP) {
        return fail(c, "App partition cannot have an empty subtype");
    }
    p->subtype = 0x06; /* undefined */
    return 0;
}

static int parse_offset(csv_t *c, part_t *p, const char *text)
{
    if (is_primary(p->type, p->subtype, PART_TYPE_BOOTLOADER)) {
        p->offset = c->opt->bootloader_offset;
    } else if (p->type == PART_TYPE_BOOTLOADER && p->subtype == PART_SUBTYPE_BOOTLOADER_RECOVERY) {
        return fail(c, "Recovery bootloader offset is not defined. Please use --recovery-bootloader-offset");
    } else if (is_primary(p->type, p->subtype, PART_TYPE_PARTITION_TABLE)) {
        p->offset = c->opt->table_offset;
    } else if (text[0] != '\0') {
        return parse_int(c, text, s_none, &p->offset) == 0 ? (p->has_offset = true, 0) : -1;
    } else {
        return 0;
    }
    p->has_offset = true;
    return 0;
}

static int parse_size(csv_t *c, part_t *p, const char *text)
{
    if (p->type == PART_TYPE_BOOTLOADER) {
        p->size = (long long)c->opt->table_offset - c->opt->bootloader_offset;
    } else if (p->type == PART_TYPE_PARTITION_TABLE) {
        p->size = ESP_PARTITION_TABLE_SIZE;
    } else if (text[0] == '\0') {
        return fail(c, "Size field can't be empty");
    } else {
        return parse_int(c, text, s_none, &p->size);
    }
    return 0;
}

/* One line's six fields (missing ones empty, extra ones ignored, as gen_esp32part). */
static int parse_fields(csv_t *c, part_t *p, char *line)
{
    char empty[] = "";
    char *fields[6] = { empty, empty, empty, empty, empty, empty };
    for (int i = 0; i < 6; i++) {
        char *f = strsep(&line, ",");
        fields[i] = f != NULL ? strip(f) : fields[i];
    }
    snprintf(p->name, sizeof(p->name), "%s", fields[0]);
    if (fields[1][0] == '\0') {
        return fail(c, "Field 'type' can't be left empty.");
    }
    if (parse_int(c, fields[1], s_types, &p->type) != 0 || parse_subtype(c, p, fields[2]) != 0 ||
        parse_offset(c, p, fields[3]) != 0 || parse_size(c, p, fields[4]) != 0) {
        return -1;
    }
    return parse_flags(c, p, fields[5]);
}

static int parse_line(csv_t *c, const char *raw, int line_no)
{
    char expanded[LINE_MAX_LEN];
    char message[512];
    if (expand_vars(c, raw, expanded, sizeof(expanded)) != 0) {
        return -1;
    }
    char *line = strip(expanded);
    if (line[0] == '#' || line[0] == '\0') {
        return 0;
    }
    if (c->count == MAX_PARTS + 1) {
        return fail(c, "Binary partition table length (%d) longer than max", (int)((c->count + 1) * 32));
    }
    part_t *p = &c->parts[c->count];
    memset(p, 0, sizeof(*p));
    p->line = line_no;
    if (parse_fields(c, p, line) != 0) {
        snprintf(message, sizeof(message), "%s", c->err);
        return fail(c, "Error at line %d: %s", line_no, message);
    }
    c->count++;
    return 0;
}

static long long align_for(long long type)
{
    return type == PART_TYPE_APP ? 0x10000 : 0x1000;
}

/* Missing offsets and negative sizes, in file order. */
static int place(csv_t *c)
{
    long long last_end = (long long)c->opt->table_offset + ESP_PARTITION_TABLE_SIZE;
    for (size_t i = 0; i < c->count; i++) {
        part_t *p = &c->parts[i];
        if (is_primary(p->type, p->subtype, PART_TYPE_BOOTLOADER) || is_primary(p->type, p->subtype, PART_TYPE_PARTITION_TABLE)) {
            continue;
        }
        if (p->has_offset && p->offset < last_end) {
            return i == 0 ? fail(c, "CSV Error at line %d: Partitions overlap. Partition sets offset 0x%llx. But partition table "
                                 "occupies the whole sector 0x%x. Use a free offset 0x%llx or higher.", p->line, p->offset,
                                 (unsigned)c->opt->table_offset, last_end)
                          : fail(c, "CSV Error at line %d: Partitions overlap. Partition sets offset 0x%llx. Previous partition "
                                 "ends 0x%llx", p->line, p->offset, last_end);
        }
        if (!p->has_offset) {
            long long a = align_for(p->type);
            p->offset = (last_end + a - 1) / a * a;
            p->has_offset = true;
        }
        if (p->size < 0) {
            p->size = -p->size - p->offset;
        }
        last_end = p->offset + p->size;
    }
    return 0;
}

/* The value of a keyword spelt exactly so (gen_esp32part's `name in TYPES`), or -1. */
static int exact_keyword(const keyword_t *k, const char *name)
{
    for (; k->name != NULL; k++) {
        if (strcmp(k->name, name) == 0) {
            return k->value;
        }
    }
    return -1;
}

/* gen_esp32part's warnings for a name that is a type or subtype keyword of something else. */
static void warn_about_name(const part_t *p, FILE *w)
{
    int type = exact_keyword(s_types, p->name);
    if (type >= 0 && type != p->type) {
        fprintf(w, "WARNING: Partition has name '%s' which is a partition type, but does not match this partition's "
                "type (0x%llx). Mistake in partition table?\n", p->name, p->type);
    }
    const keyword_t *all[] = { s_bootloader_subtypes, s_table_subtypes, s_app_subtypes, s_data_subtypes };
    bool subtype_name = false;
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        subtype_name |= exact_keyword(all[i], p->name) >= 0;
    }
    if (subtype_name && exact_keyword(subtypes_of(p->type), p->name) != p->subtype) {
        fprintf(w, "WARNING: Partition has name '%s' which is a partition subtype, but this partition has non-matching "
                "type 0x%llx and subtype 0x%llx. Mistake in partition table?\n", p->name, p->type, p->subtype);
    }
}

static int check_alignment(csv_t *c, const part_t *p)
{
    long long a = align_for(p->type);
    if (p->offset % a != 0) {
        return fail(c, "Partition %s invalid: Offset 0x%llx is not aligned to 0x%llx", p->name, p->offset, a);
    }
    if (p->type == PART_TYPE_APP && p->size % 0x1000 != 0) {
        return fail(c, "Partition %s invalid: Size 0x%llx is not aligned to 0x1000", p->name, p->size);
    }
    return 0;
}

/* otadata and coredump are always read-write; a read-write NVS needs 0x3000 bytes. */
static int check_read_write(csv_t *c, const part_t *p)
{
    bool data = p->type == PART_TYPE_DATA;
    if (data && (p->subtype == PART_SUBTYPE_DATA_OTA || p->subtype == 0x03) && p->readonly) {
        return fail(c, "Partition %s invalid: '%s' partition of type %lld and subtype %lld is always read-write and cannot be "
                    "read-only", p->name, p->name, p->type, p->subtype);
    }
    if (data && p->subtype == 0x02 && p->size < NVS_RW_MIN_SIZE && !p->readonly) {
        return fail(c, "Partition %s invalid: '%s' partition of type %lld and subtype %lld of this size (0x%llx) must be "
                    "flagged as 'readonly' (the size of read/write NVS has to be at least 0x%x)", p->name, p->name, p->type,
                    p->subtype, p->size, NVS_RW_MIN_SIZE);
    }
    return 0;
}

static int verify_part(csv_t *c, const part_t *p)
{
    if (check_alignment(c, p) != 0) {
        return -1;
    }
    if (c->opt->warnings != NULL) {
        warn_about_name(p, c->opt->warnings);
    }
    return check_read_write(c, p);
}

static int by_offset(const void *a, const void *b)
{
    const part_t *x = *(const part_t *const *)a, *y = *(const part_t *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset ? 1 : (x->line > y->line) - (x->line < y->line);
}

static int check_overlaps(csv_t *c)
{
    const part_t *sorted[MAX_PARTS + 1];
    for (size_t i = 0; i < c->count; i++) {
        sorted[i] = &c->parts[i];
    }
    qsort(sorted, c->count, sizeof(sorted[0]), by_offset);
    long long floor = (long long)c->opt->table_offset + ESP_PARTITION_TABLE_SIZE;
    for (size_t i = 0; i < c->count; i++) {
        const part_t *p = sorted[i];
        bool primary = is_primary(p->type, p->subtype, PART_TYPE_BOOTLOADER) || is_primary(p->type, p->subtype, PART_TYPE_PARTITION_TABLE);
        if (p->offset < floor && !primary) {
            return fail(c, "Partition offset 0x%llx is below 0x%llx", p->offset, floor);
        }
        if (i > 0 && p->offset < sorted[i - 1]->offset + sorted[i - 1]->size) {
            return fail(c, "Partition at 0x%llx overlaps 0x%llx-0x%llx", p->offset, sorted[i - 1]->offset,
                        sorted[i - 1]->offset + sorted[i - 1]->size - 1);
        }
    }
    return 0;
}

/* At most one data/ota (and one data/tee_ota), of exactly 0x2000 bytes. */
static int check_otadata(csv_t *c, long long subtype, const char *what)
{
    size_t found = 0;
    const part_t *one = NULL;
    for (size_t i = 0; i < c->count; i++) {
        if (c->parts[i].type == PART_TYPE_DATA && c->parts[i].subtype == subtype) {
            found++;
            one = &c->parts[i];
        }
    }
    if (found > 1) {
        return fail(c, "Found multiple %s partitions. Only one partition can be defined with type=\"data\"(1) and "
                    "subtype=%s.", what, subtype == 0 ? "\"ota\"(0)" : "\"tee_ota\"(0x90)");
    }
    if (found == 1 && one->size != OTADATA_SIZE) {
        return fail(c, "%s partition must have size = 0x2000", what);
    }
    return 0;
}

static int verify_table(csv_t *c)
{
    for (size_t i = 0; i < c->count; i++) {
        if (verify_part(c, &c->parts[i]) != 0) {
            return -1;
        }
    }
    for (size_t i = 0; i < c->count; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(c->parts[i].name, c->parts[j].name) == 0) {
                return fail(c, "Partition names must be unique");
            }
        }
    }
    if (check_overlaps(c) != 0 || check_otadata(c, PART_SUBTYPE_DATA_OTA, "otadata") != 0) {
        return -1;
    }
    return check_otadata(c, PART_SUBTYPE_DATA_TEE_OTA, "TEE otadata");
}

static int check_flash_size(csv_t *c)
{
    const part_t *last = NULL;
    for (size_t i = 0; i < c->count; i++) {
        if (last == NULL || c->parts[i].offset >= last->offset) {
            last = &c->parts[i];
        }
    }
    unsigned long long end = last != NULL ? (unsigned long long)(last->offset + last->size) : 0;
    if (c->opt->flash_size == 0 || c->opt->flash_size >= end) {
        return 0;
    }
    double mb = 1024.0 * 1024.0;
    return fail(c, "Partitions tables occupies %.1fMB of flash (%llu bytes) which does not fit in configured flash size %lluMB.",
                (double)end / mb, end, (unsigned long long)(c->opt->flash_size / (1024 * 1024)));
}

/* The binary entry, where struct.pack('<2sBBLL16sL') would accept the values. */
static int to_entry(csv_t *c, const part_t *p, esp_partition_info_t *e)
{
    if (p->type < 0 || p->type > 255 || p->subtype < 0 || p->subtype > 255) {
        return fail(c, "Partition %s invalid: type 0x%llx or subtype 0x%llx does not fit a byte", p->name, p->type, p->subtype);
    }
    if (p->offset < 0 || p->offset > UINT32_MAX || p->size < 0 || p->size > UINT32_MAX) {
        return fail(c, "Partition %s invalid: offset 0x%llx or size 0x%llx does not fit 32 bits", p->name, p->offset, p->size);
    }
    memset(e, 0, sizeof(*e));
    e->magic = ESP_PARTITION_MAGIC;
    e->type = (uint8_t)p->type;
    e->subtype = (uint8_t)p->subtype;
    e->pos.offset = (uint32_t)p->offset;
    e->pos.size = (uint32_t)p->size;
    strncpy((char *)e->label, p->name, sizeof(e->label)); /* cut to 16 bytes, as '16s' */
    e->flags = (p->encrypted ? PART_FLAG_ENCRYPTED : 0) | (p->readonly ? PART_FLAG_READONLY : 0);
    return 0;
}

static int parse_lines(csv_t *c, const char *csv)
{
    int line_no = 0;
    for (const char *line = csv; *line != '\0';) {
        size_t n = strcspn(line, "\r\n");
        char raw[LINE_MAX_LEN];
        if (n >= sizeof(raw)) {
            return fail(c, "Error at line %d: the line is too long", line_no + 1);
        }
        memcpy(raw, line, n);
        raw[n] = '\0';
        if (parse_line(c, raw, ++line_no) != 0) {
            return -1;
        }
        line += n;
        line += line[0] == '\r' && line[1] == '\n' ? 2 : line[0] != '\0';
    }
    return 0;
}

static int run(csv_t *c, const char *csv, esp_partition_info_t *entries)
{
    const char *bom = "\xEF\xBB\xBF";
    if (parse_lines(c, strncmp(csv, bom, 3) == 0 ? csv + 3 : csv) != 0 || place(c) != 0 || verify_table(c) != 0 ||
        check_flash_size(c) != 0) {
        return -1;
    }
    size_t length = (c->count + (c->opt->md5 ? 1 : 0)) * sizeof(esp_partition_info_t);
    if (length >= ESP_PARTITION_TABLE_MAX_LEN) {
        return fail(c, "Binary partition table length (%d) longer than max", (int)length);
    }
    for (size_t i = 0; i < c->count; i++) {
        if (to_entry(c, &c->parts[i], &entries[i]) != 0) {
            return -1;
        }
    }
    return 0;
}

int partition_csv_parse(const char *csv, const partition_csv_options_t *opt, esp_partition_info_t *entries,
                        size_t *count, char *err, size_t err_len)
{
    csv_t *c = calloc(1, sizeof(csv_t));
    if (c == NULL) {
        snprintf(err, err_len, "%s", strerror(ENOMEM));
        return -1;
    }
    *c = (csv_t) { .opt = opt, .err = err, .err_len = err_len };
    int rc = run(c, csv, entries);
    *count = rc == 0 ? c->count : 0;
    free(c);
    return rc;
}
