/* portls connect HOST:PORT: one esp_tls_conn_new_sync() and a report of what it negotiated. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert_file.h"
#include "commands.h"
#include "esp_tls.h"
#include "report.h"

/* Without --cacert, trust what the host trusts, as curl does. */
#define SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#define MAX_ALPN 8

typedef struct {
    char host[256];
    int port;
    const char *cacert, *cert, *key, *pass;
    char *alpn_list[MAX_ALPN + 1];
    cert_file_t ca_file, cert_file, key_file;
    esp_tls_cfg_t cfg;
} connect_opts_t;

static int usage(FILE *out)
{
    fputs("usage: portls connect HOST:PORT [--cacert FILE] [--cert FILE --key FILE [--pass PW]]\n"
          "                      [--servername NAME | --no-verify-name] [--tls1.2 | --tls1.3]\n"
          "                      [--alpn a,b] [--timeout MS]\n"
          "Connects with esp_tls_conn_new_sync() and prints the TLS version, ciphersuite, ALPN, the\n"
          "peer chain, the verification result and the time spent in DNS, TCP and TLS. Without\n"
          "--cacert the host's CA set (" SYSTEM_CA_FILE ") is trusted.\n"
          "Exit status: 0 connected and verified, 1 failed, 2 bad usage.\n", out);
    return out == stdout ? 0 : 2;
}

/* HOST:PORT, with [v6addr]:PORT for IPv6. */
static int parse_target(const char *arg, connect_opts_t *o)
{
    const char *colon = strrchr(arg, ':');
    const char *host = arg;
    size_t hostlen = colon ? (size_t)(colon - arg) : 0;
    if (hostlen >= 2 && arg[0] == '[' && arg[hostlen - 1] == ']') {
        host++;
        hostlen -= 2;
    }
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    if (hostlen == 0 || hostlen >= sizeof(o->host) || port <= 0 || port > 65535 || *end != '\0') {
        fprintf(stderr, "portls connect: '%s' is not HOST:PORT\n", arg);
        return -1;
    }
    memcpy(o->host, host, hostlen);
    o->host[hostlen] = '\0';
    o->port = (int)port;
    return 0;
}

static int parse_alpn(char *list, connect_opts_t *o)
{
    int n = 0;
    for (char *save, *p = strtok_r(list, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save)) {
        if (n == MAX_ALPN) {
            fprintf(stderr, "portls connect: at most %d ALPN protocols\n", MAX_ALPN);
            return -1;
        }
        o->alpn_list[n++] = p;
    }
    o->alpn_list[n] = NULL;
    o->cfg.alpn_protos = (const char **)o->alpn_list;
    return 0;
}

static int load(const char *path, cert_file_t *f)
{
    if (path != NULL && cert_file_load(path, f) != 0) {
        fprintf(stderr, "portls connect: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int load_files(connect_opts_t *o)
{
    if ((o->cert == NULL) != (o->key == NULL)) {
        fputs("portls connect: --cert and --key go together\n", stderr);
        return -1;
    }
    if (load(o->cacert ? o->cacert : SYSTEM_CA_FILE, &o->ca_file) || load(o->cert, &o->cert_file) ||
        load(o->key, &o->key_file)) {
        return -1;
    }
    o->cfg.cacert_buf = o->ca_file.data;
    o->cfg.cacert_bytes = o->ca_file.len;
    o->cfg.clientcert_buf = o->cert_file.data;
    o->cfg.clientcert_bytes = o->cert_file.len;
    o->cfg.clientkey_buf = o->key_file.data;
    o->cfg.clientkey_bytes = o->key_file.len;
    o->cfg.clientkey_password = (const unsigned char *)o->pass;
    o->cfg.clientkey_password_len = o->pass ? (unsigned int)strlen(o->pass) : 0;
    return 0;
}

enum { OPT_CACERT = 256, OPT_CERT, OPT_KEY, OPT_PASS, OPT_SERVERNAME, OPT_NO_VERIFY_NAME, OPT_TLS12,
       OPT_TLS13, OPT_ALPN, OPT_TIMEOUT, OPT_HELP };

static const struct option long_options[] = {
    { "cacert", required_argument, NULL, OPT_CACERT },
    { "cert", required_argument, NULL, OPT_CERT },
    { "key", required_argument, NULL, OPT_KEY },
    { "pass", required_argument, NULL, OPT_PASS },
    { "servername", required_argument, NULL, OPT_SERVERNAME },
    { "no-verify-name", no_argument, NULL, OPT_NO_VERIFY_NAME },
    { "tls1.2", no_argument, NULL, OPT_TLS12 },
    { "tls1.3", no_argument, NULL, OPT_TLS13 },
    { "alpn", required_argument, NULL, OPT_ALPN },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

/* @return 0 to go on, or an exit status + 1. */
static int parse_option(int opt, char *arg, connect_opts_t *o)
{
    switch (opt) {
    case OPT_CACERT: o->cacert = arg; break;
    case OPT_CERT: o->cert = arg; break;
    case OPT_KEY: o->key = arg; break;
    case OPT_PASS: o->pass = arg; break;
    case OPT_SERVERNAME: o->cfg.common_name = arg; break;
    case OPT_NO_VERIFY_NAME: o->cfg.skip_common_name = true; break;
    case OPT_TLS12: o->cfg.tls_version = ESP_TLS_VER_TLS_1_2; break;
    case OPT_TLS13: o->cfg.tls_version = ESP_TLS_VER_TLS_1_3; break;
    case OPT_ALPN: return parse_alpn(arg, o) ? 3 : 0;
    case OPT_TIMEOUT: o->cfg.timeout_ms = atoi(arg); break;
    case OPT_HELP: return usage(stdout) + 1;
    default: return usage(stderr) + 1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, connect_opts_t *o)
{
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        int rc = parse_option(opt, optarg, o);
        if (rc != 0) {
            return rc - 1;
        }
    }
    if (optind != argc - 1) {
        return usage(stderr);
    }
    return parse_target(argv[optind], o) ? 2 : -1;
}

static int run(connect_opts_t *o)
{
    esp_tls_t *tls = esp_tls_init();
    if (tls == NULL) {
        fputs("portls connect: out of memory\n", stderr);
        return 1;
    }
    int rc = 1;
    if (esp_tls_conn_new_sync(o->host, (int)strlen(o->host), o->port, &o->cfg, tls) == 1) {
        printf("Connected to %s port %d\n", o->host, o->port);
        report_session(stdout, tls);
        report_timing(stdout, tls);
        rc = 0;
    } else {
        fprintf(stderr, "portls connect: %s port %d failed\n", o->host, o->port);
        report_error(stderr, tls);
        report_timing(stderr, tls);
    }
    esp_tls_conn_destroy(tls);
    return rc;
}

int cmd_connect(int argc, char **argv)
{
    connect_opts_t o = { 0 };
    int rc = parse_args(argc, argv, &o);
    if (rc < 0) {
        rc = load_files(&o) ? 1 : run(&o);
    }
    cert_file_free(&o.ca_file);
    cert_file_free(&o.cert_file);
    cert_file_free(&o.key_file);
    return rc;
}
