/* portls get URL: esp_http_client_perform() with curl's flags for the same things. */
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "get_watchdog.h"
#include "commands.h"
#include "esp_crt_bundle.h"
#include "esp_http_client.h"
#include "esp_tls.h"
#include "esp_url.h"
#include "progress.h"
#include "report.h"

#define MAX_HEADERS 32
#define PROGRESS_MIN_BYTES (1024 * 1024)
#define READ_TIMEOUT_MS 30000 /* each read and write, as before -m or --connect-timeout */

typedef struct {
    const char *url, *output, *cacert, *bundle, *cert, *key, *pass, *method, *data, *userpass;
    const char *headers[MAX_HEADERS];
    int header_count;
    bool follow, trusted, digest, verbose, fail, head, json;
    int max_time_s, connect_timeout_s; /* 0: none given */
    esp_http_client_proto_ver_t tls_version;
    cert_file_t ca_file, cert_file, key_file, bundle_file;
    cli_trust_t trust;
    cJSON *summary;       /* --json */
    watchdog_t dog;       /* -m */
    FILE *out;
    progress_t bar;       /* on: both ends are terminals and the body goes to a file */
    long long received;
    long long expected;   /* Content-Length, or -1 */
    bool write_failed;
} get_opts_t;

static int usage(FILE *out)
{
    fputs("usage: portls get URL [-o FILE] [--cacert FILE | --bundle FILE] [--cert FILE --key FILE [--pass PW]]\n"
          "                  [-H 'Name: value']... [-X METHOD] [-d DATA] [-I] [-L | --location-trusted]\n"
          "                  [-u USER:PASSWORD [--digest]] [-f] [-m SECONDS] [--connect-timeout SECONDS]\n"
          "                  [--tls1.2 | --tls1.3] [-v] [--json]\n"
          "An HTTP(S) request with esp_http_client, as curl makes it with the same flags: the body goes\n"
          "to stdout or FILE; -L follows redirects, leaving the credentials and the Authorization and\n"
          "Cookie headers behind when one leads to another scheme, host or port (--location-trusted\n"
          "sends them on); -d sends DATA as a form POST; -u sends Basic credentials (--digest: answers\n"
          "a Digest challenge instead, never a Basic one); -I sends HEAD and prints the status and the\n"
          "headers on stdout; -f (--fail) prints no body of an HTTP error (status >= 400) and exits 22;\n"
          "-m (--max-time) gives up the whole transfer after SECONDS (exit 28); --connect-timeout\n"
          "bounds the connect (DNS, TCP, TLS) alone; -v prints the TLS session, the request and the\n"
          "response headers on stderr; --json prints that summary as one JSON object on stderr\n"
          "instead (schema in the README). HTTPS is verified with --cacert, --bundle (a bundle file,\n"
          "portls bundle build), or else the built-in bundle (a build without one, on a system mbedTLS,\n"
          "uses the system trust store); --pass decrypts --key. When the server's certificate does not\n"
          "verify, its chain, the trust used and a likely fix are printed.\n"
          "A large download to a file shows progress when stdout and stderr are terminals.\n"
          "Exit status: 0 a response came (whatever its status, without -f), 1 the request failed,\n"
          "2 bad usage, 22 an HTTP error with -f, 28 -m's time ran out.\n", out);
    return out == stdout ? 0 : 2;
}

enum { OPT_CACERT = 256, OPT_CERT, OPT_KEY, OPT_PASS, OPT_BUNDLE, OPT_DIGEST, OPT_TLS12, OPT_TLS13, OPT_TRUSTED,
       OPT_CONNECT_TIMEOUT, OPT_JSON, OPT_HELP };

static const struct option long_options[] = {
    { "output", required_argument, NULL, 'o' },
    { "header", required_argument, NULL, 'H' },
    { "request", required_argument, NULL, 'X' },
    { "data", required_argument, NULL, 'd' },
    { "head", no_argument, NULL, 'I' },
    { "location", no_argument, NULL, 'L' },
    { "location-trusted", no_argument, NULL, OPT_TRUSTED },
    { "user", required_argument, NULL, 'u' },
    { "fail", no_argument, NULL, 'f' },
    { "max-time", required_argument, NULL, 'm' },
    { "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
    { "verbose", no_argument, NULL, 'v' },
    { "cacert", required_argument, NULL, OPT_CACERT },
    { "bundle", required_argument, NULL, OPT_BUNDLE },
    { "cert", required_argument, NULL, OPT_CERT },
    { "key", required_argument, NULL, OPT_KEY },
    { "pass", required_argument, NULL, OPT_PASS },
    { "digest", no_argument, NULL, OPT_DIGEST },
    { "tls1.2", no_argument, NULL, OPT_TLS12 },
    { "tls1.3", no_argument, NULL, OPT_TLS13 },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, OPT_HELP },
    { 0 },
};

static int add_header(get_opts_t *o, const char *arg)
{
    if (o->header_count == MAX_HEADERS || strchr(arg, ':') == NULL) {
        fprintf(stderr, "portls get: bad or too many headers ('%s')\n", arg);
        return 3;
    }
    o->headers[o->header_count++] = arg;
    return 0;
}

static int header_option(void *ctx, char *arg)
{
    return add_header(ctx, arg);
}

static int trusted_option(void *ctx, char *arg)
{
    (void)arg;
    get_opts_t *o = ctx;
    o->follow = o->trusted = true;
    return 0;
}

#define FIELD(name) offsetof(get_opts_t, name)
static const cli_field_t fields[] = {
    CLI_FIELD('o', CLI_TEXT, FIELD(output)),
    CLI_FN('H', header_option),
    CLI_FIELD('X', CLI_TEXT, FIELD(method)),
    CLI_FIELD('d', CLI_TEXT, FIELD(data)),
    CLI_FIELD('I', CLI_TRUE, FIELD(head)),
    CLI_FIELD('L', CLI_TRUE, FIELD(follow)),
    CLI_FN(OPT_TRUSTED, trusted_option),
    CLI_FIELD('u', CLI_TEXT, FIELD(userpass)),
    CLI_FIELD('f', CLI_TRUE, FIELD(fail)),
    CLI_NUMBER('m', CLI_INT, FIELD(max_time_s), 1, 86400),
    CLI_NUMBER(OPT_CONNECT_TIMEOUT, CLI_INT, FIELD(connect_timeout_s), 1, 86400),
    CLI_FIELD('v', CLI_TRUE, FIELD(verbose)),
    CLI_FIELD(OPT_CACERT, CLI_TEXT, FIELD(cacert)),
    CLI_FIELD(OPT_BUNDLE, CLI_TEXT, FIELD(bundle)),
    CLI_FIELD(OPT_CERT, CLI_TEXT, FIELD(cert)),
    CLI_FIELD(OPT_KEY, CLI_TEXT, FIELD(key)),
    CLI_FIELD(OPT_PASS, CLI_TEXT, FIELD(pass)),
    CLI_FIELD(OPT_DIGEST, CLI_TRUE, FIELD(digest)),
    CLI_SETS(OPT_TLS12, FIELD(tls_version), ESP_HTTP_CLIENT_TLS_VER_TLS_1_2),
    CLI_SETS(OPT_TLS13, FIELD(tls_version), ESP_HTTP_CLIENT_TLS_VER_TLS_1_3),
    CLI_FIELD(OPT_JSON, CLI_TRUE, FIELD(json)),
    CLI_HELP_ROW(OPT_HELP),
    CLI_END,
};

static const cli_spec_t spec = { "get", "o:H:X:d:ILu:fm:v", long_options, fields, usage };

static const char *const method_names[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "NOTIFY", "SUBSCRIBE",
                                            "UNSUBSCRIBE", "OPTIONS", "COPY", "MOVE", "LOCK", "UNLOCK", "PROPFIND",
                                            "PROPPATCH", "MKCOL", "REPORT" };

/* @return the method, or HTTP_METHOD_MAX if name is none of them. */
static esp_http_client_method_t method_of(const char *name)
{
    for (int m = 0; m < HTTP_METHOD_MAX; m++) {
        if (strcasecmp(name, method_names[m]) == 0) {
            return (esp_http_client_method_t)m;
        }
    }
    return HTTP_METHOD_MAX;
}

/* A followed redirect's own body is not the answer: curl -L does not print it either. */
static bool is_followed_redirect(const get_opts_t *o, esp_http_client_handle_t client)
{
    int status = esp_http_client_get_status_code(client);
    return o->follow && (status == 301 || status == 302 || status == 303 || status == 307 || status == 308);
}

/* -f: an HTTP error's body is not written, as curl -f does. */
static bool is_failed_status(const get_opts_t *o, esp_http_client_handle_t client)
{
    return o->fail && esp_http_client_get_status_code(client) >= 400;
}

static void on_data(get_opts_t *o, esp_http_client_event_t *evt)
{
    if (is_followed_redirect(o, evt->client) || is_failed_status(o, evt->client)) {
        return;
    }
    if (fwrite(evt->data, 1, (size_t)evt->data_len, o->out) != (size_t)evt->data_len) {
        o->write_failed = true;
    }
    o->received += evt->data_len;
    if (o->expected >= PROGRESS_MIN_BYTES) {
        progress_tick(&o->bar, o->received, o->expected);
    }
}

/* curl -v's "> " lines: the request line and headers as they were sent. */
static void print_request(const char *head, int len)
{
    const char *p = head, *end = head + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *stop = eol != NULL ? eol : end;
        int n = (int)(stop - p);
        n -= n > 0 && p[n - 1] == '\r' ? 1 : 0;
        fprintf(stderr, "> %.*s\n", n, p);
        p = eol != NULL ? eol + 1 : end;
    }
}

static void on_status(get_opts_t *o, esp_http_client_event_t *evt)
{
    int status = esp_http_client_get_status_code(evt->client);
    if (o->verbose) {
        fprintf(stderr, "< HTTP %d\n", status);
    }
    if (o->head) {
        printf("HTTP %d\n", status);
    }
    if (o->summary != NULL) { /* a redirect's response is replaced by the next one */
        cJSON_DeleteItemFromObject(o->summary, "status");
        cJSON_DeleteItemFromObject(o->summary, "headers");
        cJSON_AddNumberToObject(o->summary, "status", status);
        cJSON_AddObjectToObject(o->summary, "headers");
    }
}

static void on_headers_complete(get_opts_t *o, esp_http_client_event_t *evt)
{
    o->expected = esp_http_client_get_content_length(evt->client);
    if (o->verbose) {
        fputs("<\n", stderr);
    }
    if (o->head) {
        putchar('\n');
    }
}

static void on_header(get_opts_t *o, esp_http_client_event_t *evt)
{
    if (o->verbose) {
        fprintf(stderr, "< %s: %s\n", evt->header_key, evt->header_value);
    }
    if (o->head) {
        printf("%s: %s\n", evt->header_key, evt->header_value);
    }
    cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(o->summary, "headers"), evt->header_key,
                            evt->header_value);
}

static void on_headers_sent(get_opts_t *o, esp_http_client_event_t *evt)
{
    if (o->verbose) {
        print_request(evt->data, evt->data_len);
    }
}

/* The connect is over: --connect-timeout no longer applies, -m's watchdog watches the socket. */
static void on_connected(get_opts_t *o, esp_http_client_event_t *evt)
{
    esp_tls_t *tls = esp_http_client_get_esp_tls(evt->client);
    watchdog_set_fd(&o->dog, esp_http_client_get_socket(evt->client));
    esp_http_client_set_timeout_ms(evt->client, o->max_time_s > 0 ? watchdog_ms_left(&o->dog) : READ_TIMEOUT_MS);
    if (o->verbose) {
        fprintf(stderr, "* Connected for %s\n", o->url);
        report_session(stderr, tls);
    }
    if (o->summary != NULL && tls != NULL) {
        cJSON *connection = cJSON_CreateObject();
        report_json_session(connection, tls);
        report_json_timing(connection, tls);
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(o->summary, "connections"), connection);
    }
}

static void on_disconnected(get_opts_t *o, esp_http_client_event_t *evt)
{
    (void)evt;
    watchdog_set_fd(&o->dog, -1);
}

static esp_err_t on_event(esp_http_client_event_t *evt)
{
    static void (*const handlers[])(get_opts_t *, esp_http_client_event_t *) = {
        [HTTP_EVENT_ON_STATUS_CODE] = on_status,   [HTTP_EVENT_ON_HEADERS_COMPLETE] = on_headers_complete,
        [HTTP_EVENT_ON_HEADER] = on_header,        [HTTP_EVENT_ON_DATA] = on_data,
        [HTTP_EVENT_HEADERS_SENT] = on_headers_sent, [HTTP_EVENT_ON_CONNECTED] = on_connected,
        [HTTP_EVENT_DISCONNECTED] = on_disconnected,
    };
    size_t id = (size_t)evt->event_id;
    if (id < sizeof(handlers) / sizeof(handlers[0]) && handlers[id] != NULL) {
        handlers[id](evt->user_data, evt);
    }
    return ESP_OK;
}

/* --cacert's file, or the system trust store's in a build without a bundle; NULL: a bundle. */
static const char *ca_file_of(const get_opts_t *o)
{
    bool file = o->trust.kind == CLI_TRUST_CACERT || o->trust.kind == CLI_TRUST_SYSTEM;
    return file ? o->trust.path : NULL;
}

static int load_files(get_opts_t *o)
{
    if ((o->cert == NULL) != (o->key == NULL)) {
        fputs("portls get: --cert and --key go together\n", stderr);
        return -1;
    }
    if (o->trust.kind == CLI_TRUST_BUNDLE && cli_use_bundle("get", o->bundle, &o->bundle_file) != 0) {
        return -1;
    }
    if (cli_load("get", ca_file_of(o), &o->ca_file) != 0 || cli_load("get", o->cert, &o->cert_file) != 0) {
        return -1;
    }
    return cli_load("get", o->key, &o->key_file);
}

/* The first connection's timeout: --connect-timeout, and never past -m's end. Once connected,
 * on_connected() sets the timeout of the reads and writes. */
static int connect_timeout_ms(const get_opts_t *o)
{
    int ms = o->connect_timeout_s > 0 ? o->connect_timeout_s * 1000 : READ_TIMEOUT_MS;
    int left = watchdog_ms_left(&o->dog);
    return left < ms ? left : ms;
}

static esp_http_client_config_t config_of(get_opts_t *o)
{
    esp_http_client_config_t cfg = {
        .url = o->url, .event_handler = on_event, .user_data = o, .disable_auto_redirect = !o->follow,
        .tls_version = o->tls_version, .buffer_size = 4096, .timeout_ms = connect_timeout_ms(o),
        .cert_pem = (const char *)o->ca_file.data, .cert_len = o->ca_file.len,
        .client_cert_pem = (const char *)o->cert_file.data, .client_cert_len = o->cert_file.len,
        .client_key_pem = (const char *)o->key_file.data, .client_key_len = o->key_file.len,
        .client_key_password = o->pass, .client_key_password_len = o->pass != NULL ? strlen(o->pass) : 0,
    };
    if (o->ca_file.data == NULL) {
        cfg.crt_bundle_attach = esp_crt_bundle_attach; /* built in, or --bundle's */
    }
    return cfg;
}

/* "Name: value" headers, -d, -X and -u on the handle. @return 0, or -1 (said why). */
static int prepare(get_opts_t *o, esp_http_client_handle_t client)
{
    for (int i = 0; i < o->header_count; i++) {
        char name[256];
        const char *colon = strchr(o->headers[i], ':'), *value = colon + 1;
        snprintf(name, sizeof(name), "%.*s", (int)(colon - o->headers[i]), o->headers[i]);
        value += strspn(value, " ");
        esp_http_client_set_header(client, name, value);
    }
    if (o->data != NULL) {
        esp_http_client_set_post_field(client, o->data, (int)strlen(o->data));
    }
    if (o->method != NULL) {
        esp_http_client_method_t m = method_of(o->method);
        if (m == HTTP_METHOD_MAX) {
            fprintf(stderr, "portls get: unknown method %s\n", o->method);
            return -1;
        }
        esp_http_client_set_method(client, m);
    }
    if (o->userpass != NULL) {
        const char *colon = strchr(o->userpass, ':');
        char user[256];
        snprintf(user, sizeof(user), "%.*s", colon ? (int)(colon - o->userpass) : (int)strlen(o->userpass), o->userpass);
        esp_http_client_set_username(client, user);
        esp_http_client_set_password(client, colon ? colon + 1 : "");
        esp_http_client_set_authtype(client, o->digest ? HTTP_AUTH_TYPE_DIGEST : HTTP_AUTH_TYPE_BASIC);
    }
    esp_http_client_set_location_trusted(client, o->trusted);
    return 0;
}

/* The esp_tls_cfg_t of the request's trust, for get_unverified_chain(). */
static esp_tls_cfg_t probe_config(const get_opts_t *o, const esp_url_t *url)
{
    esp_tls_cfg_t cfg = {
        .cacert_buf = o->ca_file.data, .cacert_bytes = o->ca_file.len, .timeout_ms = READ_TIMEOUT_MS,
        .common_name = url->host,
    };
    if (o->ca_file.data == NULL) {
        cfg.crt_bundle_attach = esp_crt_bundle_attach;
    }
    return cfg;
}

/* esp_http_client closes a connection whose handshake failed, and its chain with it: a second
 * handshake with the same trust fetches the chain to show. */
static void report_unverified_url(get_opts_t *o, const char *text)
{
    esp_url_t url;
    if (esp_url_parse(text, &url) != ESP_OK) {
        return;
    }
    int port = url.port != 0 ? url.port : 443;
    esp_tls_cfg_t cfg = probe_config(o, &url);
    esp_tls_t *tls = esp_tls_init();
    char trust[PATH_MAX + 64];
    cli_trust_text(&o->trust, trust, sizeof(trust));
    if (tls != NULL && esp_tls_conn_new_sync(url.host, (int)strlen(url.host), port, &cfg, tls) != 1) {
        if (o->summary != NULL) {
            cJSON_AddStringToObject(o->summary, "trust", trust);
            report_json_unverified(o->summary, tls, trust);
        } else {
            fprintf(stderr, "The server's chain (fetched again for this report):\n");
            report_unverified(stderr, tls, trust);
        }
    }
    esp_tls_conn_destroy(tls);
    esp_url_free(&url);
}

static void report_failure(get_opts_t *o, esp_http_client_handle_t client, esp_err_t err)
{
    int code = 0, flags = 0;
    esp_err_t tls = esp_http_client_get_and_clear_last_tls_error(client, &code, &flags);
    bool tls_error = tls != ESP_OK && tls != ESP_ERR_INVALID_STATE;
    if (o->summary != NULL) {
        cJSON *e = cJSON_AddObjectToObject(o->summary, "error");
        cJSON_AddStringToObject(e, "esp_err", esp_err_to_name(err));
        cJSON_AddStringToObject(e, "tls_esp_err", tls_error ? esp_err_to_name(tls) : "ESP_OK");
        cJSON_AddNumberToObject(e, "mbedtls_code", -code);
        cJSON_AddNumberToObject(e, "verify_flags", (unsigned)flags);
    } else {
        fprintf(stderr, "portls get: %s", esp_err_to_name(err));
        if (tls_error) {
            fprintf(stderr, " (TLS: %s, mbedTLS -0x%04x, verify flags 0x%x)", esp_err_to_name(tls), (unsigned)code,
                    (unsigned)flags);
        }
        fputc('\n', stderr);
    }
    char url[2048];
    if (flags != 0 && esp_http_client_get_url(client, url, sizeof(url)) == ESP_OK) {
        report_unverified_url(o, url);
    }
}

/* The exit status of a finished perform(). */
static int outcome(get_opts_t *o, esp_http_client_handle_t client, esp_err_t err)
{
    bool timed_out = watchdog_stop(&o->dog);
    if (timed_out) {
        fprintf(stderr, "portls get: operation timed out after %d seconds (-m)\n", o->max_time_s);
        return 28;
    }
    if (err != ESP_OK) {
        report_failure(o, client, err);
        return 1;
    }
    if (o->write_failed) {
        fputs("portls get: writing the body failed\n", stderr);
        return 1;
    }
    if (is_failed_status(o, client)) {
        fprintf(stderr, "portls get: the server answered %d (-f)\n", esp_http_client_get_status_code(client));
        return 22;
    }
    return 0;
}

static int run(get_opts_t *o)
{
    if (o->max_time_s > 0 && watchdog_start(&o->dog, o->max_time_s) != 0) {
        fputs("portls get: cannot start the -m timer\n", stderr);
        return 1;
    }
    esp_http_client_config_t cfg = config_of(o);
    esp_http_client_handle_t client = esp_http_client_init(&cfg);
    if (client == NULL) {
        watchdog_stop(&o->dog);
        fprintf(stderr, "portls get: cannot use URL %s\n", o->url);
        return 1;
    }
    int rc = 1;
    if (prepare(o, client) == 0) {
        esp_err_t err = esp_http_client_perform(client);
        if (o->expected >= PROGRESS_MIN_BYTES) {
            progress_end(&o->bar, o->received, o->expected);
        }
        rc = outcome(o, client, err);
    }
    watchdog_stop(&o->dog);
    esp_http_client_cleanup(client);
    return rc;
}

static int open_output(get_opts_t *o)
{
    o->out = stdout;
    if (o->output != NULL && (o->out = fopen(o->output, "wb")) == NULL) {
        perror(o->output);
        return -1;
    }
    o->bar.on = o->output != NULL && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);
    return 0;
}

/* --json: the summary object -v's lines would give, printed once the request is over. */
static void start_summary(get_opts_t *o)
{
    o->summary = cJSON_CreateObject();
    cJSON_AddStringToObject(o->summary, "url", o->url);
    cJSON_AddArrayToObject(o->summary, "connections");
    o->verbose = false;
}

static void end_summary(get_opts_t *o, int rc)
{
    cJSON_AddNumberToObject(o->summary, "content_length", (double)o->expected);
    cJSON_AddNumberToObject(o->summary, "received", (double)o->received);
    cJSON_AddNumberToObject(o->summary, "exit_status", rc);
    report_json_print(stderr, o->summary);
}

/* @return -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, get_opts_t *o)
{
    int rc = cli_parse_fields(argc, argv, &spec, o);
    if (rc != 0) {
        return rc - 1;
    }
    if (optind != argc - 1) {
        return usage(stderr);
    }
    o->url = argv[optind];
    if (cli_trust_of("get", o->cacert, NULL, o->bundle, &o->trust) != 0) {
        return 2;
    }
    if (o->head && o->method == NULL) {
        o->method = "HEAD";
    }
    return -1;
}

/* The request with its files and output. @return the exit status. */
static int request(get_opts_t *o)
{
    int rc = load_files(o) != 0 || open_output(o) != 0 ? 1 : run(o);
    if (o->out != NULL && o->out != stdout && fclose(o->out) != 0) {
        rc = 1;
    }
    cert_file_free(&o->ca_file);
    cert_file_free(&o->cert_file);
    cert_file_free(&o->key_file);
    cert_file_free(&o->bundle_file);
    return rc;
}

int cmd_get(int argc, char **argv)
{
    get_opts_t o = { .expected = -1 };
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0) {
        return rc;
    }
    if (o.json) {
        start_summary(&o);
    }
    rc = request(&o);
    if (o.json) {
        end_summary(&o, rc);
    }
    return rc;
}
