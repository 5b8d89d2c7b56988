/*
 * ESP-IDF's mqtt/ssl_mutual_auth example (examples/esp_idf/mqtt_ssl_mutual_auth/main/app_main.c,
 * compiled as it is) in 32 KiB of heap, against the tests' mosquitto: it must connect with its
 * client certificate, subscribe, publish and receive its own message twice, and have its
 * unsubscription acknowledged, as its log tells.
 *
 * Two budgets, as the build allows: portls's own (portls_heap_set_limit(): an allocation of
 * mbedTLS or ESP-TLS beyond it fails, so the connection would), and, in an unsanitized build, the
 * whole process's heap (bench/malloc_count.c replaces malloc) from just before app_main(): its
 * peak must stay within the same 32 KiB (NVS included: it reads the mapped flash in place). Before that point the test has read the certificate
 * files (on a device they are in flash), made the flash image with its nvs partition, and used
 * stdout once (so its buffer, a host's, is not the example's).
 *
 * The example's broker URL is its Kconfig-style define (CONFIG_BROKER_URL names this file's
 * example_broker_url, filled in once mosquitto has its port), and its embedded files are the
 * symbols ESP-IDF's EMBED_TXTFILES would make, filled in from the test PKI.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "esp_log.h"
#include "esp_tls_heap.h"
#include "flash_fixture.h"
#include "mosquitto_broker.h"
#include "tls_test.h"
#ifdef PORTLS_COUNT_WHOLE_PROCESS
#include "heap_sites.h"
#endif

#define BUDGET 32768

void app_main(void);

char example_broker_url[64];
/* The example's embedded files: room for the test PKI's PEM files, NUL-terminated as
 * EMBED_TXTFILES makes them. */
uint8_t example_client_crt[8192] __asm__("_binary_client_crt_start");
uint8_t example_client_key[8192] __asm__("_binary_client_key_start");
uint8_t example_server_crt[8192] __asm__("_binary_mosquitto_org_crt_start");

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int data_events, unsubscribed_events, error_events;

static void count_line(const char *line)
{
    pthread_mutex_lock(&lock);
    data_events += strstr(line, "MQTT_EVENT_DATA") != NULL;
    unsubscribed_events += strstr(line, "MQTT_EVENT_UNSUBSCRIBED") != NULL;
    error_events += strstr(line, "MQTT_EVENT_ERROR") != NULL;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

/* esp_log's output, watched for the example's event lines and passed on. */
static int watch_log(const char *format, va_list args)
{
    char line[256];
    va_list copy;
    va_copy(copy, args);
    vsnprintf(line, sizeof(line), format, copy);
    va_end(copy);
    count_line(line);
    return vprintf(format, args);
}

/* @return true once the round trip is done, false on an error event or after 30 s. */
static bool wait_round_trip(void)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 30;
    pthread_mutex_lock(&lock);
    int rc = 0;
    while (error_events == 0 && (data_events < 2 || unsubscribed_events < 1) && rc == 0) {
        rc = pthread_cond_timedwait(&changed, &lock, &until);
    }
    bool done = error_events == 0 && data_events >= 2 && unsubscribed_events >= 1;
    pthread_mutex_unlock(&lock);
    return done;
}

static void embed(uint8_t *slot, size_t size, const char *name)
{
    const cert_file_t *f = pki(name);
    if (f->len >= size) {
        fprintf(stderr, "%s does not fit the embedded file's %zu bytes\n", name, size);
        _exit(1);
    }
    memcpy(slot, f->data, f->len); /* cert_file_t's data ends in a NUL, which len counts */
}

int main(void)
{
#ifdef PORTLS_COUNT_WHOLE_PROCESS
    heap_sites_start(); /* the breakdown printed with the peak */
#endif
    mosquitto_start(&mosquitto_group);
    snprintf(example_broker_url, sizeof(example_broker_url), "mqtts://localhost:%d", mosquitto_group.mtls_port);
    embed(example_client_crt, sizeof(example_client_crt), "client.pem");
    embed(example_client_key, sizeof(example_client_key), "client.key");
    embed(example_server_crt, sizeof(example_server_crt), "ca.pem");
    char *flash = fixture_flash_create(FIXTURE_FLASH_SIZE, fixture_standard, fixture_standard_count);
    setenv("PORTLS_FLASH", flash, 1);
    esp_log_set_vprintf(watch_log);
    printf("budget: %d bytes, the example's broker: %s\n", BUDGET, example_broker_url);
    fflush(stdout);
    portls_heap_set_limit(BUDGET);
#ifdef PORTLS_COUNT_WHOLE_PROCESS
    heap_run_t run;
    heap_run_begin(&run);
#endif
    app_main();
    bool done = wait_round_trip();
    int rc = done ? 0 : 1;
    if (!done) {
        fprintf(stderr, "the example did not complete its round trip within the budget\n");
    }
#ifdef PORTLS_COUNT_WHOLE_PROCESS
    heap_run_idle(&run);
    heap_run_end(&run);
    fprintf(stderr, "whole process: peak %zu bytes of the %d budget; by allocation site (heap_run_print()):\n",
            run.peak - run.base, BUDGET);
    heap_run_print(stderr, &run);
    rc = run.peak - run.base <= BUDGET ? rc : 1;
#else
    fprintf(stderr, "whole process: not counted in a sanitized build (the sanitizer replaces malloc)\n");
#endif
    esp_tls_heap_stats_t stats;
    portls_heap_get_stats(&stats);
    fprintf(stderr, "portls's account: peak %zu bytes of the %d budget\n", stats.peak, BUDGET);
    mosquitto_stop(&mosquitto_group);
    unlink(flash);
    /* The example's client runs on, as on a device: leave without tearing it down. */
    _exit(rc);
}
