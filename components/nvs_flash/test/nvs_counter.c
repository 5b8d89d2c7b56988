/* The way an ESP-IDF app keeps a value across restarts, built outside portls (pkg-config and
 * find_package): init with the examples' recovery, count the runs in namespace "storage". */
#include <inttypes.h>
#include <stdio.h>

#include "nvs_flash.h"

/* The examples' init: a partition without a free page or of a newer format is erased. */
static esp_err_t init_nvs(void)
{
    esp_err_t err = nvs_flash_init();
    if (err == ESP_ERR_NVS_NO_FREE_PAGES || err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
        printf("erasing NVS: %s\n", esp_err_to_name(err));
        err = nvs_flash_erase();
        err = err == ESP_OK ? nvs_flash_init() : err;
    }
    return err;
}

/* Adds one to restart_counter (missing: 0). */
static esp_err_t count(nvs_handle_t h, int32_t *restarts)
{
    *restarts = 0;
    esp_err_t err = nvs_get_i32(h, "restart_counter", restarts);
    if (err != ESP_OK && err != ESP_ERR_NVS_NOT_FOUND) {
        return err;
    }
    (*restarts)++;
    err = nvs_set_i32(h, "restart_counter", *restarts);
    return err == ESP_OK ? nvs_commit(h) : err;
}

int main(void)
{
    nvs_handle_t h;
    int32_t restarts = 0;
    esp_err_t err = init_nvs();
    err = err == ESP_OK ? nvs_open("storage", NVS_READWRITE, &h) : err;
    if (err == ESP_OK) {
        err = count(h, &restarts);
        nvs_close(h);
    }
    nvs_flash_deinit();
    printf("restart counter = %" PRId32 " (%s)\n", restarts, esp_err_to_name(err));
    return err == ESP_OK ? 0 : 1;
}
