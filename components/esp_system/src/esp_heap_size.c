/* The emulated device's heap figures, from ESP-TLS's heap accounting (esp_tls_heap.h). */
#include "esp_system.h"
#include "esp_tls_heap.h"
#include "sdkconfig.h"

static size_t heap_size(void)
{
    size_t limit = portls_heap_get_limit();
    return limit != 0 ? limit : (size_t)CONFIG_PORTLS_EMULATED_HEAP;
}

static uint32_t left_of(size_t used)
{
    size_t size = heap_size();
    size_t left = used < size ? size - used : 0;
    return left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
}

uint32_t esp_get_free_heap_size(void)
{
    esp_tls_heap_stats_t stats;
    portls_heap_get_stats(&stats); /* zero figures without heap accounting */
    return left_of(stats.current);
}

uint32_t esp_get_free_internal_heap_size(void)
{
    return esp_get_free_heap_size();
}

uint32_t esp_get_minimum_free_heap_size(void)
{
    esp_tls_heap_stats_t stats;
    portls_heap_get_stats(&stats);
    return left_of(stats.peak);
}

#define STR_(x) #x
#define STR(x) STR_(x)

const char *esp_get_idf_version(void)
{
    return "v" STR(ESP_IDF_VERSION_MAJOR) "." STR(ESP_IDF_VERSION_MINOR) "-portls-" PORTLS_VERSION;
}
