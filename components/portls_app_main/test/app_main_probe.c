/*
 * An app without main(): libportls_app_main's main() runs app_main() with the emulated heap as
 * the budget, and the process lives on after app_main() returns until its last task ends.
 */
#include <stdio.h>

#include "esp_system.h"
#include "esp_tls_heap.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "sdkconfig.h"

static void late_task(void *arg)
{
    (void)arg;
    vTaskDelay(pdMS_TO_TICKS(200)); /* well after app_main() has returned */
    printf("late task ran in %s's process; budget %zu of %d; free %u\n", (const char *)"app_main",
           portls_heap_get_limit(), CONFIG_PORTLS_EMULATED_HEAP, (unsigned)esp_get_free_heap_size());
    vTaskDelete(NULL);
}

void app_main(void); /* ESP-IDF declares it in no header */

void app_main(void)
{
    printf("app_main in task %s\n", pcTaskGetName(NULL));
    xTaskCreate(late_task, "late", 4096, NULL, 5, NULL);
}
