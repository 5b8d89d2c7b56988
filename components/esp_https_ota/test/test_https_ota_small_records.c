/* With CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN 4096 (the build make test-ota-small makes), the records
 * nginx sends (16 KiB by default) do not fit: a whole download fails, and partial_http_download
 * with requests small enough that each response fits a 4 KiB record succeeds. nginx puts the
 * response headers and the start of the body in one record, so a request of 3 KiB leaves them room. */
#include <stdlib.h>
#include <string.h>

#include "esp_log.h"
#include "esp_ota_ops.h"
#include "flash_fixture.h"
#include "ota_test.h"
#include "sdkconfig.h"
#include "tls_test.h"

_Static_assert(CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN == 4096, "this test is for a build with 4 KiB input records");

static int group_setup(void **state)
{
    nginx_group_setup(state);
    ota_test_serve_image("app.bin", "2.0", 40000);
    return 0;
}

static void test_whole_download_needs_16k_records(void **state)
{
    (void)state;
    esp_http_client_config_t http = ota_test_http_config(ota_test_url("app.bin"));
    esp_https_ota_config_t cfg = { .http_config = &http };
    fixture_capture_start(ESP_LOG_ERROR);
    esp_err_t err = esp_https_ota(&cfg);
    fixture_capture_expect("ESP_ERR_MBEDTLS_SSL_READ_FAILED"); /* the first record: headers and 16 KiB */
    assert_int_equal(err, ESP_ERR_HTTP_FETCH_HEADER);
    assert_string_equal(esp_ota_get_boot_partition()->label, "factory");
}

static void test_partial_download_fits_4k_records(void **state)
{
    (void)state;
    esp_http_client_config_t http = ota_test_http_config(ota_test_url("app.bin"));
    esp_https_ota_config_t cfg = { .http_config = &http, .partial_http_download = true, .max_http_request_size = 3072 };
    assert_int_equal(esp_https_ota(&cfg), ESP_OK);
    fixture_power_on(fixture_path);
    assert_string_equal(esp_ota_get_running_partition()->label, "ota_0");
    assert_string_equal(esp_app_get_description()->version, "2.0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_whole_download_needs_16k_records, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_partial_download_fits_4k_records, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, nginx_group_teardown);
}
