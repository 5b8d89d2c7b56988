/* portls bundle build|list: makes and reads certificate bundles in ESP-IDF's format. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert_file.h"
#include "cli.h"
#include "commands.h"
#include "crt_bundle_format.h"
#include "crt_bundle_writer.h"
#include "mbedtls/x509_crt.h"
#include "sdkconfig.h"

#define MAX_FILTER_NAMES 1024

static int usage(FILE *out)
{
    fputs("usage: portls bundle build -o OUTPUT [--filter NAMES] [--max N] [--allow-non-ca] FILE_OR_DIR...\n"
          "       portls bundle list BUNDLE\n"
          "build: writes the bundle (ESP-IDF v5.4+ format) of every PEM/DER certificate in the files\n"
          "       and directories given, sorted by subject, duplicates once. --filter keeps only the\n"
          "       certificates named in the file NAMES: one name per line (a certificate's CN, else OU,\n"
          "       else O; case does not matter), or ESP-IDF's CSV with the name in the second column.\n"
          "       --max is the most certificates allowed (default CONFIG_MBEDTLS_CERTIFICATE_BUNDLE_MAX_CERTS).\n"
          "       A certificate that is not a CA (no basicConstraints CA:TRUE) is refused: its entry would\n"
          "       be trusted to sign for any name. --allow-non-ca keeps it with a warning.\n"
          "list:  checks a bundle and prints one line per entry: index, subject, key.\n", out);
    return out == stdout ? 0 : 2;
}

/* The name on one line of a filter file, in place: the second CSV column if there are commas. */
static char *filter_name(char *line)
{
    char *comma = strchr(line, ',');
    if (comma != NULL) {
        line = comma + 1;
        line[strcspn(line, ",")] = '\0';
    }
    line[strcspn(line, "\r\n")] = '\0';
    while (*line == ' ' || *line == '"') {
        line++;
    }
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '"')) {
        line[--n] = '\0';
    }
    return line;
}

/* Reads the names of a filter file into names (NULL-terminated, malloc'd strings). */
static int load_filter(const char *path, char **names)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    char line[512];
    int n = 0;
    while (n < MAX_FILTER_NAMES && fgets(line, sizeof(line), f) != NULL) {
        char *name = filter_name(line);
        if (*name != '\0' && *name != '#' && (names[n] = strdup(name)) != NULL) {
            n++;
        }
    }
    names[n] = NULL;
    fclose(f);
    return 0;
}

static void free_names(char **names)
{
    for (int i = 0; names != NULL && names[i] != NULL; i++) {
        free(names[i]);
    }
    free(names);
}

typedef struct {
    const char *output, *filter;
    unsigned long max;
    bool allow_non_ca;
} build_opts_t;

static int parse_build_opts(int argc, char **argv, build_opts_t *o)
{
    static const struct option longopts[] = {
        { "filter", required_argument, NULL, 'f' }, { "max", required_argument, NULL, 'm' },
        { "allow-non-ca", no_argument, NULL, 'a' },  { 0 },
    };
    int c;
    o->max = CONFIG_MBEDTLS_CERTIFICATE_BUNDLE_MAX_CERTS;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        if (c == 'o') {
            o->output = optarg;
        } else if (c == 'f') {
            o->filter = optarg;
        } else if (c == 'm') {
            o->max = strtoul(optarg, NULL, 10);
        } else if (c == 'a') {
            o->allow_non_ca = true;
        } else {
            return -1;
        }
    }
    return o->output != NULL && optind < argc && o->max > 0 ? 0 : -1;
}

static void say_non_ca(const mbedtls_x509_crt *crt, void *ctx)
{
    const build_opts_t *o = ctx;
    char subject[512];
    mbedtls_x509_dn_gets(subject, sizeof(subject), &crt->subject);
    fprintf(stderr, "portls bundle: %s: %s is not a CA (no basicConstraints CA:TRUE); its entry would be trusted "
                    "to sign for any name\n", o->allow_non_ca ? "warning" : "refused", subject);
}

/* The bundle of the selected certificates, written to o->output. @return 0, or -1. */
static int build_and_write(const mbedtls_x509_crt *chain, const char *const *names, build_opts_t *o)
{
    size_t non_ca = crt_bundle_find_non_ca(chain, names, say_non_ca, o);
    if (non_ca > 0 && !o->allow_non_ca) {
        fprintf(stderr, "portls bundle: %zu certificates are not CAs; --allow-non-ca keeps them\n", non_ca);
        return -1;
    }
    uint8_t *bundle;
    size_t len;
    uint32_t count;
    const char *error;
    int rc = crt_bundle_build(chain, names, (uint32_t)o->max, &bundle, &len, &count, &error);
    if (rc != 0) {
        fprintf(stderr, "portls bundle: %s (%u)\n", error, (unsigned)count);
    } else if ((rc = cli_write_file("bundle", o->output, bundle, len)) == 0) {
        printf("%s: %u certificates, %zu bytes\n", o->output, (unsigned)count, len);
    }
    free(bundle);
    return rc;
}

static int bundle_build(int argc, char **argv)
{
    build_opts_t o = { 0 };
    if (parse_build_opts(argc, argv, &o) != 0) {
        return usage(stderr);
    }
    char **names = o.filter ? calloc(MAX_FILTER_NAMES + 1, sizeof(char *)) : NULL;
    if (o.filter != NULL && (names == NULL || load_filter(o.filter, names) != 0)) {
        free_names(names);
        return 1;
    }
    mbedtls_x509_crt chain;
    mbedtls_x509_crt_init(&chain);
    for (int i = optind; i < argc; i++) {
        if (crt_bundle_load(&chain, argv[i]) != 0) {
            fprintf(stderr, "portls bundle: no certificate could be read from %s\n", argv[i]);
        }
    }
    int rc = build_and_write(&chain, (const char *const *)names, &o);
    free_names(names);
    mbedtls_x509_crt_free(&chain);
    return rc == 0 ? 0 : 1;
}

/* One line: the index, the subject as mbedTLS prints it, the key type and size. */
static void list_entry(const crt_bundle_t *b, uint32_t i)
{
    crt_bundle_entry_t e = crt_bundle_entry(b, i);
    size_t size = crt_bundle_root_der_size(&e);
    uint8_t *der = malloc(size);
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    char subject[512] = "(unparsable entry)";
    if (der != NULL && mbedtls_x509_crt_parse_der(&crt, der, crt_bundle_root_der(&e, der, size)) == 0) {
        mbedtls_x509_dn_gets(subject, sizeof(subject), &crt.subject);
        printf("%4u  %s  (%s %zu)\n", (unsigned)i, subject, mbedtls_pk_get_name(&crt.pk),
               mbedtls_pk_get_bitlen(&crt.pk));
    } else {
        printf("%4u  %s\n", (unsigned)i, subject);
    }
    mbedtls_x509_crt_free(&crt);
    free(der);
}

static int bundle_list(int argc, char **argv)
{
    if (argc != 2) {
        return usage(stderr);
    }
    cert_file_t file;
    if (cert_file_load(argv[1], &file) != 0) {
        perror(argv[1]);
        return 1;
    }
    crt_bundle_t b;
    crt_bundle_status_t st = crt_bundle_check(file.data, file.len, UINT32_MAX, &b); /* binary: no NUL added */
    if (st != CRT_BUNDLE_OK) {
        fprintf(stderr, "portls bundle: %s is not a valid bundle: %s\n", argv[1], crt_bundle_status_text(st));
    } else {
        for (uint32_t i = 0; i < b.count; i++) {
            list_entry(&b, i);
        }
    }
    cert_file_free(&file);
    return st == CRT_BUNDLE_OK ? 0 : 1;
}

int cmd_bundle(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "build") == 0) {
        return bundle_build(argc - 1, argv + 1);
    }
    if (argc >= 2 && strcmp(argv[1], "list") == 0) {
        return bundle_list(argc - 1, argv + 1);
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        return usage(stdout);
    }
    return usage(stderr);
}
