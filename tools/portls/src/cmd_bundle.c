/* portls bundle build|list: makes and reads certificate bundles in ESP-IDF's format. */
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert_file.h"
#include "cli.h"
#include "commands.h"
#include "crt_bundle_format.h"
#include "crt_bundle_writer.h"
#include "report.h"
#include "mbedtls/x509_crt.h"
#include "sdkconfig.h"
#ifdef CONFIG_MBEDTLS_CERTIFICATE_BUNDLE
#include "esp_crt_bundle_default.h"
#endif

#define MAX_FILTER_NAMES 1024

static int usage(FILE *out)
{
    fputs("usage: portls bundle build -o OUTPUT [--filter NAMES] [--max N] [--allow-non-ca] FILE_OR_DIR...\n"
          "       portls bundle list (BUNDLE | --builtin) [--json]\n"
          "build: writes the bundle (ESP-IDF v5.4+ format) of every PEM/DER certificate in the files\n"
          "       and directories given, sorted by subject, duplicates once. --filter keeps only the\n"
          "       certificates named in the file NAMES: one name per line (a certificate's CN, else OU,\n"
          "       else O; case does not matter), or ESP-IDF's CSV with the name in the second column.\n"
          "       --max is the most certificates allowed (default CONFIG_MBEDTLS_CERTIFICATE_BUNDLE_MAX_CERTS).\n"
          "       A certificate that is not a CA (no basicConstraints CA:TRUE) is refused: its entry would\n"
          "       be trusted to sign for any name. --allow-non-ca keeps it with a warning.\n"
          "list:  checks a bundle and prints one line per entry: index, subject, key. --builtin lists the\n"
          "       bundle built into portls (the Mozilla CA set); --json prints a JSON array (README).\n", out);
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
    long max;
    bool allow_non_ca;
} build_opts_t;

enum { OPT_FILTER = 256, OPT_MAX, OPT_ALLOW_NON_CA, OPT_BUILTIN, OPT_JSON, OPT_HELP };

static const struct option build_options[] = {
    { "output", required_argument, NULL, 'o' },    { "filter", required_argument, NULL, OPT_FILTER },
    { "max", required_argument, NULL, OPT_MAX },   { "allow-non-ca", no_argument, NULL, OPT_ALLOW_NON_CA },
    { "help", no_argument, NULL, OPT_HELP },       { 0 },
};

static const cli_field_t build_fields[] = {
    CLI_FIELD('o', CLI_TEXT, offsetof(build_opts_t, output)),
    CLI_FIELD(OPT_FILTER, CLI_TEXT, offsetof(build_opts_t, filter)),
    CLI_NUMBER(OPT_MAX, CLI_LONG, offsetof(build_opts_t, max), 1, UINT32_MAX),
    CLI_FIELD(OPT_ALLOW_NON_CA, CLI_TRUE, offsetof(build_opts_t, allow_non_ca)),
    CLI_HELP_ROW(OPT_HELP),
    CLI_END,
};

static const cli_spec_t build_spec = { "bundle", "o:", build_options, build_fields, usage };

/* @return -1 to go on, or the exit status. */
static int parse_build_opts(int argc, char **argv, build_opts_t *o)
{
    o->max = CONFIG_MBEDTLS_CERTIFICATE_BUNDLE_MAX_CERTS;
    int rc = cli_parse_fields(argc, argv, &build_spec, o);
    if (rc != 0) {
        return rc - 1;
    }
    return o->output != NULL && optind < argc ? -1 : usage(stderr);
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

/* --filter's names (NULL-terminated, malloc'd), or NULL (said why). */
static char **filter_names(const char *path)
{
    char **names = calloc(MAX_FILTER_NAMES + 1, sizeof(char *));
    if (names == NULL) {
        fputs("portls bundle: out of memory\n", stderr);
        return NULL;
    }
    if (load_filter(path, names) != 0) {
        free_names(names);
        return NULL;
    }
    return names;
}

static int bundle_build(int argc, char **argv)
{
    build_opts_t o = { 0 };
    int rc = parse_build_opts(argc, argv, &o);
    if (rc >= 0) {
        return rc;
    }
    char **names = NULL;
    if (o.filter != NULL && (names = filter_names(o.filter)) == NULL) {
        return 1;
    }
    mbedtls_x509_crt chain;
    mbedtls_x509_crt_init(&chain);
    for (int i = optind; i < argc; i++) {
        if (crt_bundle_load(&chain, argv[i]) != 0) {
            fprintf(stderr, "portls bundle: no certificate could be read from %s\n", argv[i]);
        }
    }
    rc = build_and_write(&chain, (const char *const *)names, &o);
    free_names(names);
    mbedtls_x509_crt_free(&chain);
    return rc == 0 ? 0 : 1;
}

typedef struct {
    bool builtin, json;
    const char *path;
    cJSON *entries; /* --json */
} list_opts_t;

static const struct option list_options[] = {
    { "builtin", no_argument, NULL, OPT_BUILTIN }, { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, OPT_HELP },       { 0 },
};

static const cli_field_t list_fields[] = {
    CLI_FIELD(OPT_BUILTIN, CLI_TRUE, offsetof(list_opts_t, builtin)),
    CLI_FIELD(OPT_JSON, CLI_TRUE, offsetof(list_opts_t, json)),
    CLI_HELP_ROW(OPT_HELP),
    CLI_END,
};

static const cli_spec_t list_spec = { "bundle", "", list_options, list_fields, usage };

static void json_entry(cJSON *list, uint32_t i, const mbedtls_x509_crt *crt)
{
    char subject[512] = "";
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "index", i);
    cJSON_AddBoolToObject(e, "parsed", crt != NULL);
    if (crt != NULL) {
        mbedtls_x509_dn_gets(subject, sizeof(subject), &crt->subject);
        cJSON_AddStringToObject(e, "subject", subject);
        cJSON_AddStringToObject(e, "key_type", mbedtls_pk_get_name(&crt->pk));
        cJSON_AddNumberToObject(e, "key_bits", (double)mbedtls_pk_get_bitlen(&crt->pk));
    }
    cJSON_AddItemToArray(list, e);
}

static void print_entry(uint32_t i, const mbedtls_x509_crt *crt)
{
    char subject[512];
    if (crt == NULL) {
        printf("%4u  (unparsable entry)\n", (unsigned)i);
        return;
    }
    mbedtls_x509_dn_gets(subject, sizeof(subject), &crt->subject);
    printf("%4u  %s  (%s %zu)\n", (unsigned)i, subject, mbedtls_pk_get_name(&crt->pk), mbedtls_pk_get_bitlen(&crt->pk));
}

/* One entry: a line (index, subject as mbedTLS prints it, key type and size), or a JSON object. */
static void list_entry(const crt_bundle_t *b, uint32_t i, cJSON *json)
{
    crt_bundle_entry_t e = crt_bundle_entry(b, i);
    size_t size = crt_bundle_root_der_size(&e);
    uint8_t *der = malloc(size);
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    bool parsed = der != NULL && mbedtls_x509_crt_parse_der(&crt, der, crt_bundle_root_der(&e, der, size)) == 0;
    if (json != NULL) {
        json_entry(json, i, parsed ? &crt : NULL);
    } else {
        print_entry(i, parsed ? &crt : NULL);
    }
    mbedtls_x509_crt_free(&crt);
    free(der);
}

/* Checks the bytes as a bundle and lists them. @return the exit status. */
static int list_bytes(const list_opts_t *o, const uint8_t *data, size_t len)
{
    crt_bundle_t b;
    crt_bundle_status_t st = crt_bundle_check(data, len, UINT32_MAX, &b); /* binary: no NUL added */
    if (st != CRT_BUNDLE_OK) {
        fprintf(stderr, "portls bundle: %s is not a valid bundle: %s\n", o->path, crt_bundle_status_text(st));
        return 1;
    }
    cJSON *json = o->json ? cJSON_CreateArray() : NULL;
    for (uint32_t i = 0; i < b.count; i++) {
        list_entry(&b, i, json);
    }
    return json != NULL && report_json_print(stdout, json) != 0 ? 1 : 0;
}

static int list_builtin(list_opts_t *o)
{
#ifdef CONFIG_MBEDTLS_CERTIFICATE_BUNDLE
    o->path = "the built-in bundle";
    return list_bytes(o, esp_crt_bundle_default_data, esp_crt_bundle_default_size);
#else
    (void)o;
    fputs("portls bundle: this build has no built-in bundle (a system mbedTLS without the trusted-certificate "
          "callback)\n", stderr);
    return 1;
#endif
}

static int bundle_list(int argc, char **argv)
{
    list_opts_t o = { 0 };
    int rc = cli_parse_fields(argc, argv, &list_spec, &o);
    if (rc != 0) {
        return rc - 1;
    }
    if (optind != argc - (o.builtin ? 0 : 1)) {
        return usage(stderr);
    }
    if (o.builtin) {
        return list_builtin(&o);
    }
    o.path = argv[optind];
    cert_file_t file;
    if (cert_file_load_raw(o.path, &file) != 0) {
        perror(o.path);
        return 1;
    }
    rc = list_bytes(&o, file.data, file.len);
    cert_file_free(&file);
    return rc;
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
