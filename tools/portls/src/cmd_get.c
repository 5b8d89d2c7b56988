/* portls get URL: esp_http_client_perform() with curl's flags for the same things. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "esp_crt_bundle.h"
#include "esp_http_client.h"
#include "progress.h"
#include "report.h"

#define MAX_HEADERS 32
#define PROGRESS_MIN_BYTES (1024 * 1024)

typedef struct {
    const char *url, *output, *cacert, *cert, *key, *method, *data, *userpass;
    const char *headers[MAX_HEADERS];
    int header_count;
    bool follow, trusted, digest, verbose;
    esp_http_client_proto_ver_t tls_version;
    cert_file_t ca_file, cert_file, key_file;
    FILE *out;
    progress_t bar;       /* on: both ends are terminals and the body goes to a file */
    long long received;
    long long expected;   /* Content-Length, or -1 */
    bool write_failed;
} get_opts_t;

static int usage(FILE *out)
{
    fputs("usage: portls get URL [-o FILE] [--cacert FILE] [--cert FILE --key FILE] [-H 'Name: value']...\n"
          "                  [-X METHOD] [-d DATA] [-L | --location-trusted] [-u USER:PASSWORD [--digest]]\n"
          "                  [--tls1.2 | --tls1.3] [-v]\n"
          "An HTTP(S) request with esp_http_client, as curl makes it with the same flags: the body goes\n"
          "to stdout or FILE; -L follows redirects, leaving the credentials and the Authorization and\n"
          "Cookie headers behind when one leads to another scheme, host or port (--location-trusted\n"
          "sends them on); -d sends DATA as a form POST; -u sends Basic credentials (--digest: answers\n"
          "a Digest challenge instead, never a Basic one); -v prints the request and the response\n"
          "headers on stderr. HTTPS is verified with --cacert, or else the built-in bundle (a build\n"
          "without one, on a system mbedTLS, uses the system trust store).\n"
          "A large download to a file shows progress when stdout and stderr are terminals.\n"
          "Exit status: 0 a response came (whatever its status), 1 the request failed, 2 bad usage.\n", out);
    return out == stdout ? 0 : 2;
}

enum { OPT_CACERT = 256, OPT_CERT, OPT_KEY, OPT_DIGEST, OPT_TLS12, OPT_TLS13, OPT_TRUSTED, OPT_HELP };

static const struct option long_options[] = {
    { "output", required_argument, NULL, 'o' },
    { "header", required_argument, NULL, 'H' },
    { "request", required_argument, NULL, 'X' },
    { "data", required_argument, NULL, 'd' },
    { "location", no_argument, NULL, 'L' },
    { "location-trusted", no_argument, NULL, OPT_TRUSTED },
    { "user", required_argument, NULL, 'u' },
    { "verbose", no_argument, NULL, 'v' },
    { "cacert", required_argument, NULL, OPT_CACERT },
    { "cert", required_argument, NULL, OPT_CERT },
    { "key", required_argument, NULL, OPT_KEY },
    { "digest", no_argument, NULL, OPT_DIGEST },
    { "tls1.2", no_argument, NULL, OPT_TLS12 },
    { "tls1.3", no_argument, NULL, OPT_TLS13 },
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

static int parse_option(int opt, char *arg, void *ctx)
{
    get_opts_t *o = ctx;
    switch (opt) {
    case 'o': o->output = arg; break;
    case 'H': return add_header(o, arg);
    case 'X': o->method = arg; break;
    case 'd': o->data = arg; break;
    case 'L': o->follow = true; break;
    case OPT_TRUSTED: o->follow = o->trusted = true; break;
    case 'u': o->userpass = arg; break;
    case 'v': o->verbose = true; break;
    case OPT_CACERT: o->cacert = arg; break;
    case OPT_CERT: o->cert = arg; break;
    case OPT_KEY: o->key = arg; break;
    case OPT_DIGEST: o->digest = true; break;
    case OPT_TLS12: o->tls_version = ESP_HTTP_CLIENT_TLS_VER_TLS_1_2; break;
    case OPT_TLS13: o->tls_version = ESP_HTTP_CLIENT_TLS_VER_TLS_1_3; break;
    case OPT_HELP: return usage(stdout) + 1;
    default: return usage(stderr) + 1;
    }
    return 0;
}

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

static void on_data(get_opts_t *o, esp_http_client_event_t *evt)
{
    if (is_followed_redirect(o, evt->client)) {
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

static esp_err_t on_event(esp_http_client_event_t *evt)
{
    get_opts_t *o = evt->user_data;
    switch (evt->event_id) {
    case HTTP_EVENT_ON_STATUS_CODE:
        if (o->verbose) {
            fprintf(stderr, "< HTTP %d\n", esp_http_client_get_status_code(evt->client));
        }
        break;
    case HTTP_EVENT_ON_HEADERS_COMPLETE:
        o->expected = esp_http_client_get_content_length(evt->client);
        if (o->verbose) {
            fputs("<\n", stderr);
        }
        break;
    case HTTP_EVENT_ON_HEADER:
        if (o->verbose) {
            fprintf(stderr, "< %s: %s\n", evt->header_key, evt->header_value);
        }
        break;
    case HTTP_EVENT_ON_DATA:
        on_data(o, evt);
        break;
    case HTTP_EVENT_HEADERS_SENT:
        if (o->verbose) {
            print_request(evt->data, evt->data_len);
        }
        break;
    case HTTP_EVENT_ON_CONNECTED:
        if (o->verbose) {
            fprintf(stderr, "* Connected for %s\n", o->url);
            report_session(stderr, esp_http_client_get_esp_tls(evt->client));
        }
        break;
    default:
        break;
    }
    return ESP_OK;
}

static int load_files(get_opts_t *o)
{
    if ((o->cert == NULL) != (o->key == NULL)) {
        fputs("portls get: --cert and --key go together\n", stderr);
        return -1;
    }
    if (o->cacert == NULL) {
        o->cacert = cli_default_ca_file(); /* NULL: the built-in bundle */
    }
    return cli_load("get", o->cacert, &o->ca_file) || cli_load("get", o->cert, &o->cert_file) ||
                   cli_load("get", o->key, &o->key_file)
               ? -1
               : 0;
}

static esp_http_client_config_t config_of(get_opts_t *o)
{
    esp_http_client_config_t cfg = {
        .url = o->url, .event_handler = on_event, .user_data = o, .disable_auto_redirect = !o->follow,
        .tls_version = o->tls_version, .buffer_size = 4096, .timeout_ms = 30000,
        .cert_pem = (const char *)o->ca_file.data, .cert_len = o->ca_file.len,
        .client_cert_pem = (const char *)o->cert_file.data, .client_cert_len = o->cert_file.len,
        .client_key_pem = (const char *)o->key_file.data, .client_key_len = o->key_file.len,
    };
    if (o->cacert == NULL) {
        cfg.crt_bundle_attach = esp_crt_bundle_attach;
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

static void report_failure(esp_http_client_handle_t client, esp_err_t err)
{
    int code = 0, flags = 0;
    esp_err_t tls = esp_http_client_get_and_clear_last_tls_error(client, &code, &flags);
    fprintf(stderr, "portls get: %s", esp_err_to_name(err));
    if (tls != ESP_OK && tls != ESP_ERR_INVALID_STATE) {
        fprintf(stderr, " (TLS: %s, mbedTLS -0x%04x, verify flags 0x%x)", esp_err_to_name(tls), (unsigned)code,
                (unsigned)flags);
    }
    fputc('\n', stderr);
}

static int run(get_opts_t *o)
{
    esp_http_client_config_t cfg = config_of(o);
    esp_http_client_handle_t client = esp_http_client_init(&cfg);
    if (client == NULL) {
        fprintf(stderr, "portls get: cannot use URL %s\n", o->url);
        return 1;
    }
    int rc = 1;
    if (prepare(o, client) == 0) {
        esp_err_t err = esp_http_client_perform(client);
        if (o->expected >= PROGRESS_MIN_BYTES) {
            progress_end(&o->bar, o->received, o->expected);
        }
        if (err != ESP_OK) {
            report_failure(client, err);
        } else if (o->write_failed) {
            fputs("portls get: writing the body failed\n", stderr);
        } else {
            rc = 0;
        }
    }
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

int cmd_get(int argc, char **argv)
{
    get_opts_t o = { .expected = -1 };
    int rc = cli_parse(argc, argv, "o:H:X:d:Lu:v", long_options, parse_option, &o);
    if (rc != 0) {
        return rc - 1;
    }
    if (optind != argc - 1) {
        return usage(stderr);
    }
    o.url = argv[optind];
    rc = load_files(&o) != 0 || open_output(&o) != 0 ? 1 : run(&o);
    if (o.out != NULL && o.out != stdout && fclose(o.out) != 0) {
        rc = 1;
    }
    cert_file_free(&o.ca_file);
    cert_file_free(&o.cert_file);
    cert_file_free(&o.key_file);
    return rc;
}
