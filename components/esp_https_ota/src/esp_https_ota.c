/* ESP-IDF v5.5's esp_https_ota on esp_http_client and app_update, with the later releases' fixes
 * the header lists. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_https_ota.h"
#include "esp_image_format.h"
#include "esp_log.h"
#include "esp_ota_ops.h"

ESP_EVENT_DEFINE_BASE(ESP_HTTPS_OTA_EVENT);

#define IMAGE_HEADER_SIZE 1024 /* read before the first write, and the smallest buffer */
#define DEFAULT_REQUEST_SIZE (64 * 1024)
#define DEFAULT_MAX_AUTH_RETRIES 10
#define DEFAULT_MAX_REDIRECTS 10
#define DESC_OFFSET (sizeof(esp_image_header_t) + sizeof(esp_image_segment_header_t))

static const char *TAG = "esp_https_ota";

typedef enum {
    ESP_HTTPS_OTA_INIT,
    ESP_HTTPS_OTA_BEGIN,
    ESP_HTTPS_OTA_IN_PROGRESS,
    ESP_HTTPS_OTA_SUCCESS,
    ESP_HTTPS_OTA_RESUME,
} esp_https_ota_state;

typedef struct esp_https_ota_handle {
    esp_ota_handle_t update_handle;
    const esp_partition_t *staging;
    const esp_partition_t *final;
    bool finalize_with_copy;
    esp_http_client_handle_t http_client;
    char *buf;
    size_t buf_size;
    int head_len;         /* image bytes read into buf ahead of the first write (get_img_desc) */
    int binary_file_len;  /* image bytes written, the resume offset included */
    int image_length;     /* the image's size, -1 when unknown */
    int range_start;      /* where the current request's Range starts; -1: no Range */
    int max_http_request_size;
    int max_authorization_retries;
    int max_redirects;
    esp_https_ota_state state;
    bool bulk_flash_erase;
    bool partial_http_download;
    bool ota_resumption;
#if CONFIG_ESP_HTTPS_OTA_DECRYPT_CB
    decrypt_cb_t decrypt_cb;
    void *decrypt_user_ctx;
    uint16_t enc_img_header_size;
#endif
} esp_https_ota_t;

/* ---- events ---- */

static const char *const event_names[] = {
    "ESP_HTTPS_OTA_START", "ESP_HTTPS_OTA_CONNECTED", "ESP_HTTPS_OTA_GET_IMG_DESC",
    "ESP_HTTPS_OTA_VERIFY_CHIP_ID", "ESP_HTTPS_OTA_VERIFY_CHIP_REVISION", "ESP_HTTPS_OTA_DECRYPT_CB",
    "ESP_HTTPS_OTA_WRITE_FLASH", "ESP_HTTPS_OTA_UPDATE_BOOT_PARTITION", "ESP_HTTPS_OTA_FINISH", "ESP_HTTPS_OTA_ABORT",
};

#if CONFIG_ESP_HTTPS_OTA_EVENT_POST_TIMEOUT == -1
#define EVENT_POST_TIMEOUT portMAX_DELAY
#else
#define EVENT_POST_TIMEOUT pdMS_TO_TICKS(CONFIG_ESP_HTTPS_OTA_EVENT_POST_TIMEOUT)
#endif

/* To the default loop; without one, nowhere (ESP_ERR_INVALID_STATE), as esp_http_client's events. */
static void dispatch(esp_https_ota_event_t id, const void *data, size_t size)
{
    esp_err_t err = esp_event_post(ESP_HTTPS_OTA_EVENT, id, data, size, EVENT_POST_TIMEOUT);
    if (err != ESP_OK && err != ESP_ERR_INVALID_STATE) {
        ESP_LOGE(TAG, "Failed to post https_ota event: %s", event_names[id]);
    }
}

/* ---- requests ---- */

/* Sets the Range header [start, end] of the next request; end < 0: to the end. */
static esp_err_t set_range(esp_https_ota_t *h, int start, int end)
{
    char value[48];
    if (end < 0) {
        snprintf(value, sizeof(value), "bytes=%d-", start);
    } else {
        snprintf(value, sizeof(value), "bytes=%d-%d", start, end);
    }
    h->range_start = start;
    return esp_http_client_set_header(h->http_client, "Range", value);
}

static void clear_range(esp_https_ota_t *h)
{
    h->range_start = -1;
    esp_http_client_delete_header(h->http_client, "Range");
}

/* A response to a Range request must be the range: else the body would land at the wrong offset.
 * A 200 from byte 0 is the whole image, which is right, except when resuming (v5.5.4: the server
 * must show it takes ranges). */
static bool range_ignored(const esp_https_ota_t *h, int status)
{
    return h->range_start >= 0 && status != HttpStatus_PartialContent && (h->range_start > 0 || h->ota_resumption);
}

static bool is_redirect(int status)
{
    return status == HttpStatus_MovedPermanently || status == HttpStatus_Found || status == HttpStatus_SeeOther ||
           status == HttpStatus_TemporaryRedirect || status == HttpStatus_PermanentRedirect;
}

static esp_err_t follow_redirect(esp_https_ota_t *h)
{
    if (--h->max_redirects < 0) {
        ESP_LOGE(TAG, "Too many redirects (the limit is max_redirection_count)");
        return ESP_ERR_HTTP_MAX_REDIRECT;
    }
    esp_err_t err = esp_http_client_set_redirection(h->http_client);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "URL redirection Failed");
    }
    return err;
}

static esp_err_t answer_401(esp_https_ota_t *h)
{
    if (h->max_authorization_retries-- == 0) {
        ESP_LOGE(TAG, "Reached max_authorization_retries (%d)", HttpStatus_Unauthorized);
        return ESP_FAIL;
    }
    esp_err_t err = esp_http_client_add_auth(h->http_client);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "Authorization Failed");
    }
    return err;
}

/* The status of a response: ESP_OK to read its body, *again to make the request once more. */
static esp_err_t handle_status(esp_https_ota_t *h, int status, bool *again)
{
    *again = is_redirect(status) || status == HttpStatus_Unauthorized;
    if (is_redirect(status)) {
        return follow_redirect(h);
    }
    return status == HttpStatus_Unauthorized ? answer_401(h) : ESP_OK;
}

/* The statuses that end the request. */
static esp_err_t check_status(const esp_https_ota_t *h, int status)
{
    if (status == HttpStatus_NotModified) {
        ESP_LOGI(TAG, "OTA image not modified since last request (status code: %d)", status);
        return ESP_ERR_HTTP_NOT_MODIFIED;
    }
    if (status == HttpStatus_RangeNotSatisfiable) {
        ESP_LOGI(TAG, "Requested range is incorrect (status code: %d)", status);
        return ESP_ERR_HTTP_RANGE_NOT_SATISFIABLE;
    }
    if (status == HttpStatus_NotFound || status == HttpStatus_Forbidden) {
        ESP_LOGE(TAG, "File not found(%d)", status);
        return ESP_FAIL;
    }
    if (status >= HttpStatus_BadRequest) {
        ESP_LOGE(TAG, "%s error (%d)", status >= HttpStatus_InternalError ? "Server" : "Client", status);
        return ESP_FAIL;
    }
    if (range_ignored(h, status)) {
        ESP_LOGW(TAG, "Server ignored the requested Range header (status %d)", status);
        ESP_LOGW(TAG, "OTA resumption requires server with range request support.");
        return ESP_ERR_HTTP_RANGE_NOT_SATISFIABLE;
    }
    return ESP_OK;
}

/* Sends the request (on the open connection if it is kept, as esp_http_client_open() does) and
 * its post field, if any. */
static esp_err_t send_request(esp_https_ota_t *h)
{
    char *post = NULL;
    int post_len = esp_http_client_get_post_field(h->http_client, &post);
    esp_err_t err = esp_http_client_open(h->http_client, post_len);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "Failed to open HTTP connection: %s", esp_err_to_name(err));
        return err;
    }
    while (post_len > 0) {
        int n = esp_http_client_write(h->http_client, post, post_len);
        if (n < 0) {
            ESP_LOGE(TAG, "Write failed");
            return ESP_FAIL;
        }
        post += n;
        post_len -= n;
    }
    return ESP_OK;
}

/* Requests the image until a response to read comes: redirects and 401s make it again. */
static esp_err_t http_connect(esp_https_ota_t *h)
{
    bool again = true;
    esp_err_t err = ESP_OK;
    while (again && err == ESP_OK) {
        err = send_request(h);
        if (err != ESP_OK) {
            return err;
        }
        int64_t got = esp_http_client_fetch_headers(h->http_client);
        if (got < 0) {
            return got == -1 ? ESP_ERR_HTTP_FETCH_HEADER : (esp_err_t)-got;
        }
        int status = esp_http_client_get_status_code(h->http_client);
        err = handle_status(h, status, &again);
        if (again && err == ESP_OK) {
            esp_http_client_flush_response(h->http_client, NULL); /* the connection serves the next one */
        } else if (err == ESP_OK) {
            err = check_status(h, status);
        }
    }
    return err;
}

/* ---- begin ---- */

static bool is_server_verification_enabled(const esp_http_client_config_t *c)
{
    return c->cert_pem != NULL || c->use_global_ca_store || c->crt_bundle_attach != NULL;
}

static esp_err_t check_config(const esp_https_ota_config_t *cfg)
{
    if (!is_server_verification_enabled(cfg->http_config)) {
#if CONFIG_ESP_HTTPS_OTA_ALLOW_HTTP
        ESP_LOGW(TAG, "Continuing with insecure option because CONFIG_ESP_HTTPS_OTA_ALLOW_HTTP is set.");
#else
        ESP_LOGE(TAG, "No option for server verification is enabled in esp_http_client config.");
        return ESP_ERR_INVALID_ARG;
#endif
    }
    if (cfg->http_config->is_async) {
        ESP_LOGE(TAG, "esp_https_ota is blocking: is_async is not supported");
        return ESP_ERR_INVALID_ARG;
    }
#if CONFIG_ESP_HTTPS_OTA_DECRYPT_CB
    if (cfg->decrypt_cb == NULL) {
        ESP_LOGE(TAG, "decrypt_cb is required with CONFIG_ESP_HTTPS_OTA_DECRYPT_CB");
        return ESP_ERR_INVALID_ARG;
    }
    if (cfg->ota_resumption) {
        ESP_LOGE(TAG, "OTA resumption is not supported for pre-encrypted images");
        return ESP_ERR_NOT_SUPPORTED;
    }
#endif
    return ESP_OK;
}

/* Plain http (the URL's or the transport_type's) needs the option, whatever the config verifies. */
static esp_err_t check_scheme(const esp_https_ota_t *h)
{
    if (esp_http_client_get_transport_type(h->http_client) != HTTP_TRANSPORT_OVER_TCP) {
        return ESP_OK;
    }
#if CONFIG_ESP_HTTPS_OTA_ALLOW_HTTP
    ESP_LOGW(TAG, "OTA over plain http: anyone on the path can serve the image (CONFIG_ESP_HTTPS_OTA_ALLOW_HTTP is set)");
    return ESP_OK;
#else
    ESP_LOGE(TAG, "OTA over plain http is refused: use an https URL (CONFIG_ESP_HTTPS_OTA_ALLOW_HTTP allows it, for tests)");
    return ESP_ERR_INVALID_ARG;
#endif
}

static int enc_header_size(const esp_https_ota_t *h)
{
#if CONFIG_ESP_HTTPS_OTA_DECRYPT_CB
    return h->enc_img_header_size;
#else
    (void)h;
    return 0;
#endif
}

static void init_handle(esp_https_ota_t *h, const esp_https_ota_config_t *cfg)
{
    const esp_http_client_config_t *http = cfg->http_config;
    h->partial_http_download = cfg->partial_http_download;
    h->max_http_request_size = cfg->max_http_request_size > 0 ? cfg->max_http_request_size : DEFAULT_REQUEST_SIZE;
    h->ota_resumption = cfg->ota_resumption;
    h->max_authorization_retries = http->max_authorization_retries == 0    ? DEFAULT_MAX_AUTH_RETRIES
                                   : http->max_authorization_retries == -1 ? 0
                                                                          : http->max_authorization_retries;
    h->max_redirects = http->max_redirection_count > 0 ? http->max_redirection_count : DEFAULT_MAX_REDIRECTS;
    h->bulk_flash_erase = cfg->bulk_flash_erase;
    h->range_start = -1;
    h->image_length = -1;
    /* resume only with the first bytes (the header, checked) in flash */
    if (cfg->ota_resumption && cfg->ota_image_bytes_written >= IMAGE_HEADER_SIZE &&
        cfg->ota_image_bytes_written <= INT32_MAX) {
        ESP_LOGI(TAG, "Valid OTA resumption case, offset %zu", cfg->ota_image_bytes_written);
        h->binary_file_len = (int)cfg->ota_image_bytes_written;
    }
#if CONFIG_ESP_HTTPS_OTA_DECRYPT_CB
    h->decrypt_cb = cfg->decrypt_cb;
    h->decrypt_user_ctx = cfg->decrypt_user_ctx;
    h->enc_img_header_size = cfg->enc_img_header_size;
#endif
}

/* The next range of a partial download: from the bytes written on, max_http_request_size at most;
 * none when that covers the whole image. */
static esp_err_t set_next_range(esp_https_ota_t *h)
{
    int start = h->binary_file_len == 0 ? 0 : h->binary_file_len + enc_header_size(h);
    int file_length = h->image_length + enc_header_size(h);
    int end = start + h->max_http_request_size - 1;
    if (start == 0 && end >= file_length - 1) {
        clear_range(h);
        return ESP_OK;
    }
    return set_range(h, start, end >= file_length - 1 ? -1 : end);
}

/* A partial download's HEAD: the image's size, on the connection the ranges will take. */
static esp_err_t head_request(esp_https_ota_t *h)
{
    esp_http_client_set_method(h->http_client, HTTP_METHOD_HEAD);
    esp_err_t err = esp_http_client_perform(h->http_client);
    esp_http_client_set_method(h->http_client, HTTP_METHOD_GET);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "ESP HTTP client perform failed: %d", err);
        return err;
    }
    int status = esp_http_client_get_status_code(h->http_client);
    if (status == HttpStatus_NotModified) {
        ESP_LOGI(TAG, "OTA image not modified since last request (status code: %d)", status);
        return ESP_ERR_HTTP_NOT_MODIFIED;
    }
    int64_t length = esp_http_client_get_content_length(h->http_client);
    if (status != HttpStatus_Ok) {
        ESP_LOGE(TAG, "Received incorrect http status %d", status);
        return ESP_FAIL;
    }
    if (length <= enc_header_size(h) || length > INT32_MAX) {
        ESP_LOGE(TAG, "The HEAD response gives no image size: a partial download needs it");
        return ESP_FAIL;
    }
    h->image_length = (int)length - enc_header_size(h);
    return set_next_range(h);
}

/* The image's size from the response: Content-Length, or a 206's complete length. */
static void note_image_length(esp_https_ota_t *h)
{
    if (h->partial_http_download) {
        return; /* the HEAD gave it */
    }
    int64_t length = esp_http_client_get_content_length(h->http_client);
    if (esp_http_client_get_status_code(h->http_client) == HttpStatus_PartialContent) {
        length = esp_http_client_get_content_range(h->http_client);
    }
    h->image_length = length > 0 && length <= INT32_MAX ? (int)length - enc_header_size(h) : -1;
}

/* After a refused resume (416, or a server that ignores Range): from byte 0, on a new connection. */
static esp_err_t restart_from_zero(esp_https_ota_t *h, esp_err_t err)
{
    ESP_LOGE(TAG, "OTA resumption failed with err: %d.", err);
    ESP_LOGI(TAG, "Falling back to OTA without resumption and restarting download from beginning");
    h->ota_resumption = false;
    h->binary_file_len = 0;
    clear_range(h);
    if (h->partial_http_download && (err = set_next_range(h)) != ESP_OK) {
        return err;
    }
    esp_http_client_close(h->http_client);
    esp_http_client_clear_response_buffer(h->http_client);
    return http_connect(h);
}

/* What comes before the first request: the HEAD of a partial download, or the Range of a
 * resumption (v5.5.4: even from 0, to learn whether the server takes ranges). */
static esp_err_t prepare_first_request(esp_https_ota_t *h)
{
    if (h->partial_http_download) {
        return head_request(h);
    }
    return h->ota_resumption ? set_range(h, h->binary_file_len, -1) : ESP_OK;
}

/* Connects to the image: what comes first, the request, and a refused resumption's fallback. */
static esp_err_t connect_image(esp_https_ota_t *h)
{
    esp_err_t err = prepare_first_request(h);
    if (err == ESP_OK) {
        err = http_connect(h);
    }
    if (err == ESP_ERR_HTTP_RANGE_NOT_SATISFIABLE && h->ota_resumption) {
        err = restart_from_zero(h, err);
    }
    if (err != ESP_OK && err != ESP_ERR_HTTP_NOT_MODIFIED) {
        ESP_LOGE(TAG, "Failed to establish HTTP connection");
    }
    return err;
}

static esp_err_t pick_partitions(esp_https_ota_t *h, const esp_https_ota_config_t *cfg)
{
    const esp_partition_t *staging = cfg->partition.staging, *final = cfg->partition.final;
    h->staging = staging != NULL ? esp_partition_verify(staging) : esp_ota_get_next_update_partition(NULL);
    if (h->staging == NULL) {
        ESP_LOGE(TAG, "Given staging partition or another suitable Passive OTA partition could not be found");
        return ESP_FAIL;
    }
    ESP_LOGI(TAG, "Writing to <%s> partition at offset 0x%" PRIx32, h->staging->label, h->staging->address);
    h->final = h->staging;
    if (final != NULL && final != staging) {
        h->final = esp_partition_verify(final);
        h->finalize_with_copy = cfg->partition.finalize_with_copy;
    }
    if (h->final == NULL) {
        ESP_LOGE(TAG, "Given final partition not found");
        return ESP_FAIL;
    }
    if (h->image_length > 0 && (uint32_t)h->image_length > h->staging->size) {
        ESP_LOGE(TAG, "The image (%d bytes) does not fit partition <%s> (%" PRIu32 " bytes)", h->image_length,
                 h->staging->label, h->staging->size);
        return ESP_ERR_INVALID_SIZE;
    }
    return ESP_OK;
}

/* The HTTP client: made, its scheme checked, handed to http_client_init_cb. */
static esp_err_t make_client(esp_https_ota_t *h, const esp_https_ota_config_t *cfg)
{
    h->http_client = esp_http_client_init(cfg->http_config);
    if (h->http_client == NULL) {
        ESP_LOGE(TAG, "Failed to initialise HTTP connection");
        return ESP_FAIL;
    }
    esp_err_t err = check_scheme(h);
    if (err == ESP_OK && cfg->http_client_init_cb != NULL && (err = cfg->http_client_init_cb(h->http_client)) != ESP_OK) {
        ESP_LOGE(TAG, "http_client_init_cb returned 0x%x", err);
    }
    return err;
}

/* Everything of begin after the handle exists. */
static esp_err_t start(esp_https_ota_t *h, const esp_https_ota_config_t *cfg)
{
    esp_err_t err = make_client(h, cfg);
    if (err == ESP_OK && (err = connect_image(h)) == ESP_OK) {
        dispatch(ESP_HTTPS_OTA_CONNECTED, NULL, 0);
        note_image_length(h);
        ESP_LOGI(TAG, "Starting OTA...");
        err = pick_partitions(h, cfg);
    }
    if (err != ESP_OK) {
        return err;
    }
    size_t size = cfg->http_config->buffer_size > IMAGE_HEADER_SIZE ? (size_t)cfg->http_config->buffer_size
                                                                   : IMAGE_HEADER_SIZE;
    h->buf = malloc(size);
    if (h->buf == NULL) {
        ESP_LOGE(TAG, "Couldn't allocate memory to upgrade data buffer");
        return ESP_ERR_NO_MEM;
    }
    h->buf_size = size;
    h->state = h->binary_file_len != 0 ? ESP_HTTPS_OTA_RESUME : ESP_HTTPS_OTA_BEGIN;
    return ESP_OK;
}

static void free_handle(esp_https_ota_t *h)
{
    if (h->http_client != NULL) {
        esp_http_client_close(h->http_client);
        esp_http_client_cleanup(h->http_client);
    }
    free(h->buf);
    free(h);
}

esp_err_t esp_https_ota_begin(const esp_https_ota_config_t *ota_config, esp_https_ota_handle_t *handle)
{
    dispatch(ESP_HTTPS_OTA_START, NULL, 0);
    if (handle == NULL || ota_config == NULL || ota_config->http_config == NULL) {
        ESP_LOGE(TAG, "esp_https_ota_begin: Invalid argument");
        if (handle != NULL) {
            *handle = NULL;
        }
        return ESP_ERR_INVALID_ARG;
    }
    *handle = NULL;
    esp_err_t err = check_config(ota_config);
    if (err != ESP_OK) {
        return err;
    }
    esp_https_ota_t *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        ESP_LOGE(TAG, "Couldn't allocate memory to upgrade data buffer");
        return ESP_ERR_NO_MEM;
    }
    init_handle(h, ota_config);
    err = start(h, ota_config);
    if (err != ESP_OK) {
        free_handle(h);
        return err;
    }
    *handle = h;
    return ESP_OK;
}

/* ---- perform ---- */

/* Reads the image's first IMAGE_HEADER_SIZE bytes into buf (all of a shorter image), enough for
 * the descriptor of the final partition's type. */
static esp_err_t read_header(esp_https_ota_t *h)
{
    int got = 0;
    while (got < IMAGE_HEADER_SIZE && !esp_http_client_is_complete_data_received(h->http_client)) {
        int n = esp_http_client_read(h->http_client, h->buf + got, IMAGE_HEADER_SIZE - got);
        if (n == -ESP_ERR_HTTP_EAGAIN) {
            continue;
        }
        if (n < 0) {
            ESP_LOGE(TAG, "Connection closed, errno = %d", errno);
        }
        if (n <= 0) {
            break; /* 0: the end of a body that runs until the connection closes */
        }
        got += n;
    }
    size_t desc_size = h->final->type == ESP_PARTITION_TYPE_BOOTLOADER ? sizeof(esp_bootloader_desc_t)
                                                                        : sizeof(esp_app_desc_t);
    if ((size_t)got < DESC_OFFSET + desc_size) {
        ESP_LOGE(TAG, "Complete headers were not received");
        return ESP_FAIL;
    }
    h->head_len = got;
    return ESP_OK;
}

/* Writes len image bytes (WRITE_FLASH, also after a failure). */
static esp_err_t ota_write(esp_https_ota_t *h, const void *data, size_t len)
{
    esp_err_t err = esp_ota_write(h->update_handle, data, len);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "Error: esp_ota_write failed! err=0x%x", err);
    } else {
        h->binary_file_len += (int)len;
        err = ESP_ERR_HTTPS_OTA_IN_PROGRESS;
    }
    dispatch(ESP_HTTPS_OTA_WRITE_FLASH, &h->binary_file_len, sizeof(h->binary_file_len));
    return err;
}

/* Writes downloaded bytes: as they are, or what decrypt_cb makes of them. */
static esp_err_t write_downloaded(esp_https_ota_t *h, const char *data, size_t len, bool check_chip);

static esp_err_t verify_chip(const void *data, size_t len)
{
    esp_image_header_t header;
    if (len < sizeof(header) || ((const uint8_t *)data)[0] != ESP_IMAGE_HEADER_MAGIC) {
        return ESP_OK; /* the first write refuses a wrong magic byte, with its own message */
    }
    memcpy(&header, data, sizeof(header));
    dispatch(ESP_HTTPS_OTA_VERIFY_CHIP_ID, &header.chip_id, sizeof(header.chip_id));
    if (header.chip_id != CONFIG_IDF_FIRMWARE_CHIP_ID) {
        ESP_LOGE(TAG, "Mismatch chip id, expected %d, found %d", CONFIG_IDF_FIRMWARE_CHIP_ID, header.chip_id);
        return ESP_ERR_INVALID_VERSION;
    }
    dispatch(ESP_HTTPS_OTA_VERIFY_CHIP_REVISION, &header.min_chip_rev_full, sizeof(header.min_chip_rev_full));
    return bootloader_common_check_chip_revision_validity(&header, true) ? ESP_OK : ESP_ERR_INVALID_VERSION;
}

#if CONFIG_ESP_HTTPS_OTA_DECRYPT_CB
static esp_err_t write_downloaded(esp_https_ota_t *h, const char *data, size_t len, bool check_chip)
{
    dispatch(ESP_HTTPS_OTA_DECRYPT_CB, NULL, 0);
    decrypt_cb_arg_t args = { .data_in = data, .data_in_len = len };
    esp_err_t err = h->decrypt_cb(&args, h->decrypt_user_ctx);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "Decrypt callback failed %d", err);
    } else if (args.data_out_len == 0) {
        err = ESP_ERR_HTTPS_OTA_IN_PROGRESS; /* nothing to write yet (v5.5 returned a state here) */
    } else if (!check_chip || (err = verify_chip(args.data_out, args.data_out_len)) == ESP_OK) {
        err = ota_write(h, args.data_out, args.data_out_len);
    }
    free(args.data_out);
    return err;
}
#else
static esp_err_t write_downloaded(esp_https_ota_t *h, const char *data, size_t len, bool check_chip)
{
    esp_err_t err = check_chip ? verify_chip(data, len) : ESP_OK;
    return err == ESP_OK ? ota_write(h, data, len) : err;
}
#endif

static bool is_image_partition(const esp_partition_t *p)
{
    return p->type == ESP_PARTITION_TYPE_APP || p->type == ESP_PARTITION_TYPE_BOOTLOADER;
}

static size_t erase_size(const esp_https_ota_t *h)
{
    if (!h->bulk_flash_erase) {
        return OTA_WITH_SEQUENTIAL_WRITES;
    }
    return h->image_length > 0 ? (size_t)h->image_length : OTA_SIZE_UNKNOWN;
}

/* The first step of a new update: esp_ota_begin(), then the image's first bytes, checked. */
static esp_err_t perform_begin(esp_https_ota_t *h)
{
    esp_err_t err = esp_ota_begin(h->staging, erase_size(h), &h->update_handle);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "esp_ota_begin failed (%s)", esp_err_to_name(err));
        return err;
    }
    esp_ota_set_final_partition(h->update_handle, h->final, h->finalize_with_copy);
    h->state = ESP_HTTPS_OTA_IN_PROGRESS;
    if (!is_image_partition(h->final)) {
        return ESP_ERR_HTTPS_OTA_IN_PROGRESS; /* v5.5.4: no header to check */
    }
    if (h->head_len == 0 && read_header(h) != ESP_OK) {
        return ESP_FAIL;
    }
    int len = h->head_len;
    h->head_len = 0;
    return write_downloaded(h, h->buf, (size_t)len, true);
}

static esp_err_t perform_resume(esp_https_ota_t *h)
{
    esp_err_t err = esp_ota_resume(h->staging, erase_size(h), (size_t)h->binary_file_len, &h->update_handle);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "esp_ota_resume failed (%s)", esp_err_to_name(err));
        return err;
    }
    esp_ota_set_final_partition(h->update_handle, h->final, h->finalize_with_copy);
    h->state = ESP_HTTPS_OTA_IN_PROGRESS;
    return ESP_OK;
}

/* The end of a response in a partial download: done, or the next range on the same connection. */
static esp_err_t next_range(esp_https_ota_t *h)
{
    if (h->binary_file_len == h->image_length) {
        h->state = ESP_HTTPS_OTA_SUCCESS;
        return ESP_OK;
    }
    if (h->binary_file_len > h->image_length) {
        ESP_LOGE(TAG, "The server sent more than the image's %d bytes", h->image_length);
        return ESP_FAIL;
    }
    if (!esp_http_client_is_persistent_connection(h->http_client)) {
        esp_http_client_close(h->http_client);
    }
    esp_err_t err = set_next_range(h);
    if (err == ESP_OK && (err = http_connect(h)) != ESP_OK) {
        ESP_LOGE(TAG, "Failed to establish HTTP connection");
        return ESP_FAIL;
    }
    return err == ESP_OK ? ESP_ERR_HTTPS_OTA_IN_PROGRESS : err;
}

/* One read of the body, written to flash. */
static esp_err_t perform_read(esp_https_ota_t *h)
{
    int n = esp_http_client_read(h->http_client, h->buf, (int)h->buf_size);
    if (n > 0) {
        return write_downloaded(h, h->buf, (size_t)n, false);
    }
    if (n == -ESP_ERR_HTTP_EAGAIN) {
        return ESP_ERR_HTTPS_OTA_IN_PROGRESS;
    }
    if (n < 0) {
        ESP_LOGE(TAG, "data read %d, errno %d", n, errno);
        return ESP_FAIL;
    }
    if (!esp_http_client_is_complete_data_received(h->http_client)) {
        ESP_LOGE(TAG, "Connection closed before complete data was received!");
        return ESP_FAIL;
    }
    if (h->partial_http_download) {
        return next_range(h);
    }
    h->state = ESP_HTTPS_OTA_SUCCESS;
    return ESP_OK;
}

esp_err_t esp_https_ota_perform(esp_https_ota_handle_t https_ota_handle)
{
    esp_https_ota_t *h = https_ota_handle;
    if (h == NULL) {
        ESP_LOGE(TAG, "esp_https_ota_perform: Invalid argument");
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err;
    switch (h->state) {
    case ESP_HTTPS_OTA_BEGIN:
        return perform_begin(h);
    case ESP_HTTPS_OTA_RESUME:
        if ((err = perform_resume(h)) != ESP_OK) {
            return err;
        }
        return perform_read(h);
    case ESP_HTTPS_OTA_IN_PROGRESS:
        return perform_read(h);
    case ESP_HTTPS_OTA_SUCCESS:
        return ESP_OK;
    default:
        ESP_LOGE(TAG, "esp_https_ota_perform: Invalid state");
        return ESP_FAIL;
    }
}

bool esp_https_ota_is_complete_data_received(esp_https_ota_handle_t https_ota_handle)
{
    const esp_https_ota_t *h = https_ota_handle;
    if (h == NULL) {
        return false;
    }
    if (h->partial_http_download) {
        return h->image_length == h->binary_file_len;
    }
    return esp_http_client_is_complete_data_received(h->http_client);
}

/* ---- finish, abort ---- */

/* The partition that holds the image, if it is an OTA slot to boot: never the factory app. */
static const esp_partition_t *boot_target(const esp_https_ota_t *h)
{
    const esp_partition_t *p = h->finalize_with_copy ? h->final : h->staging;
    bool ota_slot = h->final->type == ESP_PARTITION_TYPE_APP && p->type == ESP_PARTITION_TYPE_APP &&
                    p->subtype >= ESP_PARTITION_SUBTYPE_APP_OTA_0 && p->subtype < ESP_PARTITION_SUBTYPE_APP_OTA_MAX;
    return ota_slot ? p : NULL;
}

/* What finish and abort do first: check the handle, then end (or abort) the update if it began.
 * @return the handle's error, or end's */
static esp_err_t end_update(esp_https_ota_t *h, esp_err_t (*end)(esp_ota_handle_t), bool *freeable)
{
    *freeable = false;
    if (h == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (h->state < ESP_HTTPS_OTA_BEGIN) {
        return ESP_FAIL;
    }
    *freeable = true;
    bool started = h->state == ESP_HTTPS_OTA_IN_PROGRESS || h->state == ESP_HTTPS_OTA_SUCCESS;
    return started ? end(h->update_handle) : ESP_OK;
}

esp_err_t esp_https_ota_finish(esp_https_ota_handle_t https_ota_handle)
{
    esp_https_ota_t *h = https_ota_handle;
    bool freeable;
    esp_err_t err = end_update(h, esp_ota_end, &freeable);
    if (!freeable) {
        return err;
    }
    const esp_partition_t *boot = err == ESP_OK && h->state == ESP_HTTPS_OTA_SUCCESS ? boot_target(h) : NULL;
    if (boot != NULL) {
        err = esp_ota_set_boot_partition(boot);
        if (err != ESP_OK) {
            ESP_LOGE(TAG, "esp_ota_set_boot_partition failed! err=0x%x", err);
        } else {
            esp_partition_subtype_t subtype = boot->subtype;
            dispatch(ESP_HTTPS_OTA_UPDATE_BOOT_PARTITION, &subtype, sizeof(subtype));
        }
    }
    free_handle(h);
    dispatch(ESP_HTTPS_OTA_FINISH, NULL, 0);
    return err;
}

esp_err_t esp_https_ota_abort(esp_https_ota_handle_t https_ota_handle)
{
    dispatch(ESP_HTTPS_OTA_ABORT, NULL, 0);
    esp_https_ota_t *h = https_ota_handle;
    bool freeable;
    esp_err_t err = end_update(h, esp_ota_abort, &freeable);
    if (freeable) {
        free_handle(h);
    }
    return err;
}

/* ---- descriptors and figures ---- */

#if !CONFIG_ESP_HTTPS_OTA_DECRYPT_CB
/* size bytes at image offset 0x20: from flash when resuming, else from the image's first bytes
 * (read now, written by perform later). */
static esp_err_t read_description(esp_https_ota_t *h, void *out, size_t size)
{
    if ((size_t)h->binary_file_len >= DESC_OFFSET + size) {
        esp_err_t err = esp_partition_read(h->staging, DESC_OFFSET, out, size);
        if (err != ESP_OK) {
            ESP_LOGE(TAG, "partition read failed %d", err);
        }
        return err;
    }
    if (h->head_len == 0 && read_header(h) != ESP_OK) {
        return ESP_FAIL;
    }
    memcpy(out, h->buf + DESC_OFFSET, size);
    return ESP_OK;
}
#endif

/* The descriptor of the image (size bytes at offset 0x20) of a final partition of type type. */
static esp_err_t get_description(esp_https_ota_t *h, esp_partition_type_t type, void *out, size_t size)
{
    dispatch(ESP_HTTPS_OTA_GET_IMG_DESC, NULL, 0);
#if CONFIG_ESP_HTTPS_OTA_DECRYPT_CB
    (void)h, (void)type, (void)out, (void)size;
    return ESP_ERR_NOT_SUPPORTED; /* the descriptor is in the encrypted bytes */
#else
    if (h == NULL || out == NULL) {
        ESP_LOGE(TAG, "esp_https_ota_get_img_desc: Invalid argument");
        return ESP_ERR_INVALID_ARG;
    }
    if (h->state < ESP_HTTPS_OTA_BEGIN) {
        ESP_LOGE(TAG, "esp_https_ota_get_img_desc: Invalid state");
        return ESP_ERR_INVALID_STATE;
    }
    if (h->final->type != type) {
        ESP_LOGE(TAG, "This partition type (%d) is not supported", h->final->type);
        return ESP_FAIL;
    }
    return read_description(h, out, size);
#endif
}

esp_err_t esp_https_ota_get_img_desc(esp_https_ota_handle_t https_ota_handle, esp_app_desc_t *new_app_info)
{
    esp_err_t err = get_description(https_ota_handle, ESP_PARTITION_TYPE_APP, new_app_info, sizeof(*new_app_info));
    if (err == ESP_OK && new_app_info->magic_word != ESP_APP_DESC_MAGIC_WORD) {
        ESP_LOGE(TAG, "Incorrect app descriptor magic");
        return ESP_FAIL;
    }
    return err;
}

esp_err_t esp_https_ota_get_bootloader_img_desc(esp_https_ota_handle_t https_ota_handle, esp_bootloader_desc_t *new_img_info)
{
    esp_err_t err = get_description(https_ota_handle, ESP_PARTITION_TYPE_BOOTLOADER, new_img_info, sizeof(*new_img_info));
    if (err == ESP_OK && new_img_info->magic_byte != ESP_BOOTLOADER_DESC_MAGIC_BYTE) {
        ESP_LOGE(TAG, "Incorrect bootloader descriptor magic");
        return ESP_FAIL;
    }
    return err;
}

int esp_https_ota_get_status_code(esp_https_ota_handle_t https_ota_handle)
{
    const esp_https_ota_t *h = https_ota_handle;
    return h != NULL && h->http_client != NULL ? esp_http_client_get_status_code(h->http_client) : -1;
}

int esp_https_ota_get_image_len_read(esp_https_ota_handle_t https_ota_handle)
{
    const esp_https_ota_t *h = https_ota_handle;
    return h != NULL && h->state >= ESP_HTTPS_OTA_IN_PROGRESS && h->state != ESP_HTTPS_OTA_RESUME ? h->binary_file_len : -1;
}

int esp_https_ota_get_image_size(esp_https_ota_handle_t https_ota_handle)
{
    const esp_https_ota_t *h = https_ota_handle;
    return h != NULL && h->state >= ESP_HTTPS_OTA_BEGIN ? h->image_length : -1;
}

esp_err_t esp_https_ota(const esp_https_ota_config_t *ota_config)
{
    if (ota_config == NULL || ota_config->http_config == NULL) {
        ESP_LOGE(TAG, "esp_https_ota: Invalid argument");
        return ESP_ERR_INVALID_ARG;
    }
    if (ota_config->ota_resumption) {
        ESP_LOGE(TAG, "OTA resumption is not supported in esp_https_ota API");
        return ESP_ERR_NOT_SUPPORTED;
    }
    esp_https_ota_handle_t h = NULL;
    esp_err_t err = esp_https_ota_begin(ota_config, &h);
    if (err != ESP_OK) {
        return err;
    }
    do {
        err = esp_https_ota_perform(h);
    } while (err == ESP_ERR_HTTPS_OTA_IN_PROGRESS);
    if (err != ESP_OK) {
        esp_https_ota_abort(h);
        return err;
    }
    return esp_https_ota_finish(h);
}
