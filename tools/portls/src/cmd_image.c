/* portls image wrap|info: app images as esptool makes and shows them. */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cert_file.h"
#include "cli.h"
#include "commands.h"
#include "image_json.h"
#include "report.h"
#include "portls_format.h"
#include "sdkconfig.h"

static int usage(FILE *out)
{
    fputs("usage: portls image wrap PAYLOAD --version V --project P [--chip CHIP] [--secure-version N]\n"
          "                         [--min-rev-full N] [--max-rev-full N] [--idf-ver TEXT] -o APP.bin\n"
          "       portls image info APP.bin [--chip CHIP] [--chip-rev N] [--json]\n"
          "wrap: a valid app image of any payload, as esptool elf2image writes one: header, app descriptor\n"
          "      (date and time from SOURCE_DATE_EPOCH if set, else now), one DROM segment, checksum, SHA-256.\n"
          "      CHIP defaults to " CONFIG_IDF_TARGET "; the revisions to ESP-IDF v5.5's defaults for the chip.\n"
          "info: the header, segments, checksum, hash and descriptor (esptool image_info's report), then\n"
          "      esp_image_verify()'s checks for CHIP (default: the image's) at revision N (default: the\n"
          "      emulated one for " CONFIG_IDF_TARGET ", else the chip's oldest). Exit 0 only for a valid image.\n"
          "      --json prints the report as one JSON object (schema in the README).\n", out);
    return out == stdout ? 0 : 2;
}

static int fail(const char *what, const char *why)
{
    fprintf(stderr, "portls image: %s: %s\n", what, why);
    return 1;
}

typedef struct {
    portls_image_config_t cfg;
    const char *output;
    const char *payload;
    long secure_version, min_rev_full, max_rev_full; /* -1: the default */
} wrap_opts_t;

enum { OPT_VERSION = 256, OPT_PROJECT, OPT_CHIP, OPT_SECURE_VERSION, OPT_MIN_REV, OPT_MAX_REV, OPT_IDF_VER,
       OPT_CHIP_REV, OPT_JSON, OPT_HELP };

/* --chip NAME into the const portls_chip_t * at the start of ctx's chip field. */
static int chip_option(const portls_chip_t **chip, const char *arg)
{
    if ((*chip = portls_chip_by_name(arg)) == NULL) {
        fprintf(stderr, "portls image: --chip '%s' is not a chip portls knows (esp32, esp32c3, ...)\n", arg);
        return 3;
    }
    return 0;
}

static int wrap_chip(void *ctx, char *arg)
{
    return chip_option(&((wrap_opts_t *)ctx)->cfg.chip, arg);
}

static const struct option wrap_options[] = {
    { "version", required_argument, NULL, OPT_VERSION }, { "project", required_argument, NULL, OPT_PROJECT },
    { "chip", required_argument, NULL, OPT_CHIP }, { "secure-version", required_argument, NULL, OPT_SECURE_VERSION },
    { "min-rev-full", required_argument, NULL, OPT_MIN_REV }, { "max-rev-full", required_argument, NULL, OPT_MAX_REV },
    { "idf-ver", required_argument, NULL, OPT_IDF_VER }, { "output", required_argument, NULL, 'o' },
    { "help", no_argument, NULL, OPT_HELP }, { 0 },
};

#define WRAP(name) offsetof(wrap_opts_t, name)
static const cli_field_t wrap_fields[] = {
    CLI_FIELD(OPT_VERSION, CLI_TEXT, WRAP(cfg.version)),
    CLI_FIELD(OPT_PROJECT, CLI_TEXT, WRAP(cfg.project_name)),
    CLI_FN(OPT_CHIP, wrap_chip),
    CLI_NUMBER(OPT_SECURE_VERSION, CLI_LONG, WRAP(secure_version), 0, UINT32_MAX),
    CLI_NUMBER(OPT_MIN_REV, CLI_LONG, WRAP(min_rev_full), 0, 65535),
    CLI_NUMBER(OPT_MAX_REV, CLI_LONG, WRAP(max_rev_full), 0, 65535),
    CLI_FIELD(OPT_IDF_VER, CLI_TEXT, WRAP(cfg.idf_ver)),
    CLI_FIELD('o', CLI_TEXT, WRAP(output)),
    CLI_HELP_ROW(OPT_HELP),
    CLI_END,
};

static const cli_spec_t wrap_spec = { "image", "o:", wrap_options, wrap_fields, usage };

/* @return -1 to go on, or the exit status. */
static int parse_wrap(int argc, char **argv, wrap_opts_t *o)
{
    int rc = cli_parse_fields(argc, argv, &wrap_spec, o);
    if (rc != 0) {
        return rc - 1;
    }
    o->payload = optind + 1 == argc ? argv[optind] : NULL;
    if (o->payload == NULL || o->output == NULL || o->cfg.version == NULL || o->cfg.project_name == NULL) {
        return usage(stderr);
    }
    o->cfg.secure_version = o->secure_version > 0 ? (uint32_t)o->secure_version : 0;
    o->cfg.min_rev_full = (int)o->min_rev_full;
    o->cfg.max_rev_full = (int)o->max_rev_full;
    return -1;
}

static time_t build_time(void)
{
    const char *epoch = getenv("SOURCE_DATE_EPOCH"); /* reproducible builds */
    return epoch != NULL ? (time_t)strtoll(epoch, NULL, 10) : time(NULL);
}

static int wrap(int argc, char **argv)
{
    wrap_opts_t o = { .min_rev_full = -1, .max_rev_full = -1 };
    int rc = parse_wrap(argc, argv, &o);
    if (rc >= 0) {
        return rc;
    }
    o.cfg.build_time = build_time();
    cert_file_t payload;
    if (cert_file_load_raw(o.payload, &payload) != 0) {
        return fail(o.payload, strerror(errno));
    }
    uint8_t *image;
    size_t len;
    esp_err_t err = portls_image_build(&o.cfg, payload.data, payload.len, &image, &len);
    cert_file_free(&payload);
    if (err != ESP_OK) {
        return fail(o.payload, err == ESP_ERR_INVALID_ARG ? "a text is over 31 bytes, or the payload is 16 MiB or more"
                                                          : esp_err_to_name(err));
    }
    rc = cli_write_file("image", o.output, image, len) == 0 ? 0 : 1;
    if (rc == 0) {
        const portls_chip_t *chip = o.cfg.chip != NULL ? o.cfg.chip : portls_chip_emulated();
        printf("%s: %zu bytes, %s image of %s %s\n", o.output, len, chip->name, o.cfg.project_name, o.cfg.version);
    }
    free(image);
    return rc;
}

/* --- info --- */

static void title(const char *chip, const char *what)
{
    char line[96];
    int n = snprintf(line, sizeof(line), "%s %s", chip, what);
    printf("\n%s\n%.*s\n", line, n, "================================================================================");
}

/* esptool's name of a chip: "esp32c3" is ESP32-C3. */
static const char *display_name(const portls_chip_t *chip, char out[16])
{
    size_t n = 0;
    for (const char *p = chip->name; *p != '\0' && n + 2 < 16; p++) {
        if (p - chip->name == 5) {
            out[n++] = '-';
        }
        out[n++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    }
    out[n] = '\0';
    return out;
}

static void print_header(const char *chip, const esp_image_header_t *h)
{
    static const char *const modes[] = { "QIO", "QOUT", "DIO", "DOUT", "FAST_READ", "SLOW_READ" };
    title(chip, "image header");
    printf("Image version: 1\n");
    h->entry_addr != 0 ? printf("Entry point: %#8" PRIx32 "\n", h->entry_addr) : printf("Entry point not set\n");
    printf("Segments: %d\n", h->segment_count);
    int size = esp_image_get_flash_size((esp_image_flash_size_t)h->spi_size);
    size > 0 ? printf("Flash size: %dMB\n", size / (1024 * 1024)) : printf("WARNING: Invalid flash size (%#x)\n", h->spi_size << 4);
    printf("Flash freq: code 0x%x\n", h->spi_speed);
    h->spi_mode < 6 ? printf("Flash mode: %s\n", modes[h->spi_mode]) : printf("WARNING: Invalid flash mode (%d)\n", h->spi_mode);
    title(chip, "extended image header");
    printf("WP pin: 0x%x%s\n", h->wp_pin, h->wp_pin == 0xEE ? " (disabled)" : "");
    const uint8_t *drv = h->spi_pin_drv;
    printf("Flash pins drive settings: clk_drv: 0x%x, q_drv: 0x%x, d_drv: 0x%x, cs0_drv: 0x%x, hd_drv: 0x%x, wp_drv: 0x%x\n",
           drv[0] & 0xF, drv[0] >> 4, drv[1] & 0xF, drv[1] >> 4, drv[2] & 0xF, drv[2] >> 4);
    const portls_chip_t *c = portls_chip_by_id(h->chip_id);
    char name[16];
    printf("Chip ID: %d (%s)\n", h->chip_id, c != NULL ? display_name(c, name) : "Unknown ID");
    printf("Minimal chip revision: v%d.%d, (legacy min_rev = %d)\n", h->min_chip_rev_full / 100, h->min_chip_rev_full % 100,
           h->min_chip_rev);
    printf("Maximal chip revision: v%d.%d\n", h->max_chip_rev_full / 100, h->max_chip_rev_full % 100);
}

/* Which flash-mapped range an address is in, as esptool names them. */
const char *image_memory_type(const portls_chip_t *chip, uint32_t addr)
{
    bool drom = addr >= chip->drom_low && addr < chip->drom_high;
    bool irom = addr >= chip->irom_low && addr < chip->irom_high;
    if (drom && irom) {
        return "DROM, IROM";
    }
    return drom ? "DROM" : irom ? "IROM" : "RAM";
}

static void print_segments(const portls_image_report_t *r, const portls_chip_t *chip)
{
    title("Segments", "information");
    printf("Segment   Length   Load addr   File offs  Memory types\n");
    printf("-------  -------  ----------  ----------  ------------\n");
    for (int i = 0; i < r->meta.image.segment_count && i < ESP_IMAGE_MAX_SEGMENTS && r->meta.segment_data[i] != 0; i++) {
        const esp_image_segment_header_t *s = &r->meta.segments[i];
        printf("%7d  %#07" PRIx32 "  %#010" PRIx32 "  %#010" PRIx32 "  %s\n", i + 1, s->data_len, s->load_addr,
               r->meta.segment_data[i] - 8, image_memory_type(chip, s->load_addr));
    }
}

static void print_footer(const char *chip, const portls_image_report_t *r)
{
    title(chip, "image footer");
    if (r->checksum_read) {
        printf("Checksum: 0x%x (", r->checksum_stored);
        r->checksum_calc == r->checksum_stored ? printf("valid)\n") : printf("invalid - calculated %02x)\n", r->checksum_calc);
    }
    if (r->digest_read) {
        printf("Validation hash: ");
        for (int i = 0; i < 32; i++) {
            printf("%02x", r->digest_calc[i]);
        }
        printf(" (%s)\n", memcmp(r->digest_calc, r->meta.image_digest, 32) == 0 ? "valid" : "invalid");
    } else if (!r->meta.image.hash_appended) {
        printf("Validation hash: Not appended\n");
    }
}

static void print_app_desc(const esp_app_desc_t *d)
{
    title("Application", "information");
    printf("Project name: %.32s\nApp version: %.32s\nCompile time: %.16s %.16s\nELF file SHA256: ", d->project_name,
           d->version, d->date, d->time);
    for (int i = 0; i < 32; i++) {
        printf("%02x", d->app_elf_sha256[i]);
    }
    printf("\nESP-IDF: %.32s\nSecure version: %" PRIu32 "\n", d->idf_ver, d->secure_version);
}

typedef struct {
    const char *path;
    const portls_chip_t *chip;
    long revision; /* < 0: the default */
    bool json;
} info_opts_t;

static int info_chip(void *ctx, char *arg)
{
    return chip_option(&((info_opts_t *)ctx)->chip, arg);
}

static const struct option info_options[] = {
    { "chip", required_argument, NULL, OPT_CHIP }, { "chip-rev", required_argument, NULL, OPT_CHIP_REV },
    { "json", no_argument, NULL, OPT_JSON },       { "help", no_argument, NULL, OPT_HELP }, { 0 },
};

static const cli_field_t info_fields[] = {
    CLI_FN(OPT_CHIP, info_chip),
    CLI_NUMBER(OPT_CHIP_REV, CLI_LONG, offsetof(info_opts_t, revision), 0, 65535),
    CLI_FIELD(OPT_JSON, CLI_TRUE, offsetof(info_opts_t, json)),
    CLI_HELP_ROW(OPT_HELP),
    CLI_END,
};

static const cli_spec_t info_spec = { "image", "", info_options, info_fields, usage };

/* @return -1 to go on, or the exit status. */
static int parse_info(int argc, char **argv, info_opts_t *o)
{
    o->revision = -1;
    int rc = cli_parse_fields(argc, argv, &info_spec, o);
    if (rc != 0) {
        return rc - 1;
    }
    o->path = optind + 1 == argc ? argv[optind] : NULL;
    return o->path != NULL ? -1 : usage(stderr);
}

static unsigned revision_for(const info_opts_t *o, const portls_chip_t *chip)
{
    if (o->revision >= 0) {
        return (unsigned)o->revision;
    }
    return chip == portls_chip_emulated() ? portls_chip_revision() : chip->min_rev_full;
}

static void print_report(const portls_image_report_t *r, const esp_image_header_t *h, const portls_chip_t *chip,
                         unsigned rev)
{
    char name[16];
    display_name(chip, name);
    print_header(name, h);
    print_segments(r, chip);
    print_footer(name, r);
    if (r->has_app_desc) {
        print_app_desc(&r->app_desc);
    }
    printf("\nesp_image_verify for %s v%u.%u: %s%s\n", chip->name, rev / 100, rev % 100,
           r->result == ESP_OK ? "valid" : "invalid: ", r->reason);
}

/* The chip to check the image for: --chip's, else its header's. NULL (said why) when it has no
 * header or names no chip portls knows. */
static const portls_chip_t *chip_of(const info_opts_t *o, const cert_file_t *file)
{
    const esp_image_header_t *h = (const esp_image_header_t *)file->data;
    if (file->len < sizeof(*h) || h->magic != ESP_IMAGE_HEADER_MAGIC) {
        fail(o->path, file->len == 0 ? "File is empty" : "This is not a valid image (invalid magic number)");
        return NULL;
    }
    const portls_chip_t *chip = o->chip != NULL ? o->chip : portls_chip_by_id(h->chip_id);
    if (chip == NULL) {
        fail(o->path, "Unknown image chip ID (--chip names the chip to check it for)");
    }
    return chip;
}

static int show(const info_opts_t *o, const cert_file_t *file)
{
    const esp_image_header_t *h = (const esp_image_header_t *)file->data;
    if (!o->json) {
        printf("File size: %u (bytes)\n", file->len);
    }
    const portls_chip_t *chip = chip_of(o, file);
    if (chip == NULL) {
        return 1;
    }
    portls_image_report_t r;
    unsigned rev = revision_for(o, chip);
    portls_image_check(file->data, file->len, 0, file->len, chip, rev, ESP_IMAGE_APPLICATION, &r);
    if (o->json) {
        cJSON *obj = image_json(file->len, &r, chip, rev);
        if (obj == NULL || report_json_print(stdout, obj) != 0) {
            return fail(o->path, "out of memory");
        }
    } else {
        print_report(&r, h, chip, rev);
    }
    return r.result == ESP_OK ? 0 : 1;
}

static int info(int argc, char **argv)
{
    info_opts_t o = { 0 };
    int rc = parse_info(argc, argv, &o);
    if (rc >= 0) {
        return rc;
    }
    cert_file_t file;
    if (cert_file_load_raw(o.path, &file) != 0) {
        return fail(o.path, strerror(errno));
    }
    rc = show(&o, &file);
    cert_file_free(&file);
    return rc;
}

int cmd_image(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "wrap") == 0) {
        return wrap(argc - 1, argv + 1);
    }
    if (argc >= 2 && strcmp(argv[1], "info") == 0) {
        return info(argc - 1, argv + 1);
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        return usage(stdout);
    }
    return usage(stderr);
}
