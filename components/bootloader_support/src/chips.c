/* The chips of ESP-IDF v5.5: ids and revisions from the Kconfig defaults, address ranges from
 * each chip's soc.h and soc_caps.h (64 KiB MMU pages). Where app data sits is esptool's DROM map
 * start (its targets; the chips esptool 4.7 lacks follow the ESP32-C6, inside their mapped range). */
#include <string.h>

#include "portls_format.h"
#include "sdkconfig.h"

#define MAJOR PORTLS_LEGACY_REV_MAJOR
#define MINOR PORTLS_LEGACY_REV_MINOR
#define NONE PORTLS_LEGACY_REV_NONE

static const portls_chip_t s_chips[] = {
    /* name, id, min, max, legacy, DROM, IROM, app data, bootloader, configurable MMU page, 32-bit map */
    { "esp32", ESP_CHIP_ID_ESP32, 0, 399, MAJOR, 0x3F400000, 0x3F800000, 0x400D0000, 0x40400000, 0x3F400000, 0x1000, false, false },
    { "esp32s2", ESP_CHIP_ID_ESP32S2, 0, 199, NONE, 0x3F000000, 0x3FF80000, 0x40080000, 0x40800000, 0x3F000000, 0x1000, false, false },
    { "esp32c3", ESP_CHIP_ID_ESP32C3, 3, 199, MINOR, 0x3C000000, 0x3C800000, 0x42000000, 0x42800000, 0x3C000000, 0x0, false, false },
    { "esp32s3", ESP_CHIP_ID_ESP32S3, 0, 99, NONE, 0x3C000000, 0x3E000000, 0x42000000, 0x44000000, 0x3C000000, 0x0, false, true },
    { "esp32c2", ESP_CHIP_ID_ESP32C2, 100, 299, NONE, 0x3C000000, 0x3C400000, 0x42000000, 0x42400000, 0x3C000000, 0x0, true, false },
    { "esp32c6", ESP_CHIP_ID_ESP32C6, 0, 99, NONE, 0x42000000, 0x43000000, 0x42000000, 0x43000000, 0x42800000, 0x0, true, false },
    { "esp32h2", ESP_CHIP_ID_ESP32H2, 0, 199, NONE, 0x42000000, 0x43000000, 0x42000000, 0x43000000, 0x42800000, 0x0, true, false },
    { "esp32p4", ESP_CHIP_ID_ESP32P4, 1, 199, NONE, 0x40000000, 0x44000000, 0x40000000, 0x44000000, 0x40000000, 0x2000, false, true },
    { "esp32c5", ESP_CHIP_ID_ESP32C5, 100, 199, NONE, 0x42000000, 0x44000000, 0x42000000, 0x44000000, 0x42800000, 0x2000, false, true },
    { "esp32c61", ESP_CHIP_ID_ESP32C61, 0, 99, NONE, 0x42000000, 0x44000000, 0x42000000, 0x44000000, 0x42800000, 0x0, true, false },
    { "esp32h21", ESP_CHIP_ID_ESP32H21, 0, 99, NONE, 0x42000000, 0x43000000, 0x42000000, 0x43000000, 0x42800000, 0x0, false, false },
    { "esp32h4", ESP_CHIP_ID_ESP32H4, 0, 99, NONE, 0x42000000, 0x44000000, 0x42000000, 0x44000000, 0x42800000, 0x2000, false, false },
};

#define CHIP_COUNT (sizeof(s_chips) / sizeof(s_chips[0]))

const portls_chip_t *portls_chip_by_name(const char *name)
{
    for (size_t i = 0; name != NULL && i < CHIP_COUNT; i++) {
        if (strcmp(s_chips[i].name, name) == 0) {
            return &s_chips[i];
        }
    }
    return NULL;
}

const portls_chip_t *portls_chip_by_id(esp_chip_id_t id)
{
    for (size_t i = 0; i < CHIP_COUNT; i++) {
        if (s_chips[i].id == id) {
            return &s_chips[i];
        }
    }
    return NULL;
}

const portls_chip_t *portls_chip_emulated(void)
{
    return portls_chip_by_name(CONFIG_IDF_TARGET);
}

unsigned portls_chip_revision(void)
{
#if PORTLS_CHIP_REVISION >= 0
    return PORTLS_CHIP_REVISION;
#else
    return portls_chip_emulated()->min_rev_full;
#endif
}
