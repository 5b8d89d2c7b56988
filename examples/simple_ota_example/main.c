/*
 * simple_ota_example: portls's version of ESP-IDF's example of the same name. The app prints the
 * SHA-256 of the firmware it runs, then updates itself with one call, esp_https_ota(), from an
 * HTTPS server it verifies against a CA, and restarts into the new firmware.
 *
 * The device is a flash image file (PORTLS_FLASH); a restart executes the program again, the next
 * boot. portls builds with rollback on (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE), so the new firmware
 * must confirm itself at its first boot or the boot after rolls it back: this one does, and stops
 * there. (ESP-IDF's example, without rollback, downloads again at every boot and then waits forever.)
 *
 * usage: PORTLS_FLASH=flash.img simple_ota_example URL CA_PEM
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_event.h"
#include "esp_http_client.h"
#include "esp_https_ota.h"
#include "esp_log.h"
#include "esp_ota_ops.h"
#include "esp_system.h"
#include "example_common.h"

#define HASH_LEN 32

static const char *TAG = "simple_ota_example";

static esp_err_t _http_event_handler(esp_http_client_event_t *evt)
{
    switch (evt->event_id) {
    case HTTP_EVENT_ERROR:
        ESP_LOGD(TAG, "HTTP_EVENT_ERROR");
        break;
    case HTTP_EVENT_ON_CONNECTED:
        ESP_LOGD(TAG, "HTTP_EVENT_ON_CONNECTED");
        break;
    case HTTP_EVENT_HEADER_SENT:
        ESP_LOGD(TAG, "HTTP_EVENT_HEADER_SENT");
        break;
    case HTTP_EVENT_ON_HEADER:
        ESP_LOGD(TAG, "HTTP_EVENT_ON_HEADER, key=%s, value=%s", evt->header_key, evt->header_value);
        break;
    case HTTP_EVENT_ON_DATA:
        ESP_LOGD(TAG, "HTTP_EVENT_ON_DATA, len=%d", evt->data_len);
        break;
    case HTTP_EVENT_ON_FINISH:
        ESP_LOGD(TAG, "HTTP_EVENT_ON_FINISH");
        break;
    case HTTP_EVENT_DISCONNECTED:
        ESP_LOGD(TAG, "HTTP_EVENT_DISCONNECTED");
        break;
    default:
        break;
    }
    return ESP_OK;
}

static void print_sha256(const uint8_t *image_hash, const char *label)
{
    char hash_print[HASH_LEN * 2 + 1];
    for (int i = 0; i < HASH_LEN; ++i) {
        snprintf(&hash_print[i * 2], 3, "%02x", image_hash[i]);
    }
    ESP_LOGI(TAG, "%s %s", label, hash_print);
}

/* At the first boot of an update: confirm it, so that the next boot does not roll it back. */
static bool confirm_new_firmware(const esp_partition_t *running)
{
    esp_ota_img_states_t state;
    if (esp_ota_get_state_partition(running, &state) != ESP_OK || state != ESP_OTA_IMG_PENDING_VERIFY) {
        return false;
    }
    ESP_ERROR_CHECK(esp_ota_mark_app_valid_cancel_rollback());
    ESP_LOGI(TAG, "Running the new firmware %s from %s: confirmed", esp_app_get_description()->version, running->label);
    return true;
}

static int simple_ota_example_task(const char *url, const char *cert_pem)
{
    ESP_LOGI(TAG, "Starting OTA example task");
    esp_http_client_config_t config = {
        .url = url,
        .cert_pem = cert_pem,
        .event_handler = _http_event_handler,
        .keep_alive_enable = true,
    };
    esp_https_ota_config_t ota_config = {
        .http_config = &config,
    };
    ESP_LOGI(TAG, "Attempting to download update from %s", config.url);
    esp_err_t ret = esp_https_ota(&ota_config);
    if (ret == ESP_OK) {
        ESP_LOGI(TAG, "OTA Succeed, Rebooting...");
        esp_restart();
    }
    ESP_LOGE(TAG, "Firmware upgrade failed: %s", esp_err_to_name(ret));
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: PORTLS_FLASH=flash.img %s URL CA_PEM\n", argv[0]);
        return 2;
    }
    ESP_LOGI(TAG, "OTA example app_main start");
    const esp_partition_t *running = example_running_app(TAG);
    if (running == NULL) {
        return 1;
    }
    uint8_t sha_256[HASH_LEN] = { 0 };
    esp_partition_get_sha256(running, sha_256);
    print_sha256(sha_256, "SHA-256 for current firmware: ");
    if (confirm_new_firmware(running)) {
        return 0;
    }
    char *cert_pem = example_read_pem(argv[2]);
    if (cert_pem == NULL) {
        return 1;
    }
    ESP_ERROR_CHECK(esp_event_loop_create_default());
    int status = simple_ota_example_task(argv[1], cert_pem);
    free(cert_pem);
    return status;
}
