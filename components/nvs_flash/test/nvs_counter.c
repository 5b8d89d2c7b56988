/* The way an ESP-IDF app keeps a value across restarts, built outside portls (pkg-config and
 * find_package): init with the examples' recovery, count the runs in namespace "storage". */
#include <inttypes.h>
#include <stdio.h>

#include "nvs_flash.h"

int main(void)
{
    esp_err_t err = nvs_flash_init();
    if (err == ESP_ERR_NVS_NO_FREE_PAGES || err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
        printf("erasing NVS: %s\n", esp_err_to_name(err));
        if (nvs_flash_erase() != ESP_OK) {
            return 1;
        }
        err = nvs_flash_init();
    }
    nvs_handle_t h;
    if (err != ESP_OK || (err = nvs_open("storage", NVS_READWRITE, &h)) != ESP_OK) {
        printf("nvs: %s\n", esp_err_to_name(err));
        return 1;
    }
    int32_t restarts = 0;
    err = nvs_get_i32(h, "restart_counter", &restarts);
    if (err != ESP_OK && err != ESP_ERR_NVS_NOT_FOUND) {
        printf("read: %s\n", esp_err_to_name(err));
        return 1;
    }
    restarts++;
    err = nvs_set_i32(h, "restart_counter", restarts);
    err = err == ESP_OK ? nvs_commit(h) : err;
    nvs_close(h);
    nvs_flash_deinit();
    printf("restart counter = %" PRId32 " (%s)\n", restarts, esp_err_to_name(err));
    return err == ESP_OK ? 0 : 1;
}
