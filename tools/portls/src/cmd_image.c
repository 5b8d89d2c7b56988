/* portls image wrap|info: app images as esptool makes and shows them. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cert_file.h"
#include "cli.h"
#include "commands.h"
#include "portls_format.h"
#include "sdkconfig.h"

static int usage(FILE *out)
{
    fputs("usage: portls image wrap PAYLOAD --version V --project P [--chip CHIP] [--secure-version N]\n"
          "                         [--min-rev-full N] [--max-rev-full N] [--idf-ver TEXT] -o APP.bin\n"
          "       portls image info APP.bin [--chip CHIP] [--chip-rev N]\n"
          "wrap: a valid app image of any payload, as esptool elf2image writes one: header, app descriptor\n"
          "      (date and time from SOURCE_DATE_EPOCH if set, else now), one DROM segment, checksum, SHA-256.\n"
          "      CHIP defaults to " CONFIG_IDF_TARGET "; the revisions to ESP-IDF v5.5's defaults for the chip.\n"
          "info: the header, segments, checksum, hash and descriptor (esptool image_info's report), then\n"
          "      esp_image_verify()'s checks for CHIP (default: the image's) at revision N (default: the\n"
          "      emulated one for " CONFIG_IDF_TARGET ", else the chip's oldest). Exit 0 only for a valid image.\n", out);
    return out == stdout ? 0 : 2;
}

static int fail(const char *what, const char *why)
{
    fprintf(stderr, "portls image: %s: %s\n", what, why);
    return 1;
}

static bool number(const char *text, long max, long *out)
{
    char *end;
    errno = 0;
    *out = strtol(text, &end, 0);
    return errno == 0 && *end == '\0' && end != text && *out >= 0 && *out <= max;
}

typedef struct {
    portls_image_config_t cfg;
    const char *output;
    const char *payload;
} wrap_opts_t;

/* --secure-version, --min-rev-full, --max-rev-full. @return 0, or -1 for a bad value */
static int number_option(int c, const char *arg, wrap_opts_t *o)
{
    long n;
    if (!number(arg, c == 's' ? UINT32_MAX : 65535, &n)) {
        return -1;
    }
    if (c == 's') {
        o->cfg.secure_version = (uint32_t)n;
    } else if (c == 'm') {
        o->cfg.min_rev_full = (int)n;
    } else {
        o->cfg.max_rev_full = (int)n;
    }
    return 0;
}

/* Where a text option goes, or NULL. */
static const char **text_option(int c, wrap_opts_t *o)
{
    switch (c) {
    case 'v':
        return &o->cfg.version;
    case 'p':
        return &o->cfg.project_name;
    case 'i':
        return &o->cfg.idf_ver;
    case 'o':
        return &o->output;
    default:
        return NULL;
    }
}

static int wrap_option(int c, const char *arg, wrap_opts_t *o)
{
    const char **text = text_option(c, o);
    bool ok = true;
    if (text != NULL) {
        *text = arg;
    } else if (c == 'c') {
        ok = (o->cfg.chip = portls_chip_by_name(arg)) != NULL;
    } else if (c == 's' || c == 'm' || c == 'M') {
        ok = number_option(c, arg, o) == 0;
    } else {
        return -1;
    }
    return ok ? 0 : fail(arg, "not a valid value for this option") + 1;
}

static int parse_wrap(int argc, char **argv, wrap_opts_t *o)
{
    static const struct option longopts[] = {
        { "version", required_argument, NULL, 'v' }, { "project", required_argument, NULL, 'p' },
        { "chip", required_argument, NULL, 'c' }, { "secure-version", required_argument, NULL, 's' },
        { "min-rev-full", required_argument, NULL, 'm' }, { "max-rev-full", required_argument, NULL, 'M' },
        { "idf-ver", required_argument, NULL, 'i' }, { 0 },
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        if (wrap_option(c, optarg, o) != 0) {
            return -1;
        }
    }
    o->payload = optind + 1 == argc ? argv[optind] : NULL;
    return o->payload && o->output && o->cfg.version && o->cfg.project_name ? 0 : -1;
}

static time_t build_time(void)
{
    const char *epoch = getenv("SOURCE_DATE_EPOCH"); /* reproducible builds */
    return epoch != NULL ? (time_t)strtoll(epoch, NULL, 10) : time(NULL);
}

static int wrap(int argc, char **argv)
{
    wrap_opts_t o = { .cfg = { .min_rev_full = -1, .max_rev_full = -1 } };
    if (parse_wrap(argc, argv, &o) != 0) {
        return usage(stderr);
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
    int rc = cli_write_file("image", o.output, image, len) == 0 ? 0 : 1;
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
static const char *memory_type(const portls_chip_t *chip, uint32_t addr)
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
               r->meta.segment_data[i] - 8, memory_type(chip, s->load_addr));
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
} info_opts_t;

static int parse_info(int argc, char **argv, info_opts_t *o)
{
    static const struct option longopts[] = { { "chip", required_argument, NULL, 'c' },
                                               { "chip-rev", required_argument, NULL, 'r' }, { 0 } };
    int c;
    optind = 1;
    o->revision = -1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        bool ok = c == 'c' ? (o->chip = portls_chip_by_name(optarg)) != NULL : c == 'r' && number(optarg, 65535, &o->revision);
        if (!ok) {
            return -1;
        }
    }
    o->path = optind + 1 == argc ? argv[optind] : NULL;
    return o->path != NULL ? 0 : -1;
}

static unsigned revision_for(const info_opts_t *o, const portls_chip_t *chip)
{
    if (o->revision >= 0) {
        return (unsigned)o->revision;
    }
    return chip == portls_chip_emulated() ? portls_chip_revision() : chip->min_rev_full;
}

static int show(const info_opts_t *o, const cert_file_t *file)
{
    const esp_image_header_t *h = (const esp_image_header_t *)file->data;
    printf("File size: %u (bytes)\n", file->len);
    if (file->len < sizeof(*h) || h->magic != ESP_IMAGE_HEADER_MAGIC) {
        return fail(o->path, file->len == 0 ? "File is empty" : "This is not a valid image (invalid magic number)");
    }
    const portls_chip_t *chip = o->chip != NULL ? o->chip : portls_chip_by_id(h->chip_id);
    if (chip == NULL) {
        return fail(o->path, "Unknown image chip ID (--chip names the chip to check it for)");
    }
    portls_image_report_t r;
    unsigned rev = revision_for(o, chip);
    portls_image_check(file->data, file->len, 0, file->len, chip, rev, ESP_IMAGE_APPLICATION, &r);
    char name[16];
    display_name(chip, name);
    print_header(name, h);
    print_segments(&r, chip);
    print_footer(name, &r);
    if (r.has_app_desc) {
        print_app_desc(&r.app_desc);
    }
    printf("\nesp_image_verify for %s v%u.%u: %s%s\n", chip->name, rev / 100, rev % 100,
           r.result == ESP_OK ? "valid" : "invalid: ", r.reason);
    return r.result == ESP_OK ? 0 : 1;
}

static int info(int argc, char **argv)
{
    info_opts_t o = { 0 };
    if (parse_info(argc, argv, &o) != 0) {
        return usage(stderr);
    }
    cert_file_t file;
    if (cert_file_load_raw(o.path, &file) != 0) {
        return fail(o.path, strerror(errno));
    }
    int rc = show(&o, &file);
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
