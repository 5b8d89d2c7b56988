/*
 * make bench-ota: the heap of a whole update, esp_https_ota() from the tests' nginx into a flash
 * image file, in this build's configuration.
 *   bench_ota_heap REQUEST_SIZE
 * REQUEST_SIZE 0: one request (the default); else partial_http_download with requests of that many
 * bytes. nginx serves a 256 KiB image over TLS 1.3 (records of up to 16 KiB, its default); the
 * certificate is the test CA's, read before the count starts (on a device it is in flash).
 * Prints "peak after", in bytes above the figure before the update: the whole process's peak
 * (malloc_count.h: usable bytes, the TLS context, buffers, the HTTP client, the OTA handle and its
 * buffer; the flash file is mapped, not allocated) and what is left allocated after it. A warm-up
 * request first pays for the one-time state (PSA's globals, the resolver, the partition table).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_https_ota.h"
#include "esp_ota_ops.h"
#include "esp_private/partition_linux.h"
#include "flash_fixture.h"
#include "malloc_count.h"
#include "nginx.h"
#include "tls_test.h"

#define PAYLOAD (256 * 1024)

static char s_url[128];

static esp_http_client_config_t http_config(const char *path)
{
    int len;
    snprintf(s_url, sizeof(s_url), "https://localhost:%d/%s", nginx_group.https_port, path);
    return (esp_http_client_config_t){ .url = s_url, .cert_pem = pki_pem("ca.pem", &len), .keep_alive_enable = true };
}

static void warm_up(void)
{
    esp_http_client_config_t http = http_config("hello.txt");
    esp_http_client_handle_t c = esp_http_client_init(&http);
    if (c == NULL || esp_http_client_perform(c) != ESP_OK) {
        fprintf(stderr, "bench_ota_heap: the warm-up request failed\n");
        exit(1);
    }
    esp_http_client_cleanup(c);
    (void)esp_ota_get_running_partition(); /* the boot, and the partition table */
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s REQUEST_SIZE\n", argv[0]);
        return 2;
    }
    int request_size = atoi(argv[1]);
    nginx_group_setup(NULL);
    fixture_part_t parts[] = {
        { "otadata", PART_TYPE_DATA, PART_SUBTYPE_DATA_OTA, FIXTURE_OTADATA, 0x2000, 0 },
        { "factory", PART_TYPE_APP, PART_SUBTYPE_FACTORY, 0x10000, 0x50000, 0 },
        { "ota_0", PART_TYPE_APP, 0x10, 0x60000, 0x50000, 0 },
    };
    char *flash = fixture_flash_create(0xb0000, parts, 3);
    fixture_flash_image(flash, 0x10000, "1.0");
    size_t len;
    uint8_t *image = fixture_image("2.0", PAYLOAD, &len);
    nginx_write_file(&nginx_group, "app.bin", image, len);
    free(image);
    fixture_power_on(flash);
    warm_up();
    esp_http_client_config_t http = http_config("app.bin");
    esp_https_ota_config_t cfg = { .http_config = &http, .partial_http_download = request_size > 0,
                                   .max_http_request_size = request_size };
    size_t base = malloc_count_current();
    malloc_count_reset_peak();
    esp_err_t err = esp_https_ota(&cfg);
    long long peak = (long long)(malloc_count_peak() - base);
    long long after = (long long)malloc_count_current() - (long long)base;
    fixture_remove(flash);
    nginx_group_teardown(NULL);
    if (err != ESP_OK) {
        fprintf(stderr, "bench_ota_heap: the update failed: %s\n", esp_err_to_name(err));
        return 1;
    }
    printf("%lld %lld\n", peak, after);
    return 0;
}
