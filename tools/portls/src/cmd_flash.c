/* portls flash: make a flash image file from a partition CSV, show what it holds and what would
 * boot, and change otadata and partitions as ESP-IDF's otatool.py and parttool.py do. The
 * commands act on the file from outside: the simulated bootloader does not run. */
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootloader_common.h"
#include "bootloader_flash_priv.h"
#include "cert_file.h"
#include "cli.h"
#include "commands.h"
#include "esp_private/partition_linux.h"
#include "flash_tool.h"
#include "partition_csv.h"
#include "portls_boot.h"
#include "portls_format.h"
#include "sdkconfig.h"

static int usage(FILE *out)
{
    fputs("usage: portls flash create --table partitions.csv [--size SIZE] -o FLASH\n"
          "       portls flash info FLASH [--json]\n"
          "       portls flash set-boot FLASH (--slot N | --name LABEL)\n"
          "       portls flash mark-valid|mark-invalid|erase-otadata FLASH\n"
          "       portls flash read FLASH LABEL -o FILE\n"
          "       portls flash write FLASH LABEL FILE [--ignore-readonly]\n"
          "create:   a flash of SIZE bytes (default 4MB; K and M suffixes) erased to 0xFF, with the table of the\n"
          "          CSV (gen_esp32part.py's rules) and its MD5 at the partition table offset.\n"
          "info:     the table, both otadata entries, each app's descriptor and check, and what would boot;\n"
          "          --json prints them as one JSON object (schema in the README).\n"
          "set-boot: otadata selects OTA slot N (or the app partition LABEL) at the next boot, as\n"
          "          esp_ota_set_boot_partition() does; the factory app erases otadata. The image must verify.\n"
          "mark-valid, mark-invalid: the state of the active otadata entry, as the running app sets it.\n"
          "erase-otadata: both otadata sectors erased: the factory (or first) app boots.\n"
          "read, write: a whole partition; write erases it first (parttool.py's write_partition).\n", out);
    return out == stdout ? 0 : 2;
}

typedef struct {
    const char *table, *size, *output, *name;
    long slot;
    bool json, ignore_readonly;
} flash_opts_t;

enum { OPT_TABLE = 256, OPT_SIZE, OPT_SLOT, OPT_NAME, OPT_JSON, OPT_IGNORE_READONLY, OPT_HELP };

/* Each subcommand's own options; one table of what they do. */
#define HELP_OPTION { "help", no_argument, NULL, OPT_HELP }
static const struct option create_options[] = {
    { "table", required_argument, NULL, OPT_TABLE }, { "size", required_argument, NULL, OPT_SIZE },
    { "output", required_argument, NULL, 'o' },      HELP_OPTION, { 0 },
};
static const struct option info_options[] = { { "json", no_argument, NULL, OPT_JSON }, HELP_OPTION, { 0 } };
static const struct option set_boot_options[] = {
    { "slot", required_argument, NULL, OPT_SLOT }, { "name", required_argument, NULL, OPT_NAME }, HELP_OPTION, { 0 },
};
static const struct option read_options[] = { { "output", required_argument, NULL, 'o' }, HELP_OPTION, { 0 } };
static const struct option write_options[] = {
    { "ignore-readonly", no_argument, NULL, OPT_IGNORE_READONLY }, HELP_OPTION, { 0 },
};

/* --size: a number of bytes (a usage error otherwise); create checks that it fits the table. */
static int size_option(void *ctx, char *arg)
{
    if (flash_parse_size(arg) == 0) {
        fprintf(stderr, "portls flash: --size '%s' is not a size (bytes, decimal or 0x hex, with K, KB, M or MB)\n",
                arg);
        return 3;
    }
    ((flash_opts_t *)ctx)->size = arg;
    return 0;
}

#define FIELD(name) offsetof(flash_opts_t, name)
static const cli_field_t fields[] = {
    CLI_FIELD(OPT_TABLE, CLI_TEXT, FIELD(table)),
    CLI_FN(OPT_SIZE, size_option),
    CLI_FIELD('o', CLI_TEXT, FIELD(output)),
    CLI_NUMBER(OPT_SLOT, CLI_LONG, FIELD(slot), 0, 15),
    CLI_FIELD(OPT_NAME, CLI_TEXT, FIELD(name)),
    CLI_FIELD(OPT_JSON, CLI_TRUE, FIELD(json)),
    CLI_FIELD(OPT_IGNORE_READONLY, CLI_TRUE, FIELD(ignore_readonly)),
    CLI_HELP_ROW(OPT_HELP),
    CLI_END,
};

/* Parses argv into o with the subcommand's options; operands must number exactly operands.
 * @return -1 to go on, or the exit status. */
static int parse(int argc, char **argv, flash_opts_t *o, const char *short_options, const struct option *options,
                 int operands)
{
    const cli_spec_t spec = { "flash", short_options, options, fields, usage };
    *o = (flash_opts_t){ .size = "4MB", .slot = -1 };
    int rc = cli_parse_fields(argc, argv, &spec, o);
    if (rc != 0) {
        return rc - 1;
    }
    return optind + operands == argc ? -1 : usage(stderr);
}

static int create(int argc, char **argv)
{
    flash_opts_t o;
    int rc = parse(argc, argv, &o, "o:", create_options, 0);
    if (rc >= 0) {
        return rc;
    }
    return o.table == NULL || o.output == NULL ? usage(stderr) : flash_create(o.table, o.size, o.output);
}

static int info(int argc, char **argv)
{
    flash_opts_t o;
    int rc = parse(argc, argv, &o, "", info_options, 1);
    if (rc >= 0) {
        return rc;
    }
    return o.json ? flash_info_json(argv[optind]) : flash_info(argv[optind]);
}

static int set_boot(int argc, char **argv)
{
    flash_opts_t o;
    int rc = parse(argc, argv, &o, "", set_boot_options, 1);
    if (rc >= 0) {
        return rc;
    }
    if ((o.slot < 0) == (o.name == NULL)) {
        return usage(stderr);
    }
    return flash_set_boot(argv[optind], o.slot, o.name);
}

static int read_part(int argc, char **argv)
{
    flash_opts_t o;
    int rc = parse(argc, argv, &o, "o:", read_options, 2);
    if (rc >= 0) {
        return rc;
    }
    return o.output == NULL ? usage(stderr) : flash_read_partition(argv[optind], argv[optind + 1], o.output);
}

static int write_part(int argc, char **argv)
{
    flash_opts_t o;
    int rc = parse(argc, argv, &o, "", write_options, 3);
    if (rc >= 0) {
        return rc;
    }
    return flash_write_partition(argv[optind], argv[optind + 1], argv[optind + 2], o.ignore_readonly);
}

static int otadata_command(int argc, char **argv)
{
    if (argc != 2) {
        return usage(stderr);
    }
    if (strcmp(argv[0], "erase-otadata") == 0) {
        return flash_erase_otadata(argv[1]);
    }
    return flash_mark(argv[1], strcmp(argv[0], "mark-valid") == 0);
}

int cmd_flash(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
    } subcommands[] = {
        { "create", create }, { "info", info }, { "set-boot", set_boot }, { "mark-valid", otadata_command },
        { "mark-invalid", otadata_command }, { "erase-otadata", otadata_command }, { "read", read_part },
        { "write", write_part },
    };
    for (size_t i = 0; argc >= 2 && i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
        if (strcmp(argv[1], subcommands[i].name) == 0) {
            return subcommands[i].run(argc - 1, argv + 1);
        }
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        return usage(stdout);
    }
    return usage(stderr);
}
