/*
 * The main() of a program written as an ESP-IDF app: libportls_app_main.a, linked after the
 * program's objects, supplies it when the program has none of its own (a program with a main()
 * never pulls it in). As on a chip, app_main() runs in the "main" task: the emulated device's heap
 * budget (CONFIG_PORTLS_EMULATED_HEAP) is set first, and when app_main() returns the main task
 * ends while the other tasks run on; the process exits when the last one ends (status 0).
 */
#include <stdio.h>

#include "esp_log.h"
#include "esp_tls_heap.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "sdkconfig.h"

void app_main(void);

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* a console's lines, even into a pipe */
    if (portls_heap_set_limit(CONFIG_PORTLS_EMULATED_HEAP) != ESP_OK) {
        ESP_LOGW("main", "This build has no heap accounting: the heap is the host's");
    }
    app_main();
    vTaskDelete(NULL);
}
