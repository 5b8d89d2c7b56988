/*
 * make bench-http: esp_http_client against curl, on the same nginx (the tests' configuration,
 * tests/support/nginx.h), in the same run, over HTTPS (TLS 1.3) with the test CA. nginx offers one
 * ciphersuite at a time, so both clients use the same one: the whole set runs for
 * TLS_AES_128_GCM_SHA256, then for TLS_CHACHA20_POLY1305_SHA256. Both clients write the body to
 * /dev/null (portls from its ON_DATA handler, curl with -o):
 *   - requests per second over one keep-alive connection;
 *   - requests per second with a new connection each (Connection: close), with full handshakes
 *     and with session resumption (portls: save_client_session; curl: its session cache);
 *   - the download throughput of a 256 MiB file.
 * Each figure is the median of RUNS runs; curl's include its process start. nginx's access log
 * tells how many connections each run used, how many were resumed, and the cipher, which must be
 * the pinned one for both. The table goes to stdout and, as JSON, to the file named by the first
 * argument.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "esp_timer.h"
#include "esp_http_client.h"
#include "nginx.h"
#include "tls_test.h"

#define RUNS 3
#define KEEP_ALIVE_REQUESTS 2000
#define NEW_CONNECTIONS 300
#define DOWNLOAD_LEN (256u * 1024 * 1024)

typedef enum { KEEP_ALIVE, FULL_HANDSHAKES, RESUMED, DOWNLOAD, CASES } bench_case_t;

static const char *const case_names[CASES] = { "keep-alive requests/s", "new connections, full handshake, req/s",
                                               "new connections, resumed, req/s", "256 MiB download, MB/s" };
static const char *const case_keys[CASES] = { "keep_alive_rps", "full_handshake_rps", "resumed_rps", "download_mbps" };

/* What nginx saw of one client's runs of a case. */
typedef struct {
    double value; /* the median */
    int requests, connections, resumed;
    char cipher[64];
} measured_t;

static const char *const suites[] = { "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256" };

static void url_for(char *out, size_t len, const char *path, const char *marker)
{
    snprintf(out, len, "https://localhost:%d%s?%s", nginx_group.https_port, path, marker);
}

/* ---- portls: one handle, n requests, or the download ---- */

/* The body goes where curl's -o /dev/null sends it. */
static esp_err_t discard_body(esp_http_client_event_t *evt)
{
    static FILE *null_out;
    if (evt->event_id != HTTP_EVENT_ON_DATA) {
        return ESP_OK;
    }
    if (null_out == NULL && (null_out = fopen("/dev/null", "wb")) == NULL) {
        return ESP_FAIL;
    }
    return fwrite(evt->data, 1, (size_t)evt->data_len, null_out) == (size_t)evt->data_len ? ESP_OK : ESP_FAIL;
}

static esp_http_client_handle_t portls_client(const char *url, bool close_each, bool resume)
{
    esp_http_client_config_t cfg = { .url = url, .cert_pem = (const char *)pki("ca.pem")->data,
                                     .save_client_session = resume, .buffer_size = 16384,
                                     .event_handler = discard_body };
    esp_http_client_handle_t client = esp_http_client_init(&cfg);
    if (client == NULL) {
        fprintf(stderr, "esp_http_client_init failed\n");
        exit(1);
    }
    if (close_each) {
        esp_http_client_set_header(client, "Connection", "close");
    }
    return client;
}

static void must(esp_err_t err, esp_http_client_handle_t client)
{
    if (err != ESP_OK || esp_http_client_get_status_code(client) != 200) {
        fprintf(stderr, "portls request failed: %s, status %d\n", esp_err_to_name(err),
                esp_http_client_get_status_code(client));
        exit(1);
    }
}

static double portls_run(bench_case_t c, const char *marker)
{
    char url[160];
    url_for(url, sizeof(url), c == DOWNLOAD ? "/download.bin" : "/hello.txt", marker);
    int n = c == KEEP_ALIVE ? KEEP_ALIVE_REQUESTS : c == DOWNLOAD ? 1 : NEW_CONNECTIONS;
    int64_t start = esp_timer_get_time();
    esp_http_client_handle_t client = portls_client(url, c == FULL_HANDSHAKES || c == RESUMED, c == RESUMED);
    for (int i = 0; i < n; i++) {
        must(esp_http_client_perform(client), client);
    }
    esp_http_client_cleanup(client);
    double seconds = (double)(esp_timer_get_time() - start) / 1e6;
    return c == DOWNLOAD ? DOWNLOAD_LEN / seconds / 1e6 : n / seconds;
}

/* ---- curl: one process, the URLs from a config file ---- */

static double curl_run(bench_case_t c, const char *marker)
{
    char url[160], config[] = "/tmp/portls-bench-curl-XXXXXX";
    url_for(url, sizeof(url), c == DOWNLOAD ? "/download.bin" : "/hello.txt", marker);
    int n = c == KEEP_ALIVE ? KEEP_ALIVE_REQUESTS : c == DOWNLOAD ? 1 : NEW_CONNECTIONS;
    FILE *f = fdopen(mkstemp(config), "w");
    for (int i = 0; i < n; i++) {
        fprintf(f, "url = \"%s\"\noutput = \"/dev/null\"\n", url);
    }
    fclose(f);
    const char *argv[12] = { "curl", "-sS", "--fail", "--cacert", cert_path("ca.pem"), "-K", config };
    int argc = 7;
    if (c == FULL_HANDSHAKES || c == RESUMED) {
        argv[argc++] = "-H";
        argv[argc++] = "Connection: close";
    }
    if (c == FULL_HANDSHAKES) {
        argv[argc++] = "--no-sessionid";
    }
    argv[argc] = NULL;
    char out[1024];
    int64_t start = esp_timer_get_time();
    int status = run_program(argv, NULL, out, sizeof(out));
    double seconds = (double)(esp_timer_get_time() - start) / 1e6;
    remove(config);
    if (status != 0) {
        fprintf(stderr, "curl failed (%d): %s\n", status, out);
        exit(1);
    }
    return c == DOWNLOAD ? DOWNLOAD_LEN / seconds / 1e6 : n / seconds;
}

/* ---- runs, and what nginx logged of them ---- */

static void count_log(const char *marker, measured_t *m)
{
    static nginx_access_t log[KEEP_ALIVE_REQUESTS + 8];
    int n = 0;
    for (int waited = 0; waited < 100 && n < m->requests; waited++) { /* nginx logs after answering */
        n = nginx_accesses(&nginx_group, marker, log, (int)(sizeof(log) / sizeof(log[0])));
        sleep_ms(20);
    }
    for (int i = 0; i < n; i++) {
        bool new_connection = i == 0 || log[i].connection != log[i - 1].connection;
        m->connections += new_connection;
        m->resumed += new_connection && log[i].resumed;
    }
    snprintf(m->cipher, sizeof(m->cipher), "%s", n > 0 ? log[0].cipher : "?");
}

static measured_t measure(bench_case_t c, const char *client, double (*run)(bench_case_t, const char *))
{
    double values[RUNS];
    measured_t m = { 0 };
    for (int r = 0; r < RUNS; r++) {
        char marker[64];
        snprintf(marker, sizeof(marker), "bench-%s-%s-%d", client, case_keys[c], r);
        values[r] = run(c, marker);
        measured_t seen = { .requests = c == KEEP_ALIVE ? KEEP_ALIVE_REQUESTS : c == DOWNLOAD ? 1 : NEW_CONNECTIONS };
        count_log(marker, &seen);
        m.requests += seen.requests;
        m.connections += seen.connections;
        m.resumed += seen.resumed;
        memcpy(m.cipher, seen.cipher, sizeof(m.cipher));
    }
    m.value = bench_median(values, RUNS);
    return m;
}

static void write_download_file(void)
{
    unsigned char *data = malloc(DOWNLOAD_LEN);
    if (data == NULL) {
        exit(1);
    }
    unsigned x = 0x9e3779b9; /* incompressible, though nginx does not compress it anyway */
    for (size_t i = 0; i < DOWNLOAD_LEN; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[i] = (unsigned char)x;
    }
    nginx_write_file(&nginx_group, "download.bin", data, DOWNLOAD_LEN);
    free(data);
}

/* Both clients must have used the pinned suite, or the comparison means nothing. */
static void check_cipher(const char *suite, const measured_t *m, const char *client)
{
    if (strstr(m->cipher, suite) == NULL) {
        fprintf(stderr, "%s negotiated %s, not %s\n", client, m->cipher, suite);
        exit(1);
    }
}

static void report(FILE *json, const char *suite, bench_case_t c, const measured_t *mine, const measured_t *curl)
{
    static bool first = true;
    char seen_mine[32], seen_curl[32];
    snprintf(seen_mine, sizeof(seen_mine), "%d/%d/%d", mine->requests, mine->connections, mine->resumed);
    snprintf(seen_curl, sizeof(seen_curl), "%d/%d/%d", curl->requests, curl->connections, curl->resumed);
    printf("%-40s %10.1f %10.1f %7.2f   %-16s %-16s %s\n", case_names[c], mine->value, curl->value,
           mine->value / curl->value, seen_mine, seen_curl, mine->cipher);
    fprintf(json,
            "%s  {\"suite\": \"%s\", \"case\": \"%s\", \"portls\": %.1f, \"curl\": %.1f, \"ratio\": %.3f, \"runs\": %d,\n"
            "   \"portls_requests\": %d, \"portls_connections\": %d, \"portls_resumed\": %d, \"portls_cipher\": \"%s\",\n"
            "   \"curl_requests\": %d, \"curl_connections\": %d, \"curl_resumed\": %d, \"curl_cipher\": \"%s\"}",
            first ? "" : ",\n", suite, case_keys[c], mine->value, curl->value, mine->value / curl->value, RUNS,
            mine->requests, mine->connections, mine->resumed, mine->cipher, curl->requests, curl->connections,
            curl->resumed, curl->cipher);
    first = false;
}

/* Every case for one suite, on an nginx that offers only that one. */
static void bench_suite(FILE *json, const char *suite)
{
    nginx_group.tls13_suites = suite;
    nginx_group_setup(NULL);
    write_download_file();
    printf("\n%s\n%-40s %10s %10s %7s   %-16s %-16s %s\n", suite, "", "portls", "curl", "ratio",
           "portls req/conn/res", "curl req/conn/res", "cipher (both)");
    for (bench_case_t c = 0; c < CASES; c++) {
        measured_t mine = measure(c, "portls", portls_run), curl = measure(c, "curl", curl_run);
        check_cipher(suite, &mine, "portls");
        check_cipher(suite, &curl, "curl");
        report(json, suite, c, &mine, &curl);
    }
    nginx_group_teardown(NULL);
}

int main(int argc, char **argv)
{
    FILE *json = bench_results_open(argc, argv);
    printf("esp_http_client against curl on one nginx, HTTPS (TLS 1.3), median of %d runs; ratio = portls / curl\n"
           "(higher is better for portls); both write the body to /dev/null\n", RUNS);
    fputs("[\n", json);
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
        bench_suite(json, suites[i]);
    }
    fputs("\n]\n", json);
    fclose(json);
    printf("written to %s\n", argv[1]);
    return 0;
}
