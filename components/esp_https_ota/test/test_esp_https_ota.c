/* esp_https_ota against nginx, into a flash image file in this process: the whole update and its
 * events, the server-verification gate, redirects, 304, partial download on one connection,
 * resumption (and a server that ignores Range), bulk erase, the image description, staging and final
 * partitions, and the images it must refuse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "esp_image_format.h"
#include "esp_log.h"
#include "esp_ota_ops.h"
#include "esp_private/partition_linux.h"
#include "flash_fixture.h"
#include "ota_test.h"
#include "sdkconfig.h"
#include "tls_test.h"

#define PAYLOAD 20000 /* an image of some 20 KiB */

static size_t s_len;  /* app.bin's */

static int group_setup(void **state)
{
    nginx_group_setup(state);
    /* the same image under several names: the access log is looked at by name */
    static const char *const names[] = { "app.bin", "gate.bin", "nm.bin", "partial.bin", "resume.bin", "nr.bin" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        s_len = ota_test_serve_image(names[i], "2.0", PAYLOAD);
    }
    return 0;
}

/* A flash with room for a merged image: 192 KiB app slots, and a data partition at a 64 KiB
 * boundary (an app image verifies only at its MMU page offset). */
static char *big_flash(void)
{
    static const fixture_part_t parts[] = {
        { "nvs", PART_TYPE_DATA, 0x02, 0x9000, 0x4000, 0 },
        { "otadata", PART_TYPE_DATA, PART_SUBTYPE_DATA_OTA, FIXTURE_OTADATA, 0x2000, 0 },
        { "factory", PART_TYPE_APP, PART_SUBTYPE_FACTORY, 0x10000, 0x30000, 0 },
        { "ota_0", PART_TYPE_APP, 0x10, 0x40000, 0x30000, 0 },
        { "ota_1", PART_TYPE_APP, 0x11, 0x70000, 0x30000, 0 },
        { "storage", PART_TYPE_DATA, 0x81, 0xa0000, 0x10000, 0 },
    };
    char *flash = fixture_flash_create(0xb0000, parts, sizeof(parts) / sizeof(parts[0]));
    fixture_flash_image(flash, 0x10000, "1.0");
    fixture_remove(fixture_path);
    fixture_path = flash;
    fixture_power_on(fixture_path);
    return flash;
}

static const esp_partition_t *part(const char *label)
{
    const esp_partition_t *p = esp_partition_find_first(ESP_PARTITION_TYPE_ANY, ESP_PARTITION_SUBTYPE_ANY, label);
    assert_non_null(p);
    return p;
}

static const char *boot_label(void)
{
    const esp_partition_t *p = esp_ota_get_boot_partition();
    return p != NULL ? p->label : "none";
}

static bool verifies(const esp_partition_t *p)
{
    return fixture_verifies(p->address, p->size);
}

static esp_err_t ota_url(const char *path)
{
    esp_http_client_config_t http = ota_test_http_config(ota_test_url(path));
    esp_https_ota_config_t cfg = { .http_config = &http };
    return esp_https_ota(&cfg);
}

/* The access for path whose Range header was range. */
static nginx_access_t access_with_range(const char *path, int want, const char *range)
{
    nginx_access_t log[16];
    int n = ota_test_accesses(path, want, log, 16), i = 0;
    while (i < n && strcmp(log[i].range, range) != 0) {
        i++;
    }
    if (i == n) {
        fail_msg("no request for %s with Range %s", path, range);
    }
    return log[i];
}


/* The whole update: every event in order, the image in ota_0, set to boot; the next boot runs it. */
static void test_update_and_events(void **state)
{
    (void)state;
    ota_test_events_start();
    assert_int_equal(ota_url("app.bin"), ESP_OK);
    const ota_test_events_t *e = ota_test_events_wait(ESP_HTTPS_OTA_FINISH);
    static const int first[] = { ESP_HTTPS_OTA_START, ESP_HTTPS_OTA_CONNECTED, ESP_HTTPS_OTA_VERIFY_CHIP_ID,
                                 ESP_HTTPS_OTA_VERIFY_CHIP_REVISION, ESP_HTTPS_OTA_WRITE_FLASH };
    for (size_t i = 0; i < sizeof(first) / sizeof(first[0]); i++) {
        assert_int_equal(e->ids[i], first[i]);
    }
    assert_int_equal(e->ids[e->count - 2], ESP_HTTPS_OTA_UPDATE_BOOT_PARTITION);
    assert_int_equal(e->chip_id, CONFIG_IDF_FIRMWARE_CHIP_ID);
    assert_int_equal(e->written, (int)s_len);
    assert_int_equal(e->boot_subtype, ESP_PARTITION_SUBTYPE_APP_OTA_0);
    assert_int_equal(ota_test_events_count(e, ESP_HTTPS_OTA_ABORT), 0);
    assert_string_equal(boot_label(), "ota_0");
    fixture_power_on(fixture_path);
    assert_string_equal(esp_ota_get_running_partition()->label, "ota_0");
    assert_string_equal(esp_app_get_description()->version, "2.0");
}

/* No way to verify the server, or plain http: refused with ESP-IDF's message, before connecting. */
static void test_server_verification_gate(void **state)
{
    (void)state;
    esp_http_client_config_t http = { .url = ota_test_url("gate.bin") };
    esp_https_ota_config_t cfg = { .http_config = &http };
    esp_https_ota_handle_t h = (void *)1;
#ifndef CONFIG_ESP_HTTPS_OTA_ALLOW_HTTP
    fixture_capture_start(ESP_LOG_ERROR);
    assert_int_equal(esp_https_ota_begin(&cfg, &h), ESP_ERR_INVALID_ARG);
    fixture_capture_expect("No option for server verification is enabled in esp_http_client config.");
    assert_null(h);
    /* http with a certificate: ESP-IDF v5.5 goes ahead (the certificate unused); portls refuses */
    char url[128];
    snprintf(url, sizeof(url), "http://localhost:%d/gate.bin", nginx_group.http_port);
    http = ota_test_http_config(url);
    fixture_capture_start(ESP_LOG_ERROR);
    assert_int_equal(esp_https_ota(&cfg), ESP_ERR_INVALID_ARG);
    fixture_capture_expect("OTA over plain http is refused");
    http = (esp_http_client_config_t){ .host = "localhost", .port = nginx_group.http_port, .path = "/gate.bin",
                                       .transport_type = HTTP_TRANSPORT_OVER_TCP, .use_global_ca_store = true };
    assert_int_equal(esp_https_ota(&cfg), ESP_ERR_INVALID_ARG);
    assert_int_equal(nginx_accesses(&nginx_group, "/gate.bin", (nginx_access_t[1]){ 0 }, 1), 0); /* no request */
#endif
    assert_int_equal(esp_https_ota_begin(NULL, &h), ESP_ERR_INVALID_ARG);
    assert_null(h);
    assert_int_equal(esp_https_ota_begin(&(esp_https_ota_config_t){ 0 }, &h), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_https_ota_begin(&cfg, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_https_ota(NULL), ESP_ERR_INVALID_ARG);
    http = ota_test_http_config(ota_test_url("gate.bin"));
    http.is_async = true;
    assert_int_equal(esp_https_ota(&cfg), ESP_ERR_INVALID_ARG);
    assert_string_equal(boot_label(), "factory");
}

/* Redirect chains are followed up to max_redirection_count; a loop ends there. */
static void test_redirects_with_a_cap(void **state)
{
    (void)state;
    esp_http_client_config_t http = ota_test_http_config(ota_test_url("redir/redir/redir/app.bin"));
    esp_https_ota_config_t cfg = { .http_config = &http };
    assert_int_equal(esp_https_ota(&cfg), ESP_OK);
    assert_string_equal(boot_label(), "ota_0");
    http.max_redirection_count = 2;
    assert_int_equal(esp_https_ota(&cfg), ESP_ERR_HTTP_MAX_REDIRECT);
    http = ota_test_http_config(ota_test_url("loop"));
    assert_int_equal(esp_https_ota(&cfg), ESP_ERR_HTTP_MAX_REDIRECT); /* 10 by default */
    nginx_access_t log[16];
    assert_int_equal(ota_test_accesses("/loop", 11, log, 16), 11);
}

static char s_etag[128];

static esp_err_t if_none_match(esp_http_client_handle_t client)
{
    return esp_http_client_set_header(client, "If-None-Match", s_etag);
}

static esp_err_t refuse(esp_http_client_handle_t client)
{
    (void)client;
    return ESP_ERR_INVALID_RESPONSE;
}

static esp_err_t keep_etag(esp_http_client_event_t *evt)
{
    if (evt->event_id == HTTP_EVENT_ON_HEADER && strcasecmp(evt->header_key, "ETag") == 0) {
        snprintf(s_etag, sizeof(s_etag), "%s", evt->header_value);
    }
    return ESP_OK;
}

/* The image's ETag, from a HEAD. */
static void fetch_etag(void)
{
    esp_http_client_config_t http = ota_test_http_config(ota_test_url("nm.bin"));
    http.method = HTTP_METHOD_HEAD;
    http.event_handler = keep_etag;
    esp_http_client_handle_t c = esp_http_client_init(&http);
    assert_int_equal(esp_http_client_perform(c), ESP_OK);
    esp_http_client_cleanup(c);
    assert_true(s_etag[0] == '"');
}

/* http_client_init_cb adds If-None-Match: the unchanged image gives ESP_ERR_HTTP_NOT_MODIFIED
 * (0x7009), in a whole and in a partial download; a failing callback fails begin. */
static void test_not_modified(void **state)
{
    (void)state;
    fetch_etag();
    esp_http_client_config_t http = ota_test_http_config(ota_test_url("nm.bin"));
    esp_https_ota_config_t cfg = { .http_config = &http, .http_client_init_cb = if_none_match };
    esp_https_ota_handle_t h = (void *)1;
    assert_int_equal(ESP_ERR_HTTP_NOT_MODIFIED, 0x7009);
    assert_int_equal(esp_https_ota_begin(&cfg, &h), ESP_ERR_HTTP_NOT_MODIFIED);
    assert_null(h);
    cfg.partial_http_download = true;
    assert_int_equal(esp_https_ota(&cfg), ESP_ERR_HTTP_NOT_MODIFIED);
    cfg.http_client_init_cb = refuse;
    assert_int_equal(esp_https_ota(&cfg), ESP_ERR_INVALID_RESPONSE);
    assert_string_equal(boot_label(), "factory");
    nginx_access_t log[8];
    assert_int_equal(ota_test_accesses("/nm.bin", 3, log, 8), 3); /* the HEAD for the ETag, the GET's 304, the HEAD's */
    assert_int_equal(log[1].status, 304);
    assert_int_equal(log[2].status, 304);
}

/* The steps by hand, as advanced_https_ota_example does: the image's descriptor before it is
 * written, the figures, abort. */
static void test_img_desc_before_perform(void **state)
{
    (void)state;
    esp_http_client_config_t http = ota_test_http_config(ota_test_url("app.bin"));
    esp_https_ota_config_t cfg = { .http_config = &http };
    esp_https_ota_handle_t h;
    esp_app_desc_t desc;
    assert_int_equal(esp_https_ota_get_img_desc(NULL, &desc), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_https_ota_begin(&cfg, &h), ESP_OK);
    assert_int_equal(esp_https_ota_get_image_size(h), (int)s_len);
    assert_int_equal(esp_https_ota_get_status_code(h), 200);
    assert_int_equal(esp_https_ota_get_image_len_read(h), -1);
    assert_int_equal(esp_https_ota_get_img_desc(h, &desc), ESP_OK);
    assert_string_equal(desc.version, "2.0");
    assert_string_equal(desc.project_name, "ota_test");
    esp_bootloader_desc_t bl;
    assert_int_equal(esp_https_ota_get_bootloader_img_desc(h, &bl), ESP_FAIL); /* the final is an app */
    esp_err_t err;
    while ((err = esp_https_ota_perform(h)) == ESP_ERR_HTTPS_OTA_IN_PROGRESS) {
        assert_true(esp_https_ota_get_image_len_read(h) > 0);
    }
    assert_int_equal(err, ESP_OK);
    assert_true(esp_https_ota_is_complete_data_received(h));
    assert_int_equal(esp_https_ota_get_image_len_read(h), (int)s_len);
    assert_int_equal(esp_https_ota_finish(h), ESP_OK);
    assert_true(verifies(part("ota_0")));
    /* abort before the first perform, and after some */
    assert_int_equal(esp_https_ota_begin(&cfg, &h), ESP_OK);
    assert_int_equal(esp_https_ota_abort(h), ESP_OK);
    assert_int_equal(esp_https_ota_begin(&cfg, &h), ESP_OK);
    assert_int_equal(esp_https_ota_perform(h), ESP_ERR_HTTPS_OTA_IN_PROGRESS);
    assert_int_equal(esp_https_ota_abort(h), ESP_OK);
    assert_int_equal(esp_https_ota_abort(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_https_ota_finish(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_https_ota_perform(NULL), ESP_ERR_INVALID_ARG);
    assert_false(esp_https_ota_is_complete_data_received(NULL));
    assert_int_equal(esp_https_ota_get_image_size(NULL), -1);
    assert_int_equal(esp_https_ota_get_status_code(NULL), -1);
    assert_string_equal(boot_label(), "ota_0"); /* the finished one */
}

/* partial_http_download: a HEAD, then ranges of max_http_request_size, all on one connection. */
static void test_partial_download_on_one_connection(void **state)
{
    (void)state;
    esp_http_client_config_t http = ota_test_http_config(ota_test_url("partial.bin"));
    esp_https_ota_config_t cfg = { .http_config = &http, .partial_http_download = true, .max_http_request_size = 4096 };
    assert_int_equal(esp_https_ota(&cfg), ESP_OK);
    assert_string_equal(boot_label(), "ota_0");
    nginx_access_t log[16];
    int ranges = (int)((s_len + 4095) / 4096);
    int n = ota_test_accesses("/partial.bin", 1 + ranges, log, 16);
    assert_int_equal(n, 1 + ranges);
    assert_int_equal(log[0].status, 200); /* HEAD */
    for (int i = 1; i < n; i++) {
        char want[48];
        int start = (i - 1) * 4096;
        if (i < n - 1) {
            snprintf(want, sizeof(want), "bytes=%d-%d", start, start + 4095);
        } else {
            snprintf(want, sizeof(want), "bytes=%d-", start);
        }
        assert_string_equal(log[i].range, want);
        assert_int_equal(log[i].status, 206);
        assert_int_equal(log[i].connection, log[0].connection); /* one keep-alive connection */
    }
}

/* Runs the update until about `upto` bytes are written, then loses the power (no finish).
 * @return the bytes written, as an app would have saved them */
static int interrupted_update(const char *path, int upto)
{
    esp_http_client_config_t http = ota_test_http_config(ota_test_url(path));
    esp_https_ota_config_t cfg = { .http_config = &http };
    esp_https_ota_handle_t h;
    assert_int_equal(esp_https_ota_begin(&cfg, &h), ESP_OK);
    while (esp_https_ota_get_image_len_read(h) < upto) {
        assert_int_equal(esp_https_ota_perform(h), ESP_ERR_HTTPS_OTA_IN_PROGRESS);
    }
    int written = esp_https_ota_get_image_len_read(h);
    assert_int_equal(esp_https_ota_abort(h), ESP_OK);
    fixture_power_on(fixture_path); /* a reboot */
    return written;
}

static esp_err_t resume(const char *path, int written)
{
    esp_http_client_config_t http = ota_test_http_config(ota_test_url(path));
    esp_https_ota_config_t cfg = { .http_config = &http, .ota_resumption = true,
                                   .ota_image_bytes_written = (size_t)written };
    esp_https_ota_handle_t h;
    esp_err_t err = esp_https_ota_begin(&cfg, &h);
    if (err != ESP_OK) {
        return err;
    }
    if (written >= 1024) {
        esp_app_desc_t desc; /* read back from flash */
        assert_int_equal(esp_https_ota_get_img_desc(h, &desc), ESP_OK);
        assert_string_equal(desc.version, "2.0");
        assert_int_equal(esp_https_ota_get_image_size(h), (int)s_len); /* the whole image's, from Content-Range */
    }
    while ((err = esp_https_ota_perform(h)) == ESP_ERR_HTTPS_OTA_IN_PROGRESS) {
    }
    if (err != ESP_OK) {
        esp_https_ota_abort(h);
        return err;
    }
    return esp_https_ota_finish(h);
}

/* ota_resumption goes on from the bytes written before a reboot, with a Range request. */
static void test_resumption(void **state)
{
    (void)state;
    int written = interrupted_update("resume.bin", 8000);
    assert_int_equal(resume("resume.bin", written), ESP_OK);
    assert_string_equal(boot_label(), "ota_0");
    char want[48];
    snprintf(want, sizeof(want), "bytes=%d-", written);
    nginx_access_t a = access_with_range("/resume.bin", 2, want);
    assert_int_equal(a.status, 206);
    assert_int_equal(a.sent, (long)s_len - written); /* only the rest */
    /* nothing written yet (less than the header): from 0, with bytes=0- (v5.5.4) */
    assert_int_equal(resume("resume.bin", 500), ESP_OK);
    assert_int_equal(access_with_range("/resume.bin", 3, "bytes=0-").status, 206);
    esp_http_client_config_t http = ota_test_http_config(ota_test_url("app.bin"));
    esp_https_ota_config_t cfg = { .http_config = &http, .ota_resumption = true };
    assert_int_equal(esp_https_ota(&cfg), ESP_ERR_NOT_SUPPORTED);
}

/* A server that ignores Range answers 200 with the whole image: it is written from byte 0, never
 * at the resume offset (ESP-IDF v5.5 did: the image grew past its end and failed). */
static void test_resumption_from_a_server_without_ranges(void **state)
{
    (void)state;
    int written = interrupted_update("norange/nr.bin", 8000);
    fixture_capture_start(ESP_LOG_WARN);
    assert_int_equal(resume("norange/nr.bin", written), ESP_OK);
    fixture_capture_expect("Server ignored the requested Range header");
    assert_string_equal(boot_label(), "ota_0");
    assert_true(verifies(part("ota_0")));
    char want[48];
    snprintf(want, sizeof(want), "bytes=%d-", written);
    assert_int_equal(access_with_range("/norange/nr.bin", 3, want).status, 200); /* ignored */
    nginx_access_t log[8];
    int n = ota_test_accesses("/norange/nr.bin", 3, log, 8);
    assert_int_equal(n, 3); /* the interrupted one, the ignored Range, the whole image again */
    assert_int_equal(log[0].status + log[1].status + log[2].status, 600);
    /* a partial download's first range (from 0) answered with the whole image is right */
    esp_http_client_config_t http = ota_test_http_config(ota_test_url("norange/nr.bin"));
    esp_https_ota_config_t cfg = { .http_config = &http, .partial_http_download = true, .max_http_request_size = 4096 };
    assert_int_equal(esp_https_ota(&cfg), ESP_OK);
    /* a server that takes the first range and answers the next with the whole image: that body is
     * not written at the second range's offset; the download fails there */
    http.url = ota_test_url("firstrange/nr.bin");
    cfg.partition.staging = part("ota_1"); /* empty */
    fixture_capture_start(ESP_LOG_WARN);
    esp_err_t err = esp_https_ota(&cfg);
    fixture_capture_expect("Server ignored the requested Range header (status 200)");
    assert_int_equal(err, ESP_FAIL);
    uint8_t byte;
    assert_int_equal(esp_partition_read(part("ota_1"), 4096, &byte, 1), ESP_OK);
    assert_int_equal(byte, 0xFF); /* nothing past the first range */
    assert_string_equal(boot_label(), "ota_0");
}

/* bulk_flash_erase erases the image's size at the start; otherwise each sector as writes reach it. */
static void test_bulk_flash_erase(void **state)
{
    (void)state;
    static uint8_t zeros[0x8000];
    for (int bulk = 0; bulk < 2; bulk++) {
        fixture_flash_write(fixture_path, FIXTURE_OTA_0, zeros, sizeof(zeros));
        esp_http_client_config_t http = ota_test_http_config(ota_test_url("app.bin"));
        esp_https_ota_config_t cfg = { .http_config = &http, .bulk_flash_erase = bulk };
        esp_https_ota_handle_t h;
        assert_int_equal(esp_https_ota_begin(&cfg, &h), ESP_OK);
        assert_int_equal(esp_https_ota_perform(h), ESP_ERR_HTTPS_OTA_IN_PROGRESS); /* the first 1024 bytes */
        uint8_t byte;
        assert_int_equal(esp_partition_read(part("ota_0"), 0x3000, &byte, 1), ESP_OK);
        assert_int_equal(byte, bulk ? 0xFF : 0x00);
        esp_err_t err;
        while ((err = esp_https_ota_perform(h)) == ESP_ERR_HTTPS_OTA_IN_PROGRESS) {
        }
        assert_int_equal(err, ESP_OK);
        assert_int_equal(esp_https_ota_finish(h), ESP_OK);
        assert_true(verifies(part("ota_0")));
    }
}

/* Staging and final partitions: finalize_with_copy copies the image into the final one; a factory
 * final is never set to boot, an OTA slot final is. */
static void test_staging_and_final_partitions(void **state)
{
    (void)state;
    esp_http_client_config_t http = ota_test_http_config(ota_test_url("app.bin"));
    esp_https_ota_config_t cfg = { .http_config = &http };
    cfg.partition.staging = part("ota_1");
    cfg.partition.final = part("factory");
    cfg.partition.finalize_with_copy = true;
    ota_test_events_start();
    assert_int_equal(esp_https_ota(&cfg), ESP_OK);
    const ota_test_events_t *e = ota_test_events_wait(ESP_HTTPS_OTA_FINISH);
    assert_int_equal(ota_test_events_count(e, ESP_HTTPS_OTA_UPDATE_BOOT_PARTITION), 0);
    esp_app_desc_t desc;
    assert_int_equal(esp_ota_get_partition_description(part("factory"), &desc), ESP_OK);
    assert_string_equal(desc.version, "2.0");
    assert_string_equal(boot_label(), "factory");
    /* a data partition as staging, copied into ota_1, which then boots (v5.5 sets the staging one) */
    big_flash();
    cfg.partition.staging = part("storage");
    cfg.partition.final = part("ota_1");
    assert_int_equal(esp_https_ota(&cfg), ESP_OK);
    assert_true(verifies(part("ota_1"))); /* the copy */
    assert_string_equal(boot_label(), "ota_1");
    /* a data final: written as it comes, nothing checked or set to boot */
    cfg.partition.staging = cfg.partition.final = part("nvs");
    http.url = ota_test_url("app.bin");
    assert_int_equal(esp_https_ota(&cfg), ESP_ERR_INVALID_SIZE); /* 20 KiB into 16 */
    nginx_write_file(&nginx_group, "data.bin", "some data", 9);
    http.url = ota_test_url("data.bin");
    assert_int_equal(esp_https_ota(&cfg), ESP_OK);
    char text[10] = "";
    assert_int_equal(esp_partition_read(part("nvs"), 0, text, 9), ESP_OK);
    assert_string_equal(text, "some data");
    assert_string_equal(boot_label(), "ota_1");
}

/* Images it must refuse, each with its error code; the boot partition stays. */
static void test_refused_images(void **state)
{
    (void)state;
    ota_test_serve_variant("corrupt.bin", NULL, PAYLOAD, 24 + 8 + 256 + 5000); /* a byte of the segment */
    ota_test_serve_variant("checksum.bin", NULL, PAYLOAD, -33);
    ota_test_serve_variant("hash.bin", NULL, PAYLOAD, -1);
    ota_test_serve_variant("c3.bin", "esp32c3", PAYLOAD, 0);
    ota_test_serve_variant("big.bin", NULL, 70000, 0);
    static const struct {
        const char *path;
        esp_err_t err;
        const char *log;
    } cases[] = {
        { "corrupt.bin", ESP_ERR_OTA_VALIDATE_FAILED, "Checksum failed" },
        { "checksum.bin", ESP_ERR_OTA_VALIDATE_FAILED, "Checksum failed" },
        { "hash.bin", ESP_ERR_OTA_VALIDATE_FAILED, "Image hash failed - image is corrupt" },
        { "c3.bin", ESP_ERR_INVALID_VERSION, "Mismatch chip id, expected 0, found 5" },
        { "big.bin", ESP_ERR_INVALID_SIZE, "does not fit partition <ota_0>" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fixture_capture_start(ESP_LOG_ERROR);
        esp_err_t err = ota_url(cases[i].path);
        fixture_capture_expect(cases[i].log);
        assert_int_equal(err, cases[i].err);
        assert_string_equal(boot_label(), "factory");
    }
}

/* A merged flash image (a whole flash from offset 0, as esptool merge_bin makes it: 0xFF first on
 * an ESP32) is refused by the first write, before any chip check (ESP-IDF issue 12108). */
static void test_merged_image_refused_at_the_first_write(void **state)
{
    (void)state;
    big_flash();
    FILE *f = fopen(fixture_path, "rb");
    static uint8_t merged[0x20000];
    assert_int_equal(fread(merged, 1, sizeof(merged), f), sizeof(merged));
    fclose(f);
    nginx_write_file(&nginx_group, "merged.bin", merged, sizeof(merged)); /* bootloader, table, app */
    ota_test_events_start();
    fixture_capture_start(ESP_LOG_ERROR);
    esp_http_client_config_t http = ota_test_http_config(ota_test_url("merged.bin"));
    esp_https_ota_config_t cfg = { .http_config = &http };
    cfg.partition.staging = part("ota_1");
    esp_err_t err = esp_https_ota(&cfg);
    fixture_capture_expect("OTA image has invalid magic byte (expected 0xE9, saw 0xff)");
    assert_int_equal(err, ESP_ERR_OTA_VALIDATE_FAILED);
    const ota_test_events_t *e = ota_test_events_wait(ESP_HTTPS_OTA_ABORT);
    assert_int_equal(ota_test_events_count(e, ESP_HTTPS_OTA_VERIFY_CHIP_ID), 0);
    assert_int_equal(ota_test_events_count(e, ESP_HTTPS_OTA_WRITE_FLASH), 1); /* the refused first write */
    assert_int_equal(e->written, 0);
    assert_string_equal(boot_label(), "factory");
}

/* A 401 is answered with the credentials; a 404 fails begin. */
static void test_auth_and_not_found(void **state)
{
    (void)state;
    size_t len;
    uint8_t *image = ota_test_image(NULL, "2.0", 2000, &len);
    nginx_write_file(&nginx_group, "private/app.bin", image, len);
    free(image);
    esp_http_client_config_t http = ota_test_http_config(ota_test_url("private/app.bin"));
    http.username = "portls";
    http.password = "secret";
    esp_https_ota_config_t cfg = { .http_config = &http };
    assert_int_equal(esp_https_ota(&cfg), ESP_OK);
    http.max_authorization_retries = -1; /* no answer to the 401 */
    assert_int_equal(esp_https_ota(&cfg), ESP_FAIL);
    http = ota_test_http_config(ota_test_url("none.bin"));
    esp_https_ota_handle_t h = (void *)1;
    fixture_capture_start(ESP_LOG_ERROR);
    assert_int_equal(esp_https_ota_begin(&cfg, &h), ESP_FAIL);
    fixture_capture_expect("File not found(404)");
    assert_null(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_update_and_events, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_server_verification_gate, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_redirects_with_a_cap, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_not_modified, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_img_desc_before_perform, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_partial_download_on_one_connection, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_resumption, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_resumption_from_a_server_without_ranges, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_flash_erase, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_staging_and_final_partitions, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_refused_images, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_merged_image_refused_at_the_first_write, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_auth_and_not_found, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, nginx_group_teardown);
}
