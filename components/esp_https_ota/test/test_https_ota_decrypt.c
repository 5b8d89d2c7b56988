/* The component built with CONFIG_ESP_HTTPS_OTA_DECRYPT_CB: an image served encrypted (here a
 * 16-byte header and XOR, standing for esp_encrypted_img's scheme) is decrypted by decrypt_cb before
 * it is written, in a whole and in a partial download. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_ota_ops.h"
#include "flash_fixture.h"
#include "ota_test.h"
#include "tls_test.h"

#define HEADER "PORTLS XOR IMAGE" /* 16 bytes */
#define HEADER_LEN 16
#define KEY 0x5A

typedef struct {
    size_t consumed; /* bytes of the file seen */
    bool fail;
} decrypt_ctx_t;

static size_t s_file_len;

static int group_setup(void **state)
{
    nginx_group_setup(state);
    size_t len;
    uint8_t *image = ota_test_image(NULL, "2.0", 20000, &len);
    uint8_t *file = malloc(HEADER_LEN + len);
    memcpy(file, HEADER, HEADER_LEN);
    for (size_t i = 0; i < len; i++) {
        file[HEADER_LEN + i] = image[i] ^ KEY;
    }
    s_file_len = HEADER_LEN + len;
    nginx_write_file(&nginx_group, "app.enc", file, s_file_len);
    nginx_write_file(&nginx_group, "partial.enc", file, s_file_len); /* its own access log lines */
    free(file);
    free(image);
    return 0;
}

static esp_err_t decrypt(decrypt_cb_arg_t *args, void *user_ctx)
{
    decrypt_ctx_t *ctx = user_ctx;
    if (ctx->fail) {
        return ESP_ERR_INVALID_CRC;
    }
    size_t skip = ctx->consumed < HEADER_LEN ? HEADER_LEN - ctx->consumed : 0;
    skip = skip < args->data_in_len ? skip : args->data_in_len;
    ctx->consumed += args->data_in_len;
    args->data_out_len = args->data_in_len - skip;
    args->data_out = args->data_out_len != 0 ? malloc(args->data_out_len) : NULL;
    for (size_t i = 0; i < args->data_out_len; i++) {
        args->data_out[i] = (char)(args->data_in[skip + i] ^ KEY);
    }
    return ESP_OK;
}

static esp_https_ota_config_t config(esp_http_client_config_t *http, decrypt_ctx_t *ctx)
{
    *http = ota_test_http_config(ota_test_url("app.enc"));
    *ctx = (decrypt_ctx_t){ 0 };
    return (esp_https_ota_config_t){ .http_config = http, .decrypt_cb = decrypt, .decrypt_user_ctx = ctx,
                                     .enc_img_header_size = HEADER_LEN };
}

static void test_decrypted_image_boots(void **state)
{
    (void)state;
    esp_http_client_config_t http;
    decrypt_ctx_t ctx;
    esp_https_ota_config_t cfg = config(&http, &ctx);
    ota_test_events_start();
    assert_int_equal(esp_https_ota(&cfg), ESP_OK);
    const ota_test_events_t *e = ota_test_events_wait(ESP_HTTPS_OTA_FINISH);
    assert_true(ota_test_events_count(e, ESP_HTTPS_OTA_DECRYPT_CB) > 1);
    assert_int_equal(e->written, (int)(s_file_len - HEADER_LEN));
    assert_int_equal(ctx.consumed, s_file_len);
    fixture_power_on(fixture_path);
    assert_string_equal(esp_ota_get_running_partition()->label, "ota_0");
    assert_string_equal(esp_app_get_description()->version, "2.0");
}

/* Ranges are of the encrypted file: the first from 0, the next past the header and the bytes written. */
static void test_partial_download_skips_the_header(void **state)
{
    (void)state;
    esp_http_client_config_t http;
    decrypt_ctx_t ctx;
    esp_https_ota_config_t cfg = config(&http, &ctx);
    http.url = ota_test_url("partial.enc");
    cfg.partial_http_download = true;
    cfg.max_http_request_size = 4096;
    assert_int_equal(esp_https_ota(&cfg), ESP_OK);
    assert_int_equal(ctx.consumed, s_file_len);
    nginx_access_t log[16];
    int n = ota_test_accesses("/partial.enc", 1 + (int)((s_file_len + 4095) / 4096), log, 16);
    assert_string_equal(log[1].range, "bytes=0-4095");
    assert_string_equal(log[2].range, "bytes=4096-8191");
    assert_int_equal(log[n - 1].status, 206);
    assert_string_equal(esp_ota_get_boot_partition()->label, "ota_0");
}

static void test_decrypt_errors(void **state)
{
    (void)state;
    esp_http_client_config_t http;
    decrypt_ctx_t ctx;
    esp_https_ota_config_t cfg = config(&http, &ctx);
    cfg.decrypt_cb = NULL;
    assert_int_equal(esp_https_ota(&cfg), ESP_ERR_INVALID_ARG);
    cfg = config(&http, &ctx);
    cfg.ota_resumption = true;
    esp_https_ota_handle_t h;
    assert_int_equal(esp_https_ota_begin(&cfg, &h), ESP_ERR_NOT_SUPPORTED);
    cfg = config(&http, &ctx);
    assert_int_equal(esp_https_ota_begin(&cfg, &h), ESP_OK);
    esp_app_desc_t desc;
    assert_int_equal(esp_https_ota_get_img_desc(h, &desc), ESP_ERR_NOT_SUPPORTED); /* it is encrypted */
    ctx.fail = true;
    assert_int_equal(esp_https_ota_perform(h), ESP_ERR_INVALID_CRC);
    assert_int_equal(esp_https_ota_abort(h), ESP_OK);
    assert_string_equal(esp_ota_get_boot_partition()->label, "factory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_decrypted_image_boots, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_partial_download_skips_the_header, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_decrypt_errors, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, nginx_group_teardown);
}
