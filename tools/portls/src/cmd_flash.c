/* portls flash: make a flash image file from a partition CSV, show what it holds and what would
 * boot, and change otadata and partitions as ESP-IDF's otatool.py and parttool.py do. The
 * commands act on the file from outside: the simulated bootloader does not run. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootloader_common.h"
#include "bootloader_flash_priv.h"
#include "cert_file.h"
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
          "       portls flash info FLASH\n"
          "       portls flash set-boot FLASH (--slot N | --name LABEL)\n"
          "       portls flash mark-valid|mark-invalid|erase-otadata FLASH\n"
          "       portls flash read FLASH LABEL -o FILE\n"
          "       portls flash write FLASH LABEL FILE [--ignore-readonly]\n"
          "create:   a flash of SIZE bytes (default 4MB; K and M suffixes) erased to 0xFF, with the table of the\n"
          "          CSV (gen_esp32part.py's rules) and its MD5 at the partition table offset.\n"
          "info:     the table, both otadata entries, each app's descriptor and check, and what would boot.\n"
          "set-boot: otadata selects OTA slot N (or the app partition LABEL) at the next boot, as\n"
          "          esp_ota_set_boot_partition() does; the factory app erases otadata. The image must verify.\n"
          "mark-valid, mark-invalid: the state of the active otadata entry, as the running app sets it.\n"
          "erase-otadata: both otadata sectors erased: the factory (or first) app boots.\n"
          "read, write: a whole partition; write erases it first (parttool.py's write_partition).\n", out);
    return out == stdout ? 0 : 2;
}

static int create(int argc, char **argv)
{
    static const struct option longopts[] = { { "table", required_argument, NULL, 't' },
                                               { "size", required_argument, NULL, 's' }, { 0 } };
    const char *csv_path = NULL, *size_text = "4MB", *output = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        if (c == 't') {
            csv_path = optarg;
        } else if (c == 's') {
            size_text = optarg;
        } else if (c == 'o') {
            output = optarg;
        } else {
            return usage(stderr);
        }
    }
    if (csv_path == NULL || output == NULL || optind != argc) {
        return usage(stderr);
    }
    return flash_create(csv_path, size_text, output);
}

static int info(int argc, char **argv)
{
    if (argc != 2) {
        return usage(stderr);
    }
    return flash_info(argv[1]);
}

static int set_boot(int argc, char **argv)
{
    static const struct option longopts[] = { { "slot", required_argument, NULL, 's' },
                                               { "name", required_argument, NULL, 'n' }, { 0 } };
    const char *slot = NULL, *name = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 's') {
            slot = optarg;
        } else if (c == 'n') {
            name = optarg;
        } else {
            return usage(stderr);
        }
    }
    if (optind + 1 != argc || (slot == NULL) == (name == NULL)) {
        return usage(stderr);
    }
    return flash_set_boot(argv[optind], slot, name);
}

static int read_part(int argc, char **argv)
{
    const char *output = NULL;
    int c;
    optind = 1;
    while ((c = getopt(argc, argv, "o:")) != -1) {
        if (c != 'o') {
            return usage(stderr);
        }
        output = optarg;
    }
    if (output == NULL || optind + 2 != argc) {
        return usage(stderr);
    }
    return flash_read_partition(argv[optind], argv[optind + 1], output);
}

static int write_part(int argc, char **argv)
{
    static const struct option longopts[] = { { "ignore-readonly", no_argument, NULL, 'i' }, { 0 } };
    bool ignore_readonly = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c != 'i') {
            return usage(stderr);
        }
        ignore_readonly = true;
    }
    if (optind + 3 != argc) {
        return usage(stderr);
    }
    return flash_write_partition(argv[optind], argv[optind + 1], argv[optind + 2], ignore_readonly);
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
