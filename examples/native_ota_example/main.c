/*
 * native_ota_example: portls's version of ESP-IDF's example of the same name. The update with the
 * app_update calls themselves: esp_http_client reads the image, its descriptor is checked in the
 * first chunk (a version the running firmware has, or one that was rolled back before, is not
 * taken), then esp_ota_begin(), esp_ota_write() per chunk, esp_ota_end(),
 * esp_ota_set_boot_partition() and a restart. At its first boot the new firmware runs a
 * diagnostic: it confirms itself if that passes, or refuses itself and reboots into the previous
 * firmware (esp_ota_mark_app_invalid_rollback_and_reboot()).
 *
 * ESP-IDF's diagnostic reads a GPIO pulled up (CONFIG_EXAMPLE_GPIO_DIAGNOSTIC): the pin held low
 * fails it. Here the pin is the environment variable EXAMPLE_GPIO_DIAGNOSTIC: "0" is the pin low.
 * Where ESP-IDF's example waits forever for a reset, this one exits.
 *
 * usage: PORTLS_FLASH=flash.img [EXAMPLE_GPIO_DIAGNOSTIC=0] native_ota_example URL CA_PEM
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_app_format.h"
#include "esp_http_client.h"
#include "esp_log.h"
#include "esp_ota_ops.h"
#include "esp_system.h"
#include "example_common.h"

#define BUFFSIZE 1024
#define HASH_LEN 32 /* SHA-256 digest length */

static const char *TAG = "native_ota_example";
/* an ota data write buffer ready to write to the flash */
static char ota_write_data[BUFFSIZE + 1] = { 0 };

typedef enum { EXAMPLE_UPDATED, EXAMPLE_NOTHING_NEW, EXAMPLE_FAILED } example_result_t;

static void http_cleanup(esp_http_client_handle_t client)
{
    esp_http_client_close(client);
    esp_http_client_cleanup(client);
}

static void print_sha256(const uint8_t *image_hash, const char *label)
{
    char hash_print[HASH_LEN * 2 + 1];
    for (int i = 0; i < HASH_LEN; ++i) {
        snprintf(&hash_print[i * 2], 3, "%02x", image_hash[i]);
    }
    ESP_LOGI(TAG, "%s: %s", label, hash_print);
}

/* The new image's descriptor, from its first chunk: is it worth taking? */
static bool new_version_wanted(const esp_partition_t *running, const esp_app_desc_t *new_app_info)
{
    ESP_LOGI(TAG, "New firmware version: %s", new_app_info->version);
    esp_app_desc_t running_app_info = { 0 };
    if (esp_ota_get_partition_description(running, &running_app_info) == ESP_OK) {
        ESP_LOGI(TAG, "Running firmware version: %s", running_app_info.version);
    }
    const esp_partition_t *last_invalid_app = esp_ota_get_last_invalid_partition();
    esp_app_desc_t invalid_app_info;
    if (esp_ota_get_partition_description(last_invalid_app, &invalid_app_info) == ESP_OK) {
        ESP_LOGI(TAG, "Last invalid firmware version: %s", invalid_app_info.version);
        if (memcmp(invalid_app_info.version, new_app_info->version, sizeof(new_app_info->version)) == 0) {
            ESP_LOGW(TAG, "New version is the same as invalid version.");
            ESP_LOGW(TAG, "Previously, there was an attempt to launch the firmware with %s version, but it failed.",
                     invalid_app_info.version);
            ESP_LOGW(TAG, "The firmware has been rolled back to the previous version.");
            return false;
        }
    }
    if (memcmp(new_app_info->version, running_app_info.version, sizeof(new_app_info->version)) == 0) {
        ESP_LOGW(TAG, "Current running version is the same as a new. We will not continue the update.");
        return false;
    }
    return true;
}

/* The first chunk: the descriptor check, then esp_ota_begin(). */
static example_result_t start_update(const esp_partition_t *running, const esp_partition_t *update_partition,
                                     int data_read, esp_ota_handle_t *update_handle)
{
    if (data_read <= (int)(sizeof(esp_image_header_t) + sizeof(esp_image_segment_header_t) + sizeof(esp_app_desc_t))) {
        ESP_LOGE(TAG, "received package is not fit len");
        return EXAMPLE_FAILED;
    }
    esp_app_desc_t new_app_info;
    memcpy(&new_app_info, &ota_write_data[sizeof(esp_image_header_t) + sizeof(esp_image_segment_header_t)],
           sizeof(esp_app_desc_t));
    if (!new_version_wanted(running, &new_app_info)) {
        return EXAMPLE_NOTHING_NEW;
    }
    esp_err_t err = esp_ota_begin(update_partition, OTA_WITH_SEQUENTIAL_WRITES, update_handle);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "esp_ota_begin failed (%s)", esp_err_to_name(err));
        return EXAMPLE_FAILED;
    }
    ESP_LOGI(TAG, "esp_ota_begin succeeded");
    return EXAMPLE_UPDATED;
}

/* Reads the image and writes it as it comes. */
static example_result_t download(esp_http_client_handle_t client, const esp_partition_t *running,
                                 const esp_partition_t *update_partition, esp_ota_handle_t *update_handle)
{
    int binary_file_length = 0;
    bool image_header_was_checked = false;
    for (;;) {
        int data_read = esp_http_client_read(client, ota_write_data, BUFFSIZE);
        if (data_read < 0) {
            ESP_LOGE(TAG, "Error: SSL data read error");
            return EXAMPLE_FAILED;
        }
        if (data_read == 0) {
            break; /* the end of the body, or the connection closed: checked below */
        }
        if (!image_header_was_checked) {
            example_result_t r = start_update(running, update_partition, data_read, update_handle);
            if (r != EXAMPLE_UPDATED) {
                return r;
            }
            image_header_was_checked = true;
        }
        if (esp_ota_write(*update_handle, (const void *)ota_write_data, data_read) != ESP_OK) {
            return EXAMPLE_FAILED;
        }
        binary_file_length += data_read;
        ESP_LOGD(TAG, "Written image length %d", binary_file_length);
    }
    ESP_LOGI(TAG, "Total Write binary data length: %d", binary_file_length);
    if (!esp_http_client_is_complete_data_received(client)) {
        ESP_LOGE(TAG, "Error in receiving complete file");
        return EXAMPLE_FAILED;
    }
    return image_header_was_checked ? EXAMPLE_UPDATED : EXAMPLE_FAILED;
}

/* Writes the new firmware and makes it boot next. */
static example_result_t ota_example_task(const char *url, const char *cert_pem)
{
    ESP_LOGI(TAG, "Starting OTA example task");
    const esp_partition_t *configured = esp_ota_get_boot_partition();
    const esp_partition_t *running = esp_ota_get_running_partition();
    if (configured != running) {
        ESP_LOGW(TAG, "Configured OTA boot partition at offset 0x%08" PRIx32 ", but running from offset 0x%08" PRIx32,
                 configured->address, running->address);
        ESP_LOGW(TAG, "(This can happen if either the OTA boot data or preferred boot image become corrupted somehow.)");
    }
    ESP_LOGI(TAG, "Running partition type %d subtype %d (offset 0x%08" PRIx32 ")", running->type, running->subtype,
             running->address);
    esp_http_client_config_t config = {
        .url = url,
        .cert_pem = cert_pem,
        .timeout_ms = 5000,
        .keep_alive_enable = true,
    };
    esp_http_client_handle_t client = esp_http_client_init(&config);
    if (client == NULL) {
        ESP_LOGE(TAG, "Failed to initialise HTTP connection");
        return EXAMPLE_FAILED;
    }
    esp_err_t err = esp_http_client_open(client, 0);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "Failed to open HTTP connection: %s", esp_err_to_name(err));
        esp_http_client_cleanup(client);
        return EXAMPLE_FAILED;
    }
    esp_http_client_fetch_headers(client);
    const esp_partition_t *update_partition = esp_ota_get_next_update_partition(NULL);
    ESP_LOGI(TAG, "Writing to partition subtype %d at offset 0x%" PRIx32, update_partition->subtype,
             update_partition->address);
    esp_ota_handle_t update_handle = 0;
    example_result_t r = download(client, running, update_partition, &update_handle);
    http_cleanup(client);
    if (r != EXAMPLE_UPDATED) {
        esp_ota_abort(update_handle);
        return r;
    }
    err = esp_ota_end(update_handle);
    if (err == ESP_OK) {
        err = esp_ota_set_boot_partition(update_partition);
    }
    if (err == ESP_ERR_OTA_VALIDATE_FAILED) {
        ESP_LOGE(TAG, "Image validation failed, image is corrupted");
    } else if (err != ESP_OK) {
        ESP_LOGE(TAG, "esp_ota_end or esp_ota_set_boot_partition failed (%s)!", esp_err_to_name(err));
    }
    if (err != ESP_OK) {
        return EXAMPLE_FAILED;
    }
    ESP_LOGI(TAG, "Prepare to restart system!");
    esp_restart();
}

/* The board's diagnostic pin, pulled up: held low, the diagnostic fails. */
static bool diagnostic(void)
{
    ESP_LOGI(TAG, "Diagnostics...");
    const char *level = getenv("EXAMPLE_GPIO_DIAGNOSTIC");
    return level == NULL || strcmp(level, "0") != 0;
}

/* At the first boot of an update: confirm it, or roll back (which reboots). */
static void check_new_firmware(const esp_partition_t *running)
{
    esp_ota_img_states_t ota_state;
    if (esp_ota_get_state_partition(running, &ota_state) != ESP_OK || ota_state != ESP_OTA_IMG_PENDING_VERIFY) {
        return;
    }
    if (diagnostic()) {
        ESP_LOGI(TAG, "Diagnostics completed successfully! Continuing execution ...");
        esp_ota_mark_app_valid_cancel_rollback();
    } else {
        ESP_LOGE(TAG, "Diagnostics failed! Start rollback to the previous version ...");
        esp_ota_mark_app_invalid_rollback_and_reboot();
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: PORTLS_FLASH=flash.img [EXAMPLE_GPIO_DIAGNOSTIC=0] %s URL CA_PEM\n", argv[0]);
        return 2;
    }
    ESP_LOGI(TAG, "OTA example app_main start");
    const esp_partition_t *running = example_running_app(TAG);
    if (running == NULL) {
        return 1;
    }
    uint8_t sha_256[HASH_LEN] = { 0 };
    esp_partition_t partition = { .address = ESP_PARTITION_TABLE_OFFSET, .size = ESP_PARTITION_TABLE_MAX_LEN,
                                  .type = ESP_PARTITION_TYPE_DATA };
    esp_partition_get_sha256(&partition, sha_256);
    print_sha256(sha_256, "SHA-256 for the partition table: ");
    esp_partition_get_sha256(running, sha_256);
    print_sha256(sha_256, "SHA-256 for current firmware: ");
    check_new_firmware(running);
    char *cert_pem = example_read_pem(argv[2]);
    if (cert_pem == NULL) {
        return 1;
    }
    example_result_t r = ota_example_task(argv[1], cert_pem);
    free(cert_pem);
    if (r == EXAMPLE_NOTHING_NEW) {
        ESP_LOGI(TAG, "When a new firmware is available on the server, run the example again to download it");
    }
    return r == EXAMPLE_FAILED ? 1 : 0;
}
