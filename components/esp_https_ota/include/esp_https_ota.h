/*
 * esp_https_ota.h: ESP-IDF v5.5's firmware update over HTTPS, on portls's esp_http_client and
 * app_update (esp_ota_ops.h).
 *
 * esp_https_ota_begin() connects, follows redirects and reads the response headers;
 * esp_https_ota_perform(), called until it stops returning ESP_ERR_HTTPS_OTA_IN_PROGRESS, reads
 * the image and writes it to the staging partition; esp_https_ota_finish() checks it (esp_ota_end())
 * and makes it boot next; esp_https_ota_abort() gives up. esp_https_ota() does all of it.
 *
 * The server must be verified: http_config needs cert_pem, use_global_ca_store or
 * crt_bundle_attach, and the URL must be https. Without a way to verify, begin fails with
 * ESP_ERR_INVALID_ARG ("No option for server verification is enabled in esp_http_client config.");
 * so does an http URL ("OTA over plain http is refused"), which ESP-IDF v5.5 accepts whenever a
 * certificate is set (it is then simply unused). CONFIG_ESP_HTTPS_OTA_ALLOW_HTTP (off) lets both
 * through with a warning: for tests only, since anyone on the path can then serve the firmware.
 *
 * Where portls takes a later ESP-IDF release's fix or differs, the function says so. In short:
 *  - redirects are followed up to http_config->max_redirection_count (default 10), then
 *    ESP_ERR_HTTP_MAX_REDIRECT (v5.5's loop has no limit);
 *  - with ota_resumption, a response to a Range request must be 206, or the download starts over
 *    from byte 0 (v5.5.4's fix: v5.5 wrote a 200 body at the resume offset); a partial download
 *    never writes a 200 body past byte 0 either;
 *  - partial_http_download makes every request (the HEAD too) on one keep-alive connection while
 *    the server keeps it open (v5.5.2's reuse), and a 304 to the HEAD is ESP_ERR_HTTP_NOT_MODIFIED
 *    (master);
 *  - the image's magic byte is checked before its chip id, so a merged flash image is refused by
 *    the first write ("OTA image has invalid magic byte") rather than as a chip mismatch;
 *  - an image announced larger than the staging partition is refused before it is downloaded;
 *  - finish makes boot the partition that holds the image: the final one after a copy.
 *
 * Events: each step posts an ESP_HTTPS_OTA_EVENT to the default event loop (esp_event.h), waiting
 * up to CONFIG_ESP_HTTPS_OTA_EVENT_POST_TIMEOUT ms (-1: forever) for room; a failed post is logged.
 * Without a default loop nothing is posted (ESP-IDF logs an error each time). One update at a time
 * per handle; a handle is for one thread at a time. Logs as ESP-IDF (tag esp_https_ota).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bootloader_common.h"
#include "esp_app_desc.h"
#include "esp_bootloader_desc.h"
#include "esp_event.h"
#include "esp_http_client.h"
#include "esp_partition.h"
#include "sdkconfig.h"

#ifdef __cplusplus
extern "C" {
#endif

ESP_EVENT_DECLARE_BASE(ESP_HTTPS_OTA_EVENT);

/** The events, with the data each carries (copied by the event loop). */
typedef enum {
    ESP_HTTPS_OTA_START,                 /*!< begin was called; NULL */
    ESP_HTTPS_OTA_CONNECTED,             /*!< the image's response headers are in; NULL */
    ESP_HTTPS_OTA_GET_IMG_DESC,          /*!< the image's descriptor is read; NULL */
    ESP_HTTPS_OTA_VERIFY_CHIP_ID,        /*!< the image's chip id is checked; esp_chip_id_t */
    ESP_HTTPS_OTA_VERIFY_CHIP_REVISION,  /*!< its chip revision is checked; uint16_t min_chip_rev_full */
    ESP_HTTPS_OTA_DECRYPT_CB,            /*!< decrypt_cb is called; NULL */
    ESP_HTTPS_OTA_WRITE_FLASH,           /*!< a write to flash (also a failed one); int: bytes written so far */
    ESP_HTTPS_OTA_UPDATE_BOOT_PARTITION, /*!< the image will boot next; esp_partition_subtype_t of the final partition */
    ESP_HTTPS_OTA_FINISH,                /*!< finish is over; NULL */
    ESP_HTTPS_OTA_ABORT,                 /*!< abort was called; NULL */
} esp_https_ota_event_t;

typedef void *esp_https_ota_handle_t;

/** Called once the HTTP client exists, before the first request: add headers (If-None-Match for a
 *  304, authorization) or a post field. A result other than ESP_OK fails begin with it. */
typedef esp_err_t (*http_client_init_cb_t)(esp_http_client_handle_t);

#if CONFIG_ESP_HTTPS_OTA_DECRYPT_CB
/** What decrypt_cb gets and gives. */
typedef struct {
    const char *data_in;  /*!< downloaded bytes, valid during the call */
    size_t data_in_len;
    char *data_out;       /*!< set by the callback: malloc'd plaintext, freed by esp_https_ota */
    size_t data_out_len;  /*!< its length; 0: nothing to write yet (data_out may then be NULL) */
} decrypt_cb_arg_t;

/** Turns downloaded bytes into image bytes. @return ESP_OK, or an error that fails the update */
typedef esp_err_t (*decrypt_cb_t)(decrypt_cb_arg_t *args, void *user_ctx);
#endif

/** How to update. Zero-initialise it and set what is needed. */
typedef struct {
    const esp_http_client_config_t *http_config; /*!< the image's URL and how to verify the server;
                                                      is_async is not supported */
    http_client_init_cb_t http_client_init_cb;   /*!< see http_client_init_cb_t; may be NULL */
    bool bulk_flash_erase;          /*!< erase the image's size (the whole partition when unknown)
                                         at the start, instead of each 4 KiB sector as writes reach it */
    bool partial_http_download;     /*!< a HEAD for the size, then Range requests of
                                         max_http_request_size bytes on one connection */
    int max_http_request_size;      /*!< bytes per request in a partial download; 0: 64 KiB */
    uint32_t buffer_caps;           /*!< heap capabilities for the buffer: ignored on portls */
    bool ota_resumption;            /*!< continue a download an earlier run began (esp_https_ota_begin()
                                         only; esp_https_ota() refuses it) */
    size_t ota_image_bytes_written; /*!< with ota_resumption: the bytes that run wrote to flash (the
                                         WRITE_FLASH event's figure, or esp_https_ota_get_image_len_read());
                                         below 1024 the download starts from 0 */
#if CONFIG_ESP_HTTPS_OTA_DECRYPT_CB
    decrypt_cb_t decrypt_cb;        /*!< required in a build with the option */
    void *decrypt_user_ctx;         /*!< given to decrypt_cb */
    uint16_t enc_img_header_size;   /*!< bytes the encrypted file has before the image's own (Range
                                         requests of a partial download skip them) */
#endif
    struct {
        const esp_partition_t *staging; /*!< where the image is written; NULL: esp_ota_get_next_update_partition(NULL) */
        const esp_partition_t *final;   /*!< what it is checked as, and copied into with
                                             finalize_with_copy; NULL: the staging partition */
        bool finalize_with_copy;        /*!< copy it from staging into final at the end */
    } partition;
} esp_https_ota_config_t;

#define ESP_ERR_HTTPS_OTA_BASE (0x9000)                             /*!< first esp_https_ota error code */
#define ESP_ERR_HTTPS_OTA_IN_PROGRESS (ESP_ERR_HTTPS_OTA_BASE + 1) /*!< call esp_https_ota_perform() again */

/**
 * The whole update: begin, perform until done, finish (abort on a failure). Then esp_restart() boots
 * the new image. ota_resumption is refused (use the steps).
 * @return ESP_OK: the image is written, verified and set to boot (for an OTA slot final);
 *         ESP_ERR_NOT_SUPPORTED (ota_resumption); the errors of the steps below
 */
esp_err_t esp_https_ota(const esp_https_ota_config_t *ota_config);

/**
 * Checks the config, connects (following redirects, answering a 401 up to
 * http_config->max_authorization_retries times, default 10, -1 none) and reads the image's response
 * headers; picks the staging and final partitions; allocates the read buffer (the larger of
 * http_config->buffer_size and 1024 bytes). A 304 (to If-None-Match or If-Modified-Since that
 * http_client_init_cb set) is ESP_ERR_HTTP_NOT_MODIFIED, logged as info only.
 * @param[out] handle the update, or NULL on failure
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL, no server verification, an http URL, is_async; with
 *         DECRYPT_CB no decrypt_cb); ESP_ERR_NOT_SUPPORTED (resumption with DECRYPT_CB);
 *         ESP_ERR_HTTP_NOT_MODIFIED; ESP_ERR_HTTP_MAX_REDIRECT; ESP_ERR_INVALID_SIZE (a Content-Length
 *         larger than the staging partition); ESP_FAIL (404, 403, other 4xx and 5xx, a HEAD that is
 *         not 200, no staging or final partition, no client); ESP_ERR_NO_MEM; esp_http_client's errors
 */
esp_err_t esp_https_ota_begin(const esp_https_ota_config_t *ota_config, esp_https_ota_handle_t *handle);

/**
 * One step: the first starts the update (esp_ota_begin(), or esp_ota_resume() when resuming),
 * reads the image's first 1024 bytes (fewer if the image is shorter) and checks them: the magic
 * byte, then for an app or bootloader the chip id (VERIFY_CHIP_ID event) and revision
 * (VERIFY_CHIP_REVISION), then writes them; each later step reads once and writes what came
 * (WRITE_FLASH). In a partial download the next range is requested when one ends.
 * @return ESP_ERR_HTTPS_OTA_IN_PROGRESS (call again); ESP_OK (the whole image is written);
 *         ESP_ERR_INVALID_ARG; ESP_ERR_INVALID_VERSION (chip id or revision); ESP_ERR_OTA_VALIDATE_FAILED
 *         (the first write's checks); ESP_FAIL ("Connection closed before complete data was received!",
 *         a read error or timeout, a failed request for the next range); the flash's errors
 */
esp_err_t esp_https_ota_perform(esp_https_ota_handle_t https_ota_handle);

/** Whether the whole image arrived: the response ended as announced (all ranges, in a partial
 *  download). false for NULL. */
bool esp_https_ota_is_complete_data_received(esp_https_ota_handle_t https_ota_handle);

/**
 * Ends the update and frees the handle: esp_ota_end() (check, and copy with finalize_with_copy);
 * then, when the whole image was written and the final partition is an OTA slot,
 * esp_ota_set_boot_partition() of the partition that holds it (UPDATE_BOOT_PARTITION), then FINISH.
 * A factory final is never set to boot. Do not call abort after it.
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL); ESP_FAIL (begin did not succeed);
 *         ESP_ERR_OTA_VALIDATE_FAILED; esp_ota_end()'s and esp_ota_set_boot_partition()'s errors
 */
esp_err_t esp_https_ota_finish(esp_https_ota_handle_t https_ota_handle);

/**
 * Gives up: frees the update (what was written stays) and the handle (ABORT).
 * @return ESP_OK; ESP_ERR_INVALID_ARG (NULL); ESP_FAIL (begin did not succeed)
 */
esp_err_t esp_https_ota_abort(esp_https_ota_handle_t https_ota_handle);

/**
 * The image's app descriptor, after begin and before the first perform: reads the image's first
 * bytes (perform writes them later), or when resuming reads the descriptor from the staging
 * partition (GET_IMG_DESC).
 * @return ESP_OK; ESP_ERR_INVALID_ARG; ESP_ERR_INVALID_STATE (begin did not succeed); ESP_FAIL (the
 *         final partition is not an app, the body ended before the descriptor, or no descriptor
 *         magic: "Incorrect app descriptor magic"); ESP_ERR_NOT_SUPPORTED (with DECRYPT_CB)
 */
esp_err_t esp_https_ota_get_img_desc(esp_https_ota_handle_t https_ota_handle, esp_app_desc_t *new_app_info);

/** esp_https_ota_get_img_desc() for a bootloader image (the final partition a bootloader one). */
esp_err_t esp_https_ota_get_bootloader_img_desc(esp_https_ota_handle_t https_ota_handle, esp_bootloader_desc_t *new_img_info);

/** Image bytes written so far (the resume offset included): what ota_image_bytes_written takes
 *  after a reboot. -1 before the first perform (or for NULL). */
int esp_https_ota_get_image_len_read(esp_https_ota_handle_t https_ota_handle);

/** The status code of the last response; -1 for NULL. */
int esp_https_ota_get_status_code(esp_https_ota_handle_t https_ota_handle);

/** The image's size in bytes: the Content-Length, or the complete length a 206's Content-Range
 *  gives (ESP-IDF gives the remaining length); -1 when unknown (chunked, until close) or for NULL. */
int esp_https_ota_get_image_size(esp_https_ota_handle_t https_ota_handle);

#ifdef __cplusplus
}
#endif
