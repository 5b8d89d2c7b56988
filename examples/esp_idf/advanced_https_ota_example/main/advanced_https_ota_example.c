/*
 * ESP-IDF's examples/system/ota/advanced_https_ota_example, written for portls from its
 * documentation: an update by esp_https_ota's steps (begin, the new image's description, a version
 * check, perform until done, finish), the OTA events logged by a handler on the default loop, and
 * at the first boot of a new image its confirmation (rollback cancelled). It builds unchanged for
 * a chip and for a PC.
 *
 * On a PC the device is the flash image file PORTLS_FLASH names, and a restart executes the
 * program again. CONFIG_EXAMPLE_FIRMWARE_UPGRADE_URL and CONFIG_EXAMPLE_OTA_RECV_TIMEOUT are
 * Kconfig options in ESP-IDF; here -D sets them. The embedded file is ca_cert.pem.
 *
 * CONFIG_EXAMPLE_ENABLE_OTA_RESUMPTION (off by default, as there): the bytes written so far are
 * saved in NVS as the download goes (in KiB, with the URL), and a later run with the same URL
 * continues from there; the saved state is erased once the whole image has arrived.
 */
#include <string.h>
#include <inttypes.h>
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "esp_system.h"
#include "esp_event.h"
#include "esp_log.h"
#include "esp_check.h"
#include "esp_ota_ops.h"
#include "esp_http_client.h"
#include "esp_https_ota.h"
#include "protocol_examples_common.h"
#include "nvs.h"
#include "nvs_flash.h"
#include "sdkconfig.h"

#ifndef CONFIG_EXAMPLE_FIRMWARE_UPGRADE_URL
#define CONFIG_EXAMPLE_FIRMWARE_UPGRADE_URL "https://192.168.0.3:8070/hello_world.bin"
#endif
#ifndef CONFIG_EXAMPLE_OTA_RECV_TIMEOUT
#define CONFIG_EXAMPLE_OTA_RECV_TIMEOUT 5000
#endif

static const char *TAG = "advanced_https_ota_example";
extern const uint8_t server_cert_pem_start[] asm("_binary_ca_cert_pem_start");
extern const uint8_t server_cert_pem_end[] asm("_binary_ca_cert_pem_end");

#ifdef CONFIG_EXAMPLE_ENABLE_OTA_RESUMPTION
#define OTA_URL_SIZE 256
#define NVS_NAMESPACE_OTA_RESUMPTION "ota_resumption"
#define NVS_KEY_OTA_WR_LENGTH "nvs_ota_wr_len"
#define NVS_KEY_SAVED_URL "nvs_ota_url"

/* The bytes an earlier run wrote for this URL; 0 (and an error) when there are none to reuse. */
static esp_err_t example_ota_res_get_ota_written_len_from_nvs(nvs_handle_t handle, const char *url, uint32_t *wr_len)
{
    char saved_url[OTA_URL_SIZE] = {0};
    size_t url_len = sizeof(saved_url);
    *wr_len = 0;

    esp_err_t err = nvs_get_str(handle, NVS_KEY_SAVED_URL, saved_url, &url_len);
    if (err == ESP_ERR_NVS_NOT_FOUND) {
        ESP_LOGD(TAG, "Saved URL is not initialized yet!");
        return err;
    }
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "Error reading saved URL (%s)", esp_err_to_name(err));
        return err;
    }
    /* Another image's bytes are no start for this one. */
    if (strcmp(url, saved_url) != 0) {
        ESP_LOGD(TAG, "URLs do not match. Restarting OTA from beginning.");
        return ESP_ERR_INVALID_STATE;
    }

    uint16_t wr_len_kb = 0;
    err = nvs_get_u16(handle, NVS_KEY_OTA_WR_LENGTH, &wr_len_kb);
    if (err == ESP_ERR_NVS_NOT_FOUND) {
        ESP_LOGD(TAG, "The write length is not initialized yet!");
        return err;
    }
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "Error reading OTA write length (%s)", esp_err_to_name(err));
        return err;
    }
    *wr_len = (uint32_t)wr_len_kb * 1024;
    return ESP_OK;
}

/* Saves the bytes written (whole KiB: a u16 covers any partition) and, once there are some, the URL. */
static esp_err_t example_ota_res_save_ota_cfg_to_nvs(nvs_handle_t handle, int wr_len, const char *url)
{
    uint16_t wr_len_kb = wr_len / 1024;
    ESP_RETURN_ON_ERROR(nvs_set_u16(handle, NVS_KEY_OTA_WR_LENGTH, wr_len_kb), TAG, "Failed to set OTA write length");

    if (wr_len) {
        char saved_url[OTA_URL_SIZE] = {0};
        size_t url_len = sizeof(saved_url);
        esp_err_t err = nvs_get_str(handle, NVS_KEY_SAVED_URL, saved_url, &url_len);
        if (err == ESP_ERR_NVS_NOT_FOUND || strcmp(saved_url, url) != 0) {
            ESP_RETURN_ON_ERROR(nvs_set_str(handle, NVS_KEY_SAVED_URL, url), TAG, "Failed to set URL in NVS");
        } else if (err != ESP_OK) {
            ESP_LOGE(TAG, "Error reading OTA URL");
            return err;
        }
    }

    ESP_RETURN_ON_ERROR(nvs_commit(handle), TAG, "Failed to commit NVS");
    ESP_LOGD(TAG, "Saving state in NVS. Total image written so far : %d KB", wr_len_kb);
    return ESP_OK;
}

/* Erases the saved state (the whole image has arrived) and closes the handle. */
static esp_err_t example_ota_res_cleanup_ota_cfg_from_nvs(nvs_handle_t handle)
{
    esp_err_t ret = ESP_OK;
    ESP_GOTO_ON_ERROR(nvs_erase_all(handle), done, TAG, "Error in erasing NVS");
    ESP_GOTO_ON_ERROR(nvs_commit(handle), done, TAG, "Error in committing NVS");
done:
    nvs_close(handle);
    return ret;
}
#endif

/* The OTA events, posted to the default event loop by esp_https_ota. */
static void event_handler(void *arg, esp_event_base_t event_base, int32_t event_id, void *event_data)
{
    if (event_base == ESP_HTTPS_OTA_EVENT) {
        switch (event_id) {
        case ESP_HTTPS_OTA_START:
            ESP_LOGI(TAG, "OTA started");
            break;
        case ESP_HTTPS_OTA_CONNECTED:
            ESP_LOGI(TAG, "Connected to server");
            break;
        case ESP_HTTPS_OTA_GET_IMG_DESC:
            ESP_LOGI(TAG, "Reading Image Description");
            break;
        case ESP_HTTPS_OTA_VERIFY_CHIP_ID:
            ESP_LOGI(TAG, "Verifying chip id of new image: %d", *(esp_chip_id_t *)event_data);
            break;
        case ESP_HTTPS_OTA_DECRYPT_CB:
            ESP_LOGI(TAG, "Callback to decrypt function");
            break;
        case ESP_HTTPS_OTA_WRITE_FLASH:
            ESP_LOGD(TAG, "Writing to flash: %d written", *(int *)event_data);
            break;
        case ESP_HTTPS_OTA_UPDATE_BOOT_PARTITION:
            ESP_LOGI(TAG, "Boot partition updated. Next Partition: %d", *(esp_partition_subtype_t *)event_data);
            break;
        case ESP_HTTPS_OTA_FINISH:
            ESP_LOGI(TAG, "OTA finish");
            break;
        case ESP_HTTPS_OTA_ABORT:
            ESP_LOGI(TAG, "OTA abort");
            break;
        }
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
    esp_err_t err = ESP_OK;
    /* Uncomment to add custom headers to HTTP request */
    // err = esp_http_client_set_header(http_client, "Custom-Header", "Value");
    return err;
}

void advanced_ota_example_task(void *pvParameter)
{
    ESP_LOGI(TAG, "Starting Advanced OTA example");

    esp_err_t ota_finish_err = ESP_OK;
    esp_http_client_config_t config = {
        .url = CONFIG_EXAMPLE_FIRMWARE_UPGRADE_URL,
        .cert_pem = (char *)server_cert_pem_start,
        .timeout_ms = CONFIG_EXAMPLE_OTA_RECV_TIMEOUT,
        .keep_alive_enable = true,
    };
    esp_err_t err;

#ifdef CONFIG_EXAMPLE_ENABLE_OTA_RESUMPTION
    nvs_handle_t nvs_ota_resumption_handle;
    err = nvs_open(NVS_NAMESPACE_OTA_RESUMPTION, NVS_READWRITE, &nvs_ota_resumption_handle);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "Error (%s) opening NVS handle!", esp_err_to_name(err));
        vTaskDelete(NULL);
    }
    uint32_t ota_wr_len = 0;
    err = example_ota_res_get_ota_written_len_from_nvs(nvs_ota_resumption_handle, config.url, &ota_wr_len);
    if (err != ESP_OK) {
        ESP_LOGD(TAG, "Starting OTA from beginning");
    } else {
        ESP_LOGD(TAG, "OTA write length fetched successfully");
    }
#endif

    esp_https_ota_config_t ota_config = {
        .http_config = &config,
        .http_client_init_cb = _http_client_init_cb, /* optional: a callback for the new client */
#ifdef CONFIG_EXAMPLE_ENABLE_OTA_RESUMPTION
        .ota_resumption = true,
        .ota_image_bytes_written = ota_wr_len,
#endif
    };

    esp_https_ota_handle_t https_ota_handle = NULL;
    err = esp_https_ota_begin(&ota_config, &https_ota_handle);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "ESP HTTPS OTA Begin failed");
        vTaskDelete(NULL);
    }

    esp_app_desc_t app_desc = {};
    err = esp_https_ota_get_img_desc(https_ota_handle, &app_desc);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "esp_https_ota_get_img_desc failed");
        goto ota_end;
    }
    err = validate_image_header(&app_desc);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "image header verification failed");
        goto ota_end;
    }

    while (1) {
        err = esp_https_ota_perform(https_ota_handle);
        if (err != ESP_ERR_HTTPS_OTA_IN_PROGRESS) {
            break;
        }
        /* esp_https_ota_perform() returns after each read: progress can be shown here. */
        const int len = esp_https_ota_get_image_len_read(https_ota_handle);
        ESP_LOGD(TAG, "Image bytes read: %d", len);
#ifdef CONFIG_EXAMPLE_ENABLE_OTA_RESUMPTION
        err = example_ota_res_save_ota_cfg_to_nvs(nvs_ota_resumption_handle, len, config.url);
        if (err != ESP_OK) {
            ESP_LOGE(TAG, "Failed to save OTA config to NVS (%s).", esp_err_to_name(err));
        }
#endif
    }

    if (esp_https_ota_is_complete_data_received(https_ota_handle) != true) {
        /* the OTA image was not completely received: the user may retry */
        ESP_LOGE(TAG, "Complete data was not received.");
    } else {
#ifdef CONFIG_EXAMPLE_ENABLE_OTA_RESUMPTION
        /* A failure here fails the update as ESP-IDF's does: err decides below. */
        err = example_ota_res_cleanup_ota_cfg_from_nvs(nvs_ota_resumption_handle);
        if (err != ESP_OK) {
            ESP_LOGE(TAG, "Failed to clean up OTA config from NVS (%s).", esp_err_to_name(err));
        }
#endif
        ota_finish_err = esp_https_ota_finish(https_ota_handle);
        if ((err == ESP_OK) && (ota_finish_err == ESP_OK)) {
            ESP_LOGI(TAG, "ESP_HTTPS_OTA upgrade successful. Rebooting ...");
            vTaskDelay(1000 / portTICK_PERIOD_MS);
            esp_restart();
        } else {
            if (ota_finish_err == ESP_ERR_OTA_VALIDATE_FAILED) {
                ESP_LOGE(TAG, "Image validation failed, image is corrupted");
            }
            ESP_LOGE(TAG, "ESP_HTTPS_OTA upgrade failed 0x%x", ota_finish_err);
            vTaskDelete(NULL);
        }
    }

ota_end:
    esp_https_ota_abort(https_ota_handle);
    ESP_LOGE(TAG, "ESP_HTTPS_OTA upgrade failed");
    vTaskDelete(NULL);
}

void app_main(void)
{
    ESP_LOGI(TAG, "OTA example app_main start");
    /* NVS: a full partition, or one written by a newer version, is erased and started again. */
    esp_err_t err = nvs_flash_init();
    if (err == ESP_ERR_NVS_NO_FREE_PAGES || err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
        ESP_ERROR_CHECK(nvs_flash_erase());
        err = nvs_flash_init();
    }
    ESP_ERROR_CHECK(err);

    ESP_ERROR_CHECK(esp_netif_init());
    ESP_ERROR_CHECK(esp_event_loop_create_default());
    ESP_ERROR_CHECK(esp_event_handler_register(ESP_HTTPS_OTA_EVENT, ESP_EVENT_ANY_ID, &event_handler, NULL));

    /* Connects to Wi-Fi or Ethernet as menuconfig says (see protocol_examples_common.h); a PC is
     * connected already. */
    ESP_ERROR_CHECK(example_connect());

#if defined(CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE)
    /* The first boot of a new image: it runs, so it is confirmed. */
    esp_ota_img_states_t ota_state;
    const esp_partition_t *running = esp_ota_get_running_partition();
    if (esp_ota_get_state_partition(running, &ota_state) == ESP_OK) {
        if (ota_state == ESP_OTA_IMG_PENDING_VERIFY) {
            if (esp_ota_mark_app_valid_cancel_rollback() == ESP_OK) {
                ESP_LOGI(TAG, "App is valid, rollback cancelled successfully");
            } else {
                ESP_LOGE(TAG, "Failed to cancel rollback");
            }
        }
    }
#endif

    xTaskCreate(&advanced_ota_example_task, "advanced_ota_example_task", 1024 * 8, NULL, 5, NULL);
}
