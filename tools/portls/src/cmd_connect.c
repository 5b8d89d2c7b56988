/* portls connect HOST:PORT: one esp_tls_conn_new_sync() and a report of what it negotiated. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert_file.h"
#include "cli.h"
#include "commands.h"
#include "esp_crt_bundle.h"
#include "esp_tls.h"
#include "esp_tls_heap.h"
#include "mbedtls/ssl.h"
#include "report.h"

#define MAX_ALPN 8
#define VERDICT_WAIT_MS 1000 /* how long a TLS 1.3 server may take to refuse a client certificate */
#define VERDICT_READS 8      /* reads of partial records before giving up on a verdict */

typedef struct {
    char host[256];
    int port;
    const char *cacert, *cert, *key, *pass, *bundle;
    char *alpn_list[MAX_ALPN + 1];
    bool reconnect, json;
    cert_file_t ca_file, cert_file, key_file, bundle_file;
    cli_trust_t trust;
    esp_tls_cfg_t cfg;
} connect_opts_t;

static int usage(FILE *out)
{
    fputs("usage: portls connect HOST:PORT [--cacert FILE | --capath FILE_OR_DIR | --bundle FILE]\n"
          "                      [--cert FILE --key FILE [--pass PW]]\n"
          "                      [--servername NAME | --no-verify-name] [--tls1.2 | --tls1.3]\n"
          "                      [--alpn a,b] [--timeout MS] [--reconnect] [--heap-limit BYTES] [--json]\n"
          "Connects with esp_tls_conn_new_sync() and prints the TLS version, ciphersuite, ALPN, the\n"
          "peer chain, the verification result and the time spent in DNS, TCP and TLS. The server is\n"
          "verified with --cacert (a PEM/DER file, read into cacert_buf), --capath (trust_store_path,\n"
          "e.g. " ESP_TLS_SYSTEM_TRUST_STORE "), --bundle (a bundle file, portls bundle build), or else\n"
          "the built-in certificate bundle (the Mozilla CA set the library was built with); a build\n"
          "without one (on a system mbedTLS) uses the system trust store. When the server's certificate\n"
          "does not verify, the chain it sent, the trust used and a likely fix (try:) are printed.\n"
          "--json prints the report as one JSON object (schema in the README).\n"
          "--reconnect connects a second time offering the first connection's session, and says\n"
          "whether the server resumed it. --heap-limit fails allocations beyond BYTES in all, as a\n"
          "device with that much heap would. The heap line gives the connection's peak and what it\n"
          "holds once connected.\n"
          "Under TLS 1.3 a server checks the client's certificate after the client's handshake is\n"
          "over: when it asked for one, connect waits up to 1 s for its refusal (an alert) or for\n"
          "its first record.\n"
          "Exit status: 0 connected and verified (with --no-verify-name the chain only: the server's\n"
          "name is not checked, as curl -k exits 0 unverified), 1 failed or refused, 2 bad usage.\n", out);
    return out == stdout ? 0 : 2;
}

static int parse_alpn(char *list, connect_opts_t *o)
{
    if (cli_alpn_list("connect", list, o->alpn_list, MAX_ALPN) != 0) {
        return -1;
    }
    o->cfg.alpn_protos = (const char **)o->alpn_list;
    return 0;
}

/* The trust the options name: the cacert_buf, trust_store_path or bundle of the config. */
static int set_trust(connect_opts_t *o)
{
    switch (o->trust.kind) {
    case CLI_TRUST_CACERT:
        if (cli_load("connect", o->cacert, &o->ca_file) != 0) {
            return -1;
        }
        o->cfg.cacert_buf = o->ca_file.data;
        o->cfg.cacert_bytes = o->ca_file.len;
        return 0;
    case CLI_TRUST_BUNDLE:
        if (cli_use_bundle("connect", o->bundle, &o->bundle_file) != 0) {
            return -1;
        }
        o->cfg.crt_bundle_attach = esp_crt_bundle_attach;
        return 0;
    case CLI_TRUST_BUILTIN: o->cfg.crt_bundle_attach = esp_crt_bundle_attach; return 0;
    default: o->cfg.trust_store_path = o->trust.path; return 0;
    }
}

static int load_files(connect_opts_t *o)
{
    if ((o->cert == NULL) != (o->key == NULL)) {
        fputs("portls connect: --cert and --key go together\n", stderr);
        return -1;
    }
    if (set_trust(o) != 0 || cli_load("connect", o->cert, &o->cert_file) ||
        cli_load("connect", o->key, &o->key_file)) {
        return -1;
    }
    o->cfg.clientcert_buf = o->cert_file.data;
    o->cfg.clientcert_bytes = o->cert_file.len;
    o->cfg.clientkey_buf = o->key_file.data;
    o->cfg.clientkey_bytes = o->key_file.len;
    o->cfg.clientkey_password = (const unsigned char *)o->pass;
    o->cfg.clientkey_password_len = o->pass ? (unsigned int)strlen(o->pass) : 0;
    return 0;
}

enum { OPT_CACERT = 256, OPT_CAPATH, OPT_CERT, OPT_KEY, OPT_PASS, OPT_SERVERNAME, OPT_NO_VERIFY_NAME, OPT_TLS12,
       OPT_TLS13, OPT_ALPN, OPT_TIMEOUT, OPT_RECONNECT, OPT_HEAP_LIMIT, OPT_BUNDLE, OPT_JSON, OPT_HELP };

static const struct option long_options[] = {
    { "cacert", required_argument, NULL, OPT_CACERT },
    { "capath", required_argument, NULL, OPT_CAPATH },
    { "cert", required_argument, NULL, OPT_CERT },
    { "key", required_argument, NULL, OPT_KEY },
    { "pass", required_argument, NULL, OPT_PASS },
    { "servername", required_argument, NULL, OPT_SERVERNAME },
    { "no-verify-name", no_argument, NULL, OPT_NO_VERIFY_NAME },
    { "tls1.2", no_argument, NULL, OPT_TLS12 },
    { "tls1.3", no_argument, NULL, OPT_TLS13 },
    { "alpn", required_argument, NULL, OPT_ALPN },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "reconnect", no_argument, NULL, OPT_RECONNECT },
    { "heap-limit", required_argument, NULL, OPT_HEAP_LIMIT },
    { "bundle", required_argument, NULL, OPT_BUNDLE },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

/* @return 0, or 3 (exit 2, said why) for a bad number or a build without heap accounting. */
static int set_heap_limit(void *ctx, char *arg)
{
    (void)ctx;
    long limit;
    if (cli_number("connect", "--heap-limit", arg, 1, LONG_MAX, &limit) != 0) {
        return 3;
    }
    if (portls_heap_set_limit((size_t)limit) != ESP_OK) {
        fputs("portls connect: --heap-limit needs a build with heap accounting (PORTLS_HEAP_ACCOUNTING, which "
              "needs an mbedTLS with MBEDTLS_PLATFORM_MEMORY)\n", stderr);
        return 3;
    }
    return 0;
}

static int set_alpn(void *ctx, char *arg)
{
    return parse_alpn(arg, ctx) ? 3 : 0;
}

#define FIELD(name) offsetof(connect_opts_t, name)
static const cli_field_t fields[] = {
    CLI_FIELD(OPT_CACERT, CLI_TEXT, FIELD(cacert)),
    CLI_FIELD(OPT_CAPATH, CLI_TEXT, FIELD(cfg.trust_store_path)),
    CLI_FIELD(OPT_BUNDLE, CLI_TEXT, FIELD(bundle)),
    CLI_FIELD(OPT_CERT, CLI_TEXT, FIELD(cert)),
    CLI_FIELD(OPT_KEY, CLI_TEXT, FIELD(key)),
    CLI_FIELD(OPT_PASS, CLI_TEXT, FIELD(pass)),
    CLI_FIELD(OPT_SERVERNAME, CLI_TEXT, FIELD(cfg.common_name)),
    CLI_FIELD(OPT_NO_VERIFY_NAME, CLI_TRUE, FIELD(cfg.skip_common_name)),
    CLI_SETS(OPT_TLS12, FIELD(cfg.tls_version), ESP_TLS_VER_TLS_1_2),
    CLI_SETS(OPT_TLS13, FIELD(cfg.tls_version), ESP_TLS_VER_TLS_1_3),
    CLI_FN(OPT_ALPN, set_alpn),
    CLI_NUMBER(OPT_TIMEOUT, CLI_INT, FIELD(cfg.timeout_ms), 1, INT_MAX),
    CLI_FIELD(OPT_RECONNECT, CLI_TRUE, FIELD(reconnect)),
    CLI_FN(OPT_HEAP_LIMIT, set_heap_limit),
    CLI_FIELD(OPT_JSON, CLI_TRUE, FIELD(json)),
    CLI_HELP_ROW(OPT_HELP),
    CLI_END,
};

static const cli_spec_t spec = { "connect", "", long_options, fields, usage };

static int parse_args(int argc, char **argv, connect_opts_t *o)
{
    int rc = cli_parse_fields(argc, argv, &spec, o);
    if (rc != 0) {
        return rc - 1;
    }
    if (optind != argc - 1) {
        return usage(stderr);
    }
    if (cli_trust_of("connect", o->cacert, o->cfg.trust_store_path, o->bundle, &o->trust) != 0) {
        return 2;
    }
    return cli_host_port("connect", argv[optind], o->host, sizeof(o->host), &o->port) ? 2 : -1;
}

/* A TLS 1.3 server sends its ticket just after the handshake: give it a moment to arrive. */
static esp_tls_client_session_t *wait_for_session(esp_tls_t *tls)
{
    esp_tls_client_session_t *session = esp_tls_get_client_session(tls);
    int fd = -1;
    esp_tls_get_conn_sockfd(tls, &fd);
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    if (session == NULL && poll(&pfd, 1, 500) > 0) {
        session = esp_tls_get_client_session(tls);
    }
    return session;
}

typedef enum {
    VERDICT_NONE_DUE, /* the server asked for no certificate, or TLS 1.2 checked it in the handshake */
    VERDICT_ACCEPTED, /* a whole record came after the handshake: the server went on */
    VERDICT_SILENT,   /* nothing within VERDICT_WAIT_MS */
    VERDICT_REFUSED,  /* an alert, a close, or another read failure (in the error record) */
} verdict_t;

/* One read on the non-blocking socket after it became readable. */
static verdict_t read_verdict(esp_tls_t *tls)
{
    char buf[512];
    ssize_t n = esp_tls_conn_read(tls, buf, sizeof(buf)); /* data is dropped: connect sends nothing */
    if (n > 0) {
        return VERDICT_ACCEPTED;
    }
    if (n != ESP_TLS_ERR_SSL_WANT_READ && n != ESP_TLS_ERR_SSL_WANT_WRITE) {
        return VERDICT_REFUSED;
    }
    esp_tls_record_info_t info;
    esp_tls_get_last_record_info(tls, &info);
    bool whole = info.version != 0 && info.received == info.length; /* a ticket, say */
    return whole ? VERDICT_ACCEPTED : VERDICT_SILENT;
}

/* TLS 1.3, and the server asked for a certificate: it checks it after the client's handshake is
 * over, and refuses it with an alert. */
static bool verdict_due(esp_tls_t *tls)
{
    mbedtls_ssl_context *ssl = esp_tls_get_ssl_context(tls);
    if (ssl == NULL || mbedtls_ssl_get_version_number(ssl) != MBEDTLS_SSL_VERSION_TLS1_3) {
        return false;
    }
    esp_tls_client_cert_info_t info;
    if (esp_tls_get_client_cert_info(tls, &info) != ESP_OK) {
        return false;
    }
    return info.requested;
}

/* Waits for the server's alert, or for the first record that shows it went on. */
static verdict_t await_verdict(esp_tls_t *tls)
{
    if (!verdict_due(tls)) {
        return VERDICT_NONE_DUE;
    }
    int fd = -1;
    esp_tls_get_conn_sockfd(tls, &fd);
    int flags = fcntl(fd, F_GETFL, 0);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    verdict_t v = VERDICT_SILENT;
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    for (int i = 0; i < VERDICT_READS && v == VERDICT_SILENT; i++) {
        if (poll(&pfd, 1, VERDICT_WAIT_MS) <= 0) {
            break;
        }
        v = read_verdict(tls);
    }
    fcntl(fd, F_SETFL, flags);
    return v;
}

static void report_verdict(FILE *out, verdict_t v)
{
    static const char *const says[] = {
        [VERDICT_ACCEPTED] = "Server: went on after the handshake (the client certificate was accepted)\n",
        [VERDICT_SILENT] = "Server: no refusal and no record within 1 s of the handshake\n",
        [VERDICT_REFUSED] = "Server: refused the connection after the handshake\n",
    };
    if (v != VERDICT_NONE_DUE) {
        fputs(says[v], out);
    }
}

static void report_connected(connect_opts_t *o, esp_tls_t *tls, verdict_t v)
{
    printf("Connected to %s port %d\n", o->host, o->port);
    report_session(stdout, tls);
    report_client_cert(stdout, tls);
    report_verdict(stdout, v);
    if (o->cfg.client_session != NULL) {
        printf("Session: %s\n", esp_tls_session_was_resumed(tls) ? "resumed" : "not resumed (full handshake)");
    }
    report_timing(stdout, tls);
    report_heap(stdout, tls);
}

static void report_failed(connect_opts_t *o, esp_tls_t *tls, verdict_t v)
{
    char trust[PATH_MAX + 64];
    fprintf(stderr, "portls connect: %s port %d failed\n", o->host, o->port);
    report_unverified(stderr, tls, cli_trust_text(&o->trust, trust, sizeof(trust)));
    report_client_cert(stderr, tls);
    report_verdict(stderr, v);
    report_error(stderr, tls);
    report_timing(stderr, tls);
    report_heap(stderr, tls);
}

/* --json: one object per connection (schema in the README). */
static cJSON *json_report(connect_opts_t *o, esp_tls_t *tls, verdict_t v, bool connected)
{
    static const char *const verdicts[] = { [VERDICT_ACCEPTED] = "accepted", [VERDICT_SILENT] = "silent",
                                            [VERDICT_REFUSED] = "refused" };
    char trust[PATH_MAX + 64];
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddStringToObject(obj, "host", o->host);
    cJSON_AddNumberToObject(obj, "port", o->port);
    cJSON_AddBoolToObject(obj, "connected", connected);
    cJSON_AddStringToObject(obj, "trust", cli_trust_text(&o->trust, trust, sizeof(trust)));
    if (v != VERDICT_NONE_DUE) {
        cJSON_AddStringToObject(obj, "server_verdict", verdicts[v]);
    }
    if (connected) {
        report_json_session(obj, tls);
    } else {
        report_json_unverified(obj, tls, trust);
        report_json_error(obj, tls);
    }
    report_json_timing(obj, tls);
    report_json_heap(obj, tls);
    return obj;
}

static void report(connect_opts_t *o, esp_tls_t *tls, verdict_t v, int rc, cJSON **json)
{
    if (o->json) {
        *json = json_report(o, tls, v, rc == 0);
    } else if (rc == 0) {
        report_connected(o, tls, v);
    } else {
        report_failed(o, tls, v);
    }
}

/* One connect and its report (as JSON into *json with --json); with session_out, also the
 * session to resume. @return 0 connected, 1 failed or refused. */
static int connect_once(connect_opts_t *o, esp_tls_client_session_t **session_out, cJSON **json)
{
    esp_tls_t *tls = esp_tls_init();
    if (tls == NULL) {
        fputs("portls connect: out of memory\n", stderr);
        return 1;
    }
    bool connected = esp_tls_conn_new_sync(o->host, (int)strlen(o->host), o->port, &o->cfg, tls) == 1;
    verdict_t v = connected ? await_verdict(tls) : VERDICT_NONE_DUE;
    int rc = connected && v != VERDICT_REFUSED ? 0 : 1;
    report(o, tls, v, rc, json);
    if (rc == 0 && session_out != NULL) {
        *session_out = wait_for_session(tls);
    }
    esp_tls_conn_destroy(tls);
    return rc;
}

/* The second connect of --reconnect, offering session. */
static int reconnect(connect_opts_t *o, esp_tls_client_session_t *session, cJSON *first)
{
    cJSON *second = NULL;
    if (!o->json) {
        puts(session == NULL ? "Session: the server gave no resumable session\n\nReconnecting with the saved "
                               "session"
                             : "\nReconnecting with the saved session");
    }
    cJSON_AddBoolToObject(first, "resumable_session", session != NULL);
    o->cfg.client_session = session;
    int rc = connect_once(o, NULL, &second);
    cJSON_AddItemToObject(first, "reconnect", second);
    return rc;
}

static int run(connect_opts_t *o)
{
    esp_tls_client_session_t *session = NULL;
    cJSON *json = NULL;
    int rc = connect_once(o, o->reconnect ? &session : NULL, &json);
    if (rc == 0 && o->reconnect) {
        rc = reconnect(o, session, json);
        esp_tls_free_client_session(session);
    }
    if (o->json && report_json_print(stdout, json) != 0) {
        rc = 1;
    }
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
    cert_file_free(&o.bundle_file);
    return rc;
}
