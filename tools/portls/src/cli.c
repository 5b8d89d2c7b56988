#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "esp_crt_bundle.h"
#include "esp_tls.h"

int cli_parse(int argc, char **argv, const char *short_options, const struct option *options, cli_option_fn handle,
              void *ctx)
{
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, short_options, options, NULL)) != -1) {
        int rc = handle(opt, optarg, ctx);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* The long name of opt in spec's table, or NULL. */
static const char *long_name(const cli_spec_t *spec, int opt)
{
    for (const struct option *o = spec->options; o->name != NULL; o++) {
        if (o->val == opt && o->flag == NULL) {
            return o->name;
        }
    }
    return NULL;
}

/* How the user may spell the option opt: "-p/--port", "--timeout" or "-m", into buf. */
static const char *flag_name(const cli_spec_t *spec, int opt, char *buf, size_t len)
{
    const char *name = long_name(spec, opt);
    bool short_too = opt > 0 && opt < 128 && strchr(spec->short_options, opt) != NULL;
    if (name == NULL) {
        snprintf(buf, len, "-%c", opt);
    } else if (short_too) {
        snprintf(buf, len, "-%c/--%s", opt, name);
    } else {
        snprintf(buf, len, "--%s", name);
    }
    return buf;
}

static int spec_number(const cli_spec_t *spec, int opt, const char *arg, long min, long max, long *out)
{
    char flag[64];
    return cli_number(spec->cmd, flag_name(spec, opt, flag, sizeof(flag)), arg, min, max, out);
}

static const cli_field_t *field_of(const cli_spec_t *spec, int opt)
{
    for (const cli_field_t *f = spec->fields; f->opt != 0; f++) {
        if (f->opt == opt) {
            return f;
        }
    }
    return NULL;
}

/* Each kind's work: 0 to go on, or the exit status + 1. field is the option's field in ctx. */
typedef int (*setter_t)(const cli_spec_t *spec, const cli_field_t *f, char *arg, void *ctx, char *field);

static int set_text(const cli_spec_t *spec, const cli_field_t *f, char *arg, void *ctx, char *field)
{
    (void)spec, (void)f, (void)ctx;
    *(const char **)field = arg;
    return 0;
}

static int set_bool(const cli_spec_t *spec, const cli_field_t *f, char *arg, void *ctx, char *field)
{
    (void)spec, (void)arg, (void)ctx;
    *(bool *)field = f->kind == CLI_TRUE;
    return 0;
}

static int set_value(const cli_spec_t *spec, const cli_field_t *f, char *arg, void *ctx, char *field)
{
    (void)spec, (void)arg, (void)ctx;
    *(int *)field = (int)f->min;
    return 0;
}

/* A number into its int or long field, or 3 (exit 2, said why). */
static int set_number(const cli_spec_t *spec, const cli_field_t *f, char *arg, void *ctx, char *field)
{
    (void)ctx;
    long v;
    if (spec_number(spec, f->opt, arg, f->min, f->max, &v) != 0) {
        return 3;
    }
    if (f->kind == CLI_INT) {
        *(int *)field = (int)v;
    } else {
        *(long *)field = v;
    }
    return 0;
}

static int call(const cli_spec_t *spec, const cli_field_t *f, char *arg, void *ctx, char *field)
{
    (void)spec, (void)field;
    return f->call(ctx, arg);
}

static int help(const cli_spec_t *spec, const cli_field_t *f, char *arg, void *ctx, char *field)
{
    (void)f, (void)arg, (void)ctx, (void)field;
    return spec->usage(stdout) + 1;
}

static const setter_t setters[] = {
    [CLI_TEXT] = set_text, [CLI_TRUE] = set_bool, [CLI_FALSE] = set_bool, [CLI_VALUE] = set_value,
    [CLI_INT] = set_number, [CLI_LONG] = set_number, [CLI_CALL] = call, [CLI_HELP] = help,
};

/* @return 0 to go on, or the exit status + 1. */
static int apply(const cli_spec_t *spec, int opt, char *arg, void *ctx)
{
    const cli_field_t *f = field_of(spec, opt);
    if (f == NULL) {
        return spec->usage(stderr) + 1;
    }
    return setters[f->kind](spec, f, arg, ctx, (char *)ctx + f->offset);
}

typedef struct {
    const cli_spec_t *spec;
    void *ctx;
} fields_ctx_t;

static int apply_fields(int opt, char *arg, void *packed)
{
    fields_ctx_t *p = packed;
    return apply(p->spec, opt, arg, p->ctx);
}

int cli_parse_fields(int argc, char **argv, const cli_spec_t *spec, void *ctx)
{
    fields_ctx_t p = { spec, ctx };
    return cli_parse(argc, argv, spec->short_options, spec->options, apply_fields, &p);
}

/* arg as a whole number, decimal or 0x-hexadecimal. @return whether it is one. */
static bool whole_number(const char *arg, long *v)
{
    char *end = NULL;
    errno = 0;
    bool hex = arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X');
    *v = strtol(arg, &end, hex ? 16 : 10);
    return end != arg && *end == '\0' && errno != ERANGE;
}

int cli_number(const char *cmd, const char *flag, const char *arg, long min, long max, long *out)
{
    long v;
    if (!whole_number(arg, &v) || v < min || v > max) {
        fprintf(stderr, "portls %s: %s '%s' is not a number from %ld to %ld\n", cmd, flag, arg, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_host_port(const char *cmd, const char *arg, char *host, size_t size, int *port)
{
    const char *colon = strrchr(arg, ':');
    const char *name = arg;
    size_t len = colon ? (size_t)(colon - arg) : 0;
    if (len >= 2 && arg[0] == '[' && arg[len - 1] == ']') {
        name++;
        len -= 2;
    }
    long number;
    if (len == 0 || len >= size || cli_number(cmd, "HOST:PORT's port", colon + 1, 1, 65535, &number) != 0) {
        fprintf(stderr, "portls %s: '%s' is not HOST:PORT\n", cmd, arg);
        return -1;
    }
    memcpy(host, name, len);
    host[len] = '\0';
    *port = (int)number;
    return 0;
}

int cli_alpn_list(const char *cmd, char *list, char **out, int max)
{
    int n = 0;
    for (char *save, *p = strtok_r(list, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save)) {
        if (n == max) {
            fprintf(stderr, "portls %s: at most %d ALPN protocols\n", cmd, max);
            return -1;
        }
        out[n++] = p;
    }
    out[n] = NULL;
    return 0;
}

int cli_load(const char *cmd, const char *path, cert_file_t *f)
{
    if (path != NULL && cert_file_load(path, f) != 0) {
        fprintf(stderr, "portls %s: cannot read %s: %s\n", cmd, path, strerror(errno));
        return -1;
    }
    return 0;
}

const char *cli_default_ca_file(void)
{
#ifdef CONFIG_MBEDTLS_CERTIFICATE_BUNDLE
    return NULL;
#else
    return ESP_TLS_SYSTEM_TRUST_STORE;
#endif
}

int cli_write_file(const char *cmd, const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    int ok = f != NULL && fwrite(data, 1, len, f) == len;
    if (f == NULL || fclose(f) != 0 || !ok) {
        fprintf(stderr, "portls %s: cannot write %s: %s\n", cmd, path, strerror(errno));
        return -1;
    }
    return 0;
}

int cli_trust_of(const char *cmd, const char *cacert, const char *capath, const char *bundle, cli_trust_t *out)
{
    const char *given[] = { [CLI_TRUST_CACERT] = cacert, [CLI_TRUST_CAPATH] = capath, [CLI_TRUST_BUNDLE] = bundle };
    int count = 0;
    out->path = cli_default_ca_file();
    out->kind = out->path == NULL ? CLI_TRUST_BUILTIN : CLI_TRUST_SYSTEM;
    for (int k = CLI_TRUST_CACERT; k <= CLI_TRUST_BUNDLE; k++) {
        if (given[k] != NULL) {
            out->kind = (cli_trust_kind_t)k;
            out->path = given[k];
            count++;
        }
    }
    if (count > 1) {
        fprintf(stderr, "portls %s: --cacert, --capath and --bundle each name the whole trust: give one\n", cmd);
        return -1;
    }
    return 0;
}

int cli_use_bundle(const char *cmd, const char *path, cert_file_t *f)
{
    if (cert_file_load_raw(path, f) != 0) {
        fprintf(stderr, "portls %s: cannot read %s: %s\n", cmd, path, strerror(errno));
        return -1;
    }
    esp_err_t err = esp_crt_bundle_set(f->data, f->len);
    if (err != ESP_OK) {
        fprintf(stderr, "portls %s: --bundle %s: %s\n", cmd, path,
                err == ESP_ERR_NOT_SUPPORTED ? "this build's mbedTLS cannot use a bundle (no trusted-certificate "
                                               "callback)"
                                             : "not a valid certificate bundle (portls bundle build makes one)");
        return -1;
    }
    return 0;
}

const char *cli_trust_text(const cli_trust_t *trust, char *buf, size_t len)
{
    static const char *const flags[] = { [CLI_TRUST_CACERT] = "--cacert", [CLI_TRUST_CAPATH] = "--capath",
                                         [CLI_TRUST_BUNDLE] = "--bundle" };
    if (trust->kind == CLI_TRUST_BUILTIN) {
        snprintf(buf, len, "the built-in bundle (the Mozilla CA set)");
    } else if (trust->kind == CLI_TRUST_SYSTEM) {
        snprintf(buf, len, "the system trust store (%s)", trust->path);
    } else {
        snprintf(buf, len, "%s %s", flags[trust->kind], trust->path);
    }
    return buf;
}
