/* diagnose: the heap a device typically has free when its application opens a TLS connection.
 * These are planning figures, not guarantees: an application measures its own with
 * esp_get_free_heap_size() (and heap_caps_get_largest_free_block()) just before connecting.
 *
 * References:
 * - ESP8266: the ESP8266EX datasheet (Espressif, v6.x, section 3.1 "Memory") puts the heap and
 *   data space left to an application in station mode, connected to an access point, at about
 *   50 KB; an application's own data takes some of it, and issue 14 plans with 40 KB.
 * - ESP32: 520 KB of SRAM (ESP32 datasheet, section "Memory"); ESP-IDF's "Minimizing RAM Usage"
 *   guide and its Wi-Fi station examples leave some 160 KB free once Wi-Fi and LwIP run.
 * - ESP32-C3: 400 KB of SRAM (ESP32-C3 datasheet, section "Memory"); with Wi-Fi and LwIP
 *   running, some 130 KB free (the same guide's figures, scaled to its smaller SRAM).
 */
#include <string.h>

#include "diagnose.h"

static const diag_device_t devices[] = {
    { "esp32", 160 * 1024, "520 KB SRAM, Wi-Fi and LwIP running" },
    { "esp32c3", 130 * 1024, "400 KB SRAM, Wi-Fi and LwIP running" },
    { "esp8266", 40 * 1024, "about 50 KB of heap and data in station mode, per its datasheet, less the application's" },
    { "host", 0, "a PC: no limit worth naming" },
};

const diag_device_t *diag_device_find(const char *name)
{
    for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
        if (strcmp(devices[i].name, name) == 0) {
            return &devices[i];
        }
    }
    return NULL;
}

const char *diag_device_names(void)
{
    return "esp32, esp32c3, esp8266, host";
}
