/*
 * The whole client's heap in one esp_http_client HTTPS GET, for make bench-mem: init with the
 * test CA, perform GET https://localhost:PORT/hello.txt from the tests' nginx (TLS 1.3), read the
 * body, cleanup. Counted like bench/mqtt_heap.c (which see for the output): the whole process
 * from before the first call, no warm-up; "idle" is once the body is read, before cleanup (the
 * connection kept alive).
 */
#include <stdio.h>
#include <string.h>

#include "esp_http_client.h"
#include "esp_tls_heap.h"
#include "heap_sites.h"
#include "nginx.h"
#include "tls_test.h"

static int get(const char *url, heap_run_t *run)
{
    esp_http_client_config_t cfg = { .url = url, .cert_pem = (const char *)pki("ca.pem")->data };
    esp_http_client_handle_t client = esp_http_client_init(&cfg);
    if (client == NULL || esp_http_client_perform(client) != ESP_OK ||
        esp_http_client_get_status_code(client) != 200) {
        esp_http_client_cleanup(client);
        return -1;
    }
    heap_run_idle(run);
    esp_http_client_cleanup(client);
    return 0;
}

int main(void)
{
    if (heap_sites_start() != 0) {
        fprintf(stderr, "bench_http_heap: no symbol table to name allocation sites by\n");
        return 1;
    }
    nginx_t nginx = { 0 };
    nginx_start(&nginx);
    char url[96];
    snprintf(url, sizeof(url), "https://localhost:%d/hello.txt", nginx.https_port);
    pki("ca.pem"); /* read now: on a device it is in flash */
    heap_run_t run;
    heap_run_begin(&run);
    int rc = get(url, &run);
    heap_run_end(&run);
    nginx_stop(&nginx);
    if (rc != 0) {
        fprintf(stderr, "bench_http_heap: the GET failed\n");
        return 1;
    }
    esp_tls_heap_stats_t account = { 0 };
    portls_heap_get_stats(&account);
    printf("account %zu\n", account.peak);
    heap_run_print(stdout, &run);
    return 0;
}
