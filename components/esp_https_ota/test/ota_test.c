#include "ota_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "esp_deadline.h"
#include "flash_fixture.h"
#include "portls_format.h"
#include "tls_test.h"

uint8_t *ota_test_image(const char *chip, const char *version, size_t payload_len, size_t *len)
{
    uint8_t *payload = malloc(payload_len + 1);
    assert_non_null(payload);
    for (size_t i = 0; i < payload_len; i++) {
        payload[i] = (uint8_t)(i * 31 + 7);
    }
    const portls_image_config_t cfg = { .chip = chip != NULL ? portls_chip_by_name(chip) : NULL, .version = version,
                                        .project_name = "ota_test", .min_rev_full = -1, .max_rev_full = -1,
                                        .build_time = 1700000000 };
    uint8_t *image;
    assert_int_equal(portls_image_build(&cfg, payload, payload_len, &image, len), ESP_OK);
    free(payload);
    return image;
}

size_t ota_test_serve_image(const char *name, const char *version, size_t payload_len)
{
    size_t len;
    uint8_t *image = ota_test_image(NULL, version, payload_len, &len);
    nginx_write_file(&nginx_group, name, image, len);
    free(image);
    return len;
}

void ota_test_serve_variant(const char *name, const char *chip, size_t payload_len, long flip_at)
{
    size_t len;
    uint8_t *image = ota_test_image(chip, "2.0", payload_len, &len);
    if (flip_at != 0) {
        image[flip_at > 0 ? (size_t)flip_at : len - (size_t)-flip_at] ^= 0x01;
    }
    nginx_write_file(&nginx_group, name, image, len);
    free(image);
}

const char *ota_test_url(const char *path)
{
    static char ring[8][256];
    static int next;
    char *u = ring[next++ % 8];
    snprintf(u, sizeof(ring[0]), "https://localhost:%d/%s", nginx_group.https_port, path);
    return u;
}

int ota_test_accesses(const char *path, int want, nginx_access_t *log, int max)
{
    char marker[128];
    snprintf(marker, sizeof(marker), " %s HTTP/1.1 ", path);
    esp_deadline_t deadline = esp_deadline_in_ms(10000);
    int n;
    while ((n = nginx_accesses(&nginx_group, marker, log, max)) < want && !esp_deadline_expired(deadline)) {
        usleep(10000);
    }
    assert_true(n >= want);
    return n;
}

esp_http_client_config_t ota_test_http_config(const char *url)
{
    int len;
    const char *ca = pki_pem("ca.pem", &len);
    return (esp_http_client_config_t){ .url = url, .cert_pem = ca, .timeout_ms = 20000, .keep_alive_enable = true };
}

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t s_cond; /* esp_deadline_cond_init()'s, at the first start */
static ota_test_events_t s_events;
static bool s_recording;
static int s_syncs; /* OTA_TEST_SYNC events handled */

/* Posted behind the events of earlier updates: when it is handled, they all are. */
ESP_EVENT_DEFINE_BASE(OTA_TEST_SYNC);

static void on_event(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)arg;
    pthread_mutex_lock(&s_lock);
    if (base == OTA_TEST_SYNC) {
        s_syncs++;
        pthread_cond_broadcast(&s_cond);
        pthread_mutex_unlock(&s_lock);
        return;
    }
    if (s_recording && s_events.count < (int)(sizeof(s_events.ids) / sizeof(s_events.ids[0]))) {
        s_events.ids[s_events.count++] = (int)id;
        if (id == ESP_HTTPS_OTA_WRITE_FLASH) {
            s_events.written = *(int *)data;
        } else if (id == ESP_HTTPS_OTA_VERIFY_CHIP_ID) {
            s_events.chip_id = *(esp_chip_id_t *)data;
        } else if (id == ESP_HTTPS_OTA_UPDATE_BOOT_PARTITION) {
            s_events.boot_subtype = *(esp_partition_subtype_t *)data;
        }
        pthread_cond_broadcast(&s_cond);
    }
    pthread_mutex_unlock(&s_lock);
}

void ota_test_events_start(void)
{
    static bool registered;
    if (!registered) {
        assert_int_equal(esp_deadline_cond_init(&s_cond), 0);
        esp_err_t err = esp_event_loop_create_default();
        assert_true(err == ESP_OK || err == ESP_ERR_INVALID_STATE);
        assert_int_equal(esp_event_handler_register(ESP_HTTPS_OTA_EVENT, ESP_EVENT_ANY_ID, on_event, NULL), ESP_OK);
        assert_int_equal(esp_event_handler_register(OTA_TEST_SYNC, ESP_EVENT_ANY_ID, on_event, NULL), ESP_OK);
        registered = true;
    }
    pthread_mutex_lock(&s_lock);
    int want = s_syncs + 1;
    pthread_mutex_unlock(&s_lock);
    assert_int_equal(esp_event_post(OTA_TEST_SYNC, 0, NULL, 0, portMAX_DELAY), ESP_OK);
    esp_deadline_t deadline = esp_deadline_in_ms(10000);
    pthread_mutex_lock(&s_lock);
    while (s_syncs < want && esp_deadline_cond_wait(&s_cond, &s_lock, deadline) == 0) {
    }
    assert_true(s_syncs >= want);
    memset(&s_events, 0, sizeof(s_events));
    s_events.chip_id = s_events.boot_subtype = -1;
    s_recording = true;
    pthread_mutex_unlock(&s_lock);
}

const ota_test_events_t *ota_test_events_wait(esp_https_ota_event_t last)
{
    static ota_test_events_t copy;
    esp_deadline_t deadline = esp_deadline_in_ms(10000);
    pthread_mutex_lock(&s_lock);
    while (s_events.count == 0 || s_events.ids[s_events.count - 1] != (int)last) {
        if (esp_deadline_cond_wait(&s_cond, &s_lock, deadline) != 0) {
            break;
        }
    }
    s_recording = false;
    copy = s_events;
    pthread_mutex_unlock(&s_lock);
    if (copy.count == 0 || copy.ids[copy.count - 1] != (int)last) {
        fail_msg("event %d did not come (%d events)", (int)last, copy.count);
    }
    return &copy;
}

int ota_test_events_count(const ota_test_events_t *e, esp_https_ota_event_t id)
{
    int n = 0;
    for (int i = 0; i < e->count; i++) {
        n += e->ids[i] == (int)id;
    }
    return n;
}
