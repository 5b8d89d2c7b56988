#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
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

int cli_number(const char *cmd, const char *flag, const char *arg, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end != '\0' || errno == ERANGE || v < min || v > max) {
        fprintf(stderr, "portls %s: %s '%s' is not a number from %ld to %ld\n", cmd, flag, arg, min, max);
        return -1;
    }
    *out = v;
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
