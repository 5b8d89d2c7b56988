/* esp_rom_crc32_le(), a byte at a time from a table: NVS checks a CRC for every item it reads. */
#include <pthread.h>

#include "esp_rom_crc.h"

static uint32_t s_table[256];
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static void make_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int bit = 0; bit < 8; bit++) {
            c = (c >> 1) ^ (0xEDB88320U & (0U - (c & 1U)));
        }
        s_table[i] = c;
    }
}

uint32_t esp_rom_crc32_le(uint32_t crc, uint8_t const *buf, uint32_t len)
{
    pthread_once(&s_once, make_table);
    crc = ~crc;
    for (uint32_t i = 0; i < len; i++) {
        crc = (crc >> 8) ^ s_table[(crc ^ buf[i]) & 0xFFU];
    }
    return ~crc;
}
