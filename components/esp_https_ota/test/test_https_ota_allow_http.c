/* The component built with CONFIG_ESP_HTTPS_OTA_ALLOW_HTTP: no way to verify the server, or plain
 * http, is let through with a warning (the default build refuses both: test_esp_https_ota). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_log.h"
#include "esp_ota_ops.h"
#include "flash_fixture.h"
#include "ota_test.h"
#include "tls_test.h"

static int group_setup(void **state)
{
    nginx_group_setup(state);
    ota_test_serve_image("app.bin", "2.0", 8000);
    return 0;
}

static esp_err_t update(const esp_http_client_config_t *http)
{
    esp_https_ota_config_t cfg = { .http_config = http };
    return esp_https_ota(&cfg);
}

static void test_plain_http_allowed_with_a_warning(void **state)
{
    (void)state;
    char url[128];
    snprintf(url, sizeof(url), "http://localhost:%d/app.bin", nginx_group.http_port);
    esp_http_client_config_t http = { .url = url };
    fixture_capture_start(ESP_LOG_WARN);
    esp_err_t err = update(&http);
    char *log = fixture_capture_end();
    assert_non_null(strstr(log, "Continuing with insecure option because CONFIG_ESP_HTTPS_OTA_ALLOW_HTTP is set."));
    assert_non_null(strstr(log, "OTA over plain http"));
    assert_null(strstr(log, "Failed to post")); /* this program has no default event loop */
    free(log);
    assert_int_equal(err, ESP_OK);
    fixture_power_on(fixture_path);
    assert_string_equal(esp_ota_get_running_partition()->label, "ota_0");
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_OK);
    http = ota_test_http_config(url); /* a certificate, unused over http */
    assert_int_equal(update(&http), ESP_OK);
}

/* Without a certificate the gate lets an https URL through, but TLS still verifies the server:
 * the connection fails (ESP-TLS has nothing to verify it with). */
static void test_https_without_a_certificate_still_verified(void **state)
{
    (void)state;
    esp_http_client_config_t http = { .url = ota_test_url("app.bin") };
    assert_int_equal(update(&http), ESP_ERR_HTTP_CONNECT);
    assert_string_equal(esp_ota_get_boot_partition()->label, "factory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plain_http_allowed_with_a_warning, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_https_without_a_certificate_still_verified, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, nginx_group_teardown);
}
