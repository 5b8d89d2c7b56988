/* What the esp_https_ota tests share: app images in the tests' nginx (nginx_group), the configs
 * to fetch them, and the ESP_HTTPS_OTA_EVENT recorder. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "esp_http_client.h"
#include "esp_https_ota.h"
#include "nginx.h"

/* An app image for chip (NULL: the emulated one) with version and payload_len payload bytes.
 * @return malloc'd */
uint8_t *ota_test_image(const char *chip, const char *version, size_t payload_len, size_t *len);

/* Writes an image (ota_test_image() for the emulated chip) as name in nginx_group's site.
 * @return its length */
size_t ota_test_serve_image(const char *name, const char *version, size_t payload_len);

/* An image "2.0" for chip (NULL: the emulated one) as name in the site, with one bit flipped at
 * byte flip_at (from the end when negative; 0: none). */
void ota_test_serve_variant(const char *name, const char *chip, size_t payload_len, long flip_at);

/* "https://localhost:<https_port>/<path>", in a ring of 8 static buffers. */
const char *ota_test_url(const char *path);

/* The access log's lines for path ("/name"), once there are want of them (nginx writes a line when
 * it is done with a request, which may be after the client is): 10 s at most, then asserted.
 * @return how many (<= max) */
int ota_test_accesses(const char *path, int want, nginx_access_t *log, int max);

/* A config for url, verified with the test CA. */
esp_http_client_config_t ota_test_http_config(const char *url);

/* ESP_HTTPS_OTA_EVENT on the default loop (created if needed): the ids as they come, and the data
 * of the last WRITE_FLASH, VERIFY_CHIP_ID and UPDATE_BOOT_PARTITION. */
typedef struct {
    int ids[4096];
    int count;
    int written;     /* WRITE_FLASH */
    int chip_id;     /* VERIFY_CHIP_ID */
    int boot_subtype; /* UPDATE_BOOT_PARTITION */
} ota_test_events_t;

/* Starts recording (clearing what was recorded). */
void ota_test_events_start(void);

/* Waits (10 s at most) until the event last has come, then stops recording and returns a copy. */
const ota_test_events_t *ota_test_events_wait(esp_https_ota_event_t last);

/* How many times id came. */
int ota_test_events_count(const ota_test_events_t *e, esp_https_ota_event_t id);
