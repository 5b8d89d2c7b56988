/* portls diagnose HOST:PORT: what a device with this build's configuration meets at a server,
 * each finding with its fix. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "diagnose.h"
#include "esp_log.h"
#include "esp_tls_heap.h"

static int usage(FILE *out)
{
    fputs("usage: portls diagnose HOST:PORT [--cacert FILE | --capath FILE_OR_DIR]\n"
          "                       [--cert FILE --key FILE [--pass PW]] [--alpn a,b]\n"
          "                       [--device esp32|esp32c3|esp8266|host] [--heap-limit BYTES]\n"
          "                       [--path PATH] [--json]\n"
          "Connects to the server as a device with this build's configuration would, through\n"
          "esp_tls, once with TLS 1.3 and once with TLS 1.2, sends GET PATH (default /) and reads the\n"
          "answer; probes TLS 1.0 and 1.1 with OpenSSL. It reports reachability (every address), the\n"
          "versions and suites, the largest records (the CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN needed),\n"
          "the certificate chain, client authentication, the heap of the handshake against the\n"
          "device's typical free heap, resumption and ALPN: each finding with what it means for a\n"
          "device and the fix. --heap-limit runs one more handshake under that heap budget.\n"
          "The verdict line comes first; --json prints the report as JSON instead. The log of the\n"
          "connections is off unless PORTLS_LOG_LEVEL asks for it.\n"
          "Exit status: 0 a device with this configuration connects, 1 it does not, 2 bad usage.\n", out);
    return out == stdout ? 0 : 2;
}

static int set_device(const char *arg, diag_opts_t *o)
{
    o->device = diag_device_find(arg);
    if (o->device == NULL) {
        fprintf(stderr, "portls diagnose: --device '%s' is not one of %s\n", arg, diag_device_names());
        return -1;
    }
    return 0;
}

static int set_heap_limit(const char *arg, diag_opts_t *o)
{
    if (cli_number("diagnose", "--heap-limit", arg, 1, LONG_MAX, &o->heap_limit) != 0) {
        return -1;
    }
    if (portls_heap_set_limit(0) != ESP_OK) {
        fputs("portls diagnose: --heap-limit needs a build with heap accounting (PORTLS_HEAP_ACCOUNTING)\n", stderr);
        return -1;
    }
    return 0;
}

enum { OPT_CACERT = 256, OPT_CAPATH, OPT_CERT, OPT_KEY, OPT_PASS, OPT_ALPN, OPT_DEVICE, OPT_HEAP_LIMIT, OPT_PATH,
       OPT_JSON, OPT_HELP };

static const struct option long_options[] = {
    { "cacert", required_argument, NULL, OPT_CACERT },
    { "capath", required_argument, NULL, OPT_CAPATH },
    { "cert", required_argument, NULL, OPT_CERT },
    { "key", required_argument, NULL, OPT_KEY },
    { "pass", required_argument, NULL, OPT_PASS },
    { "alpn", required_argument, NULL, OPT_ALPN },
    { "device", required_argument, NULL, OPT_DEVICE },
    { "heap-limit", required_argument, NULL, OPT_HEAP_LIMIT },
    { "path", required_argument, NULL, OPT_PATH },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

/* @return 0 to go on, or an exit status + 1. */
static int parse_option(int opt, char *arg, void *ctx)
{
    diag_opts_t *o = ctx;
    switch (opt) {
    case OPT_CACERT: o->cacert = arg; break;
    case OPT_CAPATH: o->capath = arg; break;
    case OPT_CERT: o->cert = arg; break;
    case OPT_KEY: o->key = arg; break;
    case OPT_PASS: o->pass = arg; break;
    case OPT_ALPN: return cli_alpn_list("diagnose", arg, o->alpn_list, DIAG_MAX_ALPN) ? 3 : 0;
    case OPT_DEVICE: return set_device(arg, o) ? 3 : 0;
    case OPT_HEAP_LIMIT: return set_heap_limit(arg, o) ? 3 : 0;
    case OPT_PATH: o->path = arg; break;
    case OPT_JSON: o->json = true; break;
    case OPT_HELP: return usage(stdout) + 1;
    default: return usage(stderr) + 1;
    }
    return 0;
}

/* @return -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, diag_opts_t *o)
{
    int rc = cli_parse(argc, argv, "", long_options, parse_option, o);
    if (rc != 0) {
        return rc - 1;
    }
    if (optind != argc - 1) {
        return usage(stderr);
    }
    if ((o->cert == NULL) != (o->key == NULL)) {
        fputs("portls diagnose: --cert and --key go together\n", stderr);
        return 2;
    }
    if (o->cacert != NULL && o->capath != NULL) {
        fputs("portls diagnose: --cacert or --capath, not both\n", stderr);
        return 2;
    }
    return cli_host_port("diagnose", argv[optind], o->host, sizeof(o->host), &o->port) ? 2 : -1;
}

static int load_files(diag_opts_t *o)
{
    return cli_load("diagnose", o->cacert, &o->ca_file) || cli_load("diagnose", o->cert, &o->cert_file) ||
                   cli_load("diagnose", o->key, &o->key_file)
               ? -1
               : 0;
}

static int run(diag_opts_t *o)
{
    diag_t d;
    if (diag_init(&d, o) != 0) {
        fputs("portls diagnose: out of memory\n", stderr);
        diag_free(&d);
        return 1;
    }
    if (diag_reachability(&d, o) == 0) {
        diag_tls(&d, o);
    }
    diag_print(&d, o->json);
    int rc = d.connects && d.reached ? 0 : 1;
    diag_free(&d);
    return rc;
}

int cmd_diagnose(int argc, char **argv)
{
    diag_opts_t o = { .path = "/" };
    if (getenv("PORTLS_LOG_LEVEL") == NULL) {
        esp_log_level_set("*", ESP_LOG_NONE); /* the probes fail on purpose: the report says what they saw */
    }
    int rc = parse_args(argc, argv, &o);
    if (rc < 0) {
        rc = load_files(&o) ? 2 : run(&o);
    }
    cert_file_free(&o.ca_file);
    cert_file_free(&o.cert_file);
    cert_file_free(&o.key_file);
    return rc;
}
