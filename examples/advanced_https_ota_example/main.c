/*
 * advanced_https_ota_example: portls's version of ESP-IDF's example of the same name. The update
 * goes step by step: esp_https_ota_begin(), the new image's descriptor compared with the running
 * firmware's (the same version is not downloaded again), esp_https_ota_perform() in a loop that can
 * report progress, then esp_https_ota_finish() and a restart. An ESP_HTTPS_OTA_EVENT handler logs
 * each step. At its first boot the new firmware confirms itself (ESP-IDF's example does so once
 * Wi-Fi is up), and since the server has nothing newer, it stops there.
 *
 * ESP-IDF's menuconfig options are flags here:
 *   --partial BYTES   partial_http_download, requests of BYTES (CONFIG_EXAMPLE_ENABLE_PARTIAL_HTTP_DOWNLOAD)
 *   --resume FILE     ota_resumption (CONFIG_EXAMPLE_ENABLE_OTA_RESUMPTION): the bytes written so far,
 *                     in KiB, and the URL are kept in FILE as ESP-IDF's example keeps them in NVS
 *
 * usage: PORTLS_FLASH=flash.img advanced_https_ota_example URL CA_PEM [--partial BYTES] [--resume FILE]
 */
#include <inttypes.h>
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

#define OTA_URL_SIZE 256

static const char *TAG = "advanced_https_ota_example";

typedef struct {
    const char *url, *cert_pem, *resume_file;
    int request_size; /* 0: one request */
} example_config_t;

/* ---- OTA resumption: what ESP-IDF's example keeps in NVS (nvs_ota_wr_len in KiB, nvs_ota_url) ---- */

static uint32_t example_ota_res_get_ota_written_len(const char *file, const char *client_ota_url)
{
    char saved_url[OTA_URL_SIZE] = { 0 };
    unsigned saved_wr_len_kb = 0;
    FILE *f = fopen(file, "r");
    if (f == NULL) {
        ESP_LOGD(TAG, "Saved URL is not initialized yet!");
        return 0;
    }
    bool ok = fgets(saved_url, sizeof(saved_url), f) != NULL && fscanf(f, "%u", &saved_wr_len_kb) == 1;
    fclose(f);
    saved_url[strcspn(saved_url, "\n")] = '\0';
    if (!ok || strcmp(client_ota_url, saved_url) != 0) {
        ESP_LOGD(TAG, "URLs do not match. Restarting OTA from beginning.");
        return 0;
    }
    return saved_wr_len_kb * 1024;
}

static void example_ota_res_save_ota_cfg(const char *file, int nvs_ota_wr_len, const char *client_ota_url)
{
    FILE *f = fopen(file, "w");
    if (f == NULL) {
        ESP_LOGE(TAG, "Failed to save OTA config to %s", file);
        return;
    }
    fprintf(f, "%s\n%d\n", client_ota_url, nvs_ota_wr_len / 1024);
    fclose(f);
    ESP_LOGD(TAG, "Saving state. Total image written so far : %d KB", nvs_ota_wr_len / 1024);
}

/* ---- the example ---- */

/* What the events without data say. */
static const char *const event_texts[] = {
    [ESP_HTTPS_OTA_START] = "OTA started",
    [ESP_HTTPS_OTA_CONNECTED] = "Connected to server",
    [ESP_HTTPS_OTA_GET_IMG_DESC] = "Reading Image Description",
    [ESP_HTTPS_OTA_DECRYPT_CB] = "Callback to decrypt function",
    [ESP_HTTPS_OTA_FINISH] = "OTA finish",
    [ESP_HTTPS_OTA_ABORT] = "OTA abort",
};

/* Event handler for catching system events */
static void event_handler(void *arg, esp_event_base_t event_base, int32_t event_id, void *event_data)
{
    (void)arg;
    if (event_base != ESP_HTTPS_OTA_EVENT) {
        return;
    }
    switch (event_id) {
    case ESP_HTTPS_OTA_VERIFY_CHIP_ID:
        ESP_LOGI(TAG, "Verifying chip id of new image: %d", *(esp_chip_id_t *)event_data);
        break;
    case ESP_HTTPS_OTA_VERIFY_CHIP_REVISION:
        ESP_LOGI(TAG, "Verifying chip revision of new image: %d", *(uint16_t *)event_data);
        break;
    case ESP_HTTPS_OTA_WRITE_FLASH:
        ESP_LOGD(TAG, "Writing to flash: %d written", *(int *)event_data);
        break;
    case ESP_HTTPS_OTA_UPDATE_BOOT_PARTITION:
        ESP_LOGI(TAG, "Boot partition updated. Next Partition: %d", *(esp_partition_subtype_t *)event_data);
        break;
    default:
        ESP_LOGI(TAG, "%s", event_texts[event_id]);
        break;
    }
}

static esp_err_t validate_image_header(esp_app_desc_t *new_app_info)
{
    if (new_app_info == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    const esp_partition_t *running = esp_ota_get_running_partition();
    esp_app_desc_t running_app_info;
    if (esp_ota_get_partition_description(running, &running_app_info) == ESP_OK) {
        ESP_LOGI(TAG, "Running firmware version: %s", running_app_info.version);
    }
    if (memcmp(new_app_info->version, running_app_info.version, sizeof(new_app_info->version)) == 0) {
        ESP_LOGW(TAG, "Current running version is the same as a new. We will not continue the update.");
        return ESP_FAIL;
    }
    return ESP_OK;
}

static esp_err_t _http_client_init_cb(esp_http_client_handle_t http_client)
{
    (void)http_client;
    /* e.g. esp_http_client_set_header(http_client, "Custom-Header", "Value"); */
    return ESP_OK;
}

static esp_err_t perform_until_done(esp_https_ota_handle_t https_ota_handle, const example_config_t *cfg)
{
    esp_err_t err;
    while ((err = esp_https_ota_perform(https_ota_handle)) == ESP_ERR_HTTPS_OTA_IN_PROGRESS) {
        /* esp_https_ota_perform returns after every read: the image bytes so far, for progress */
        const int len = esp_https_ota_get_image_len_read(https_ota_handle);
        ESP_LOGD(TAG, "Image bytes read: %d", len);
        if (cfg->resume_file != NULL) {
            example_ota_res_save_ota_cfg(cfg->resume_file, len, cfg->url);
        }
    }
    return err;
}

static esp_err_t finish(esp_https_ota_handle_t https_ota_handle, const example_config_t *cfg)
{
    if (cfg->resume_file != NULL) {
        remove(cfg->resume_file);
    }
    esp_err_t ota_finish_err = esp_https_ota_finish(https_ota_handle);
    if (ota_finish_err == ESP_OK) {
        ESP_LOGI(TAG, "ESP_HTTPS_OTA upgrade successful. Rebooting ...");
        esp_restart();
    }
    if (ota_finish_err == ESP_ERR_OTA_VALIDATE_FAILED) {
        ESP_LOGE(TAG, "Image validation failed, image is corrupted");
    }
    ESP_LOGE(TAG, "ESP_HTTPS_OTA upgrade failed 0x%x", ota_finish_err);
    return ota_finish_err;
}

/* @return ESP_OK when there was nothing newer to download, else the error (a success restarts) */
static esp_err_t advanced_ota_example_task(const example_config_t *cfg)
{
    ESP_LOGI(TAG, "Starting Advanced OTA example");
    esp_http_client_config_t config = {
        .url = cfg->url,
        .cert_pem = cfg->cert_pem,
        .timeout_ms = 5000,
        .keep_alive_enable = true,
    };
    esp_https_ota_config_t ota_config = {
        .http_config = &config,
        .http_client_init_cb = _http_client_init_cb,
        .partial_http_download = cfg->request_size > 0,
        .max_http_request_size = cfg->request_size,
        .ota_resumption = cfg->resume_file != NULL,
        .ota_image_bytes_written = cfg->resume_file != NULL ? example_ota_res_get_ota_written_len(cfg->resume_file, cfg->url) : 0,
    };
    esp_https_ota_handle_t https_ota_handle = NULL;
    esp_err_t err = esp_https_ota_begin(&ota_config, &https_ota_handle);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "ESP HTTPS OTA Begin failed");
        return err;
    }
    esp_app_desc_t app_desc = { 0 };
    err = esp_https_ota_get_img_desc(https_ota_handle, &app_desc);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "esp_https_ota_get_img_desc failed");
    } else if (validate_image_header(&app_desc) != ESP_OK) {
        ESP_LOGE(TAG, "image header verification failed");
        esp_https_ota_abort(https_ota_handle);
        return ESP_OK; /* nothing newer */
    } else if ((err = perform_until_done(https_ota_handle, cfg)) == ESP_OK) {
        if (esp_https_ota_is_complete_data_received(https_ota_handle)) {
            return finish(https_ota_handle, cfg);
        }
        ESP_LOGE(TAG, "Complete data was not received.");
        err = ESP_FAIL;
    }
    esp_https_ota_abort(https_ota_handle);
    ESP_LOGE(TAG, "ESP_HTTPS_OTA upgrade failed");
    return err;
}

/* The first boot of an update: it confirms itself, as ESP-IDF's example does once Wi-Fi is up. */
static void cancel_rollback_if_pending(void)
{
    const esp_partition_t *running = esp_ota_get_running_partition();
    esp_ota_img_states_t ota_state;
    if (esp_ota_get_state_partition(running, &ota_state) == ESP_OK && ota_state == ESP_OTA_IMG_PENDING_VERIFY) {
        if (esp_ota_mark_app_valid_cancel_rollback() == ESP_OK) {
            ESP_LOGI(TAG, "App is valid, rollback cancelled successfully");
        } else {
            ESP_LOGE(TAG, "Failed to cancel rollback");
        }
    }
}

/* @return 0, or 2 (bad usage, said why) */
static int parse_flags(int argc, char **argv, example_config_t *cfg)
{
    for (int i = 3; i < argc; i += 2) {
        if (i + 1 < argc && strcmp(argv[i], "--partial") == 0) {
            cfg->request_size = atoi(argv[i + 1]);
        } else if (i + 1 < argc && strcmp(argv[i], "--resume") == 0) {
            cfg->resume_file = argv[i + 1];
        } else {
            fprintf(stderr, "usage: PORTLS_FLASH=flash.img %s URL CA_PEM [--partial BYTES] [--resume FILE]\n", argv[0]);
            return 2;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    example_config_t cfg = { 0 };
    if (argc < 3 || parse_flags(argc, argv, &cfg) != 0) {
        return 2;
    }
    ESP_LOGI(TAG, "OTA example app_main start");
    if (example_running_app(TAG) == NULL) {
        return 1;
    }
    char *cert_pem = example_read_pem(argv[2]);
    if (cert_pem == NULL) {
        return 1;
    }
    cfg.url = argv[1];
    cfg.cert_pem = cert_pem;
    ESP_ERROR_CHECK(esp_event_loop_create_default());
    ESP_ERROR_CHECK(esp_event_handler_register(ESP_HTTPS_OTA_EVENT, ESP_EVENT_ANY_ID, &event_handler, NULL));
    cancel_rollback_if_pending();
    esp_err_t err = advanced_ota_example_task(&cfg);
    esp_event_loop_delete_default();
    free(cert_pem);
    return err == ESP_OK ? 0 : 1;
}
