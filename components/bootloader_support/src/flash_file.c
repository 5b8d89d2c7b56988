/* The emulated flash chip: a flash image file mapped shared, with NOR rules and power cuts. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootloader_flash_priv.h"
#include "esp_flash_partitions.h"
#include "esp_log.h"
#include "esp_private/partition_linux.h"
#include "flash_file.h"
#include "sdkconfig.h"
#include "spi_flash_mmap.h"

static const char *TAG = "linux_spiflash";

static struct {
    pthread_mutex_t lock;
    uint8_t *base; /* NULL while unmapped */
    size_t size;
    int fd;
    uint32_t generation; /* counts mappings: each is a power-on */
    size_t power_cycles; /* SIZE_MAX: no power cut armed; 0: the power is off */
    uint8_t power_mode;
} s_flash = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1, .power_cycles = SIZE_MAX };

static esp_partition_file_mmap_ctrl_t s_input;
static esp_partition_file_mmap_ctrl_t s_act;

esp_partition_file_mmap_ctrl_t *esp_partition_get_file_mmap_ctrl_input(void)
{
    return &s_input;
}

esp_partition_file_mmap_ctrl_t *esp_partition_get_file_mmap_ctrl_act(void)
{
    return &s_act;
}

/* The file to map: the control structure's name, else PORTLS_FLASH. */
static const char *flash_file_name(void)
{
    if (s_input.flash_file_name[0] != '\0') {
        return s_input.flash_file_name;
    }
    const char *env = getenv("PORTLS_FLASH");
    return env != NULL && env[0] != '\0' ? env : NULL;
}

static esp_err_t check_size(const char *name, off_t size)
{
    if (size < ESP_PARTITION_TABLE_OFFSET + ESP_PARTITION_TABLE_SIZE || size % ESP_PARTITION_EMULATED_SECTOR_SIZE != 0) {
        ESP_LOGE(TAG, "Flash emulation file %s: %lld bytes; it must be whole 4 KiB sectors and hold the partition "
                 "table at 0x%x", name, (long long)size, ESP_PARTITION_TABLE_OFFSET);
        return ESP_ERR_INVALID_SIZE;
    }
    return ESP_OK;
}

/* Opens and maps name; called with the lock held. */
static esp_err_t map_file(const char *name)
{
    int fd = open(name, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        ESP_LOGE(TAG, "Failed to open SPI FLASH emulation file %s: %s", name, strerror(errno));
        return ESP_ERR_NOT_FOUND;
    }
    struct stat st;
    esp_err_t err = fstat(fd, &st) == 0 ? check_size(name, st.st_size) : ESP_ERR_NOT_FINISHED;
    void *base = MAP_FAILED;
    if (err == ESP_OK && (base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
        ESP_LOGE(TAG, "Failed to mmap() SPI FLASH memory emulation file %s: %s", name, strerror(errno));
        err = ESP_ERR_NOT_FINISHED;
    }
    if (err != ESP_OK) {
        close(fd);
        return err;
    }
    s_flash.base = base;
    s_flash.size = (size_t)st.st_size;
    s_flash.fd = fd;
    s_flash.generation++;
    snprintf(s_act.flash_file_name, sizeof(s_act.flash_file_name), "%s", name);
    s_act.flash_file_size = s_flash.size;
    memset(&s_input, 0, sizeof(s_input));
    return ESP_OK;
}

static esp_err_t map_locked(void)
{
    if (s_flash.base != NULL) {
        return ESP_OK;
    }
    const char *name = flash_file_name();
    if (name == NULL) {
        ESP_LOGE(TAG, "No flash image file: set esp_partition_get_file_mmap_ctrl_input()->flash_file_name or the "
                 "PORTLS_FLASH environment variable to one (`portls flash create` makes one)");
        return ESP_ERR_NOT_FOUND;
    }
    if (s_input.flash_file_size > 0 || s_input.partition_file_name[0] != '\0') {
        ESP_LOGE(TAG, "Flash file %s was named together with a size or a partition file (illegal): portls maps an "
                 "existing flash image only", name);
        return ESP_ERR_INVALID_ARG;
    }
    return map_file(name);
}

esp_err_t esp_partition_file_mmap(const uint8_t **part_desc_addr_start)
{
    pthread_mutex_lock(&s_flash.lock);
    esp_err_t err = map_locked();
    if (part_desc_addr_start != NULL) {
        *part_desc_addr_start = s_flash.base;
    }
    pthread_mutex_unlock(&s_flash.lock);
    return err;
}

static esp_err_t unmap_locked(void)
{
    if (s_flash.base == NULL) {
        return ESP_ERR_NO_MEM;
    }
    esp_err_t err = ESP_OK;
    if (munmap(s_flash.base, s_flash.size) != 0 || close(s_flash.fd) != 0) {
        ESP_LOGE(TAG, "Failed to unmap SPI FLASH memory emulation file %s: %s", s_act.flash_file_name, strerror(errno));
        err = ESP_ERR_INVALID_RESPONSE;
    }
    if (s_input.remove_dump && remove(s_act.flash_file_name) != 0) {
        ESP_LOGE(TAG, "Failed to remove() SPI FLASH memory emulation file %s: %s", s_act.flash_file_name, strerror(errno));
        err = ESP_ERR_INVALID_RESPONSE;
    }
    s_flash.base = NULL;
    s_flash.size = 0;
    s_flash.fd = -1;
    memset(&s_act, 0, sizeof(s_act));
    return err;
}

esp_err_t esp_partition_file_munmap(void)
{
    pthread_mutex_lock(&s_flash.lock);
    esp_err_t err = unmap_locked();
    pthread_mutex_unlock(&s_flash.lock);
    return err;
}

uint32_t flash_file_generation(void)
{
    pthread_mutex_lock(&s_flash.lock);
    uint32_t generation = s_flash.base != NULL ? s_flash.generation : 0;
    pthread_mutex_unlock(&s_flash.lock);
    return generation;
}

size_t flash_file_size(void)
{
    pthread_mutex_lock(&s_flash.lock);
    size_t size = s_flash.size;
    pthread_mutex_unlock(&s_flash.lock);
    return size;
}

void esp_partition_fail_after(size_t count, uint8_t mode)
{
    pthread_mutex_lock(&s_flash.lock);
    s_flash.power_cycles = count;
    s_flash.power_mode = mode;
    pthread_mutex_unlock(&s_flash.lock);
}

/* Spends the power cycles an operation of kind needs. @return the cycles granted: all of them
 * while the power stays on, fewer when it goes off during the operation (and 0 once it is off). */
static size_t power_spend(uint8_t kind, size_t cycles, bool *cut)
{
    pthread_mutex_lock(&s_flash.lock);
    *cut = false;
    if (s_flash.power_cycles != SIZE_MAX && (s_flash.power_mode & kind) != 0) {
        if (s_flash.power_cycles > cycles) {
            s_flash.power_cycles -= cycles;
        } else {
            cycles = s_flash.power_cycles;
            s_flash.power_cycles = 0;
            *cut = true;
        }
    }
    pthread_mutex_unlock(&s_flash.lock);
    return cycles;
}

/* The mapped bytes [addr, addr + size), mapping the flash first if needed. */
static esp_err_t flash_range(size_t addr, size_t size, uint8_t **out)
{
    const uint8_t *base;
    esp_err_t err = esp_partition_file_mmap(&base);
    if (err != ESP_OK) {
        return err;
    }
    size_t flash_size = flash_file_size();
    if (addr > flash_size || size > flash_size - addr) {
        return ESP_ERR_INVALID_ARG;
    }
    *out = (uint8_t *)base + addr;
    return ESP_OK;
}

const void *bootloader_mmap(uint32_t src_addr, uint32_t size)
{
    uint8_t *p;
    return flash_range(src_addr, size, &p) == ESP_OK ? p : NULL;
}

void bootloader_munmap(const void *mapping)
{
    (void)mapping;
}

esp_err_t bootloader_flash_read(size_t src_addr, void *dest, size_t size, bool allow_decrypt)
{
    (void)allow_decrypt;
    uint8_t *p;
    if (dest == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = flash_range(src_addr, size, &p);
    if (err == ESP_OK) {
        memcpy(dest, p, size);
    }
    return err;
}

/* NOR programming: bits only go from 1 to 0. @return the bytes written before a refused one. */
static size_t program(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
#ifdef CONFIG_ESP_PARTITION_ERASE_CHECK
        if ((uint8_t)(~dst[i] & src[i]) != 0) {
            ESP_LOGW(TAG, "invalid flash operation detected");
            return i;
        }
#endif
        dst[i] &= src[i];
    }
    return n;
}

esp_err_t bootloader_flash_write(size_t dest_addr, const void *src, size_t size, bool write_encrypted)
{
    uint8_t *dst;
    if (write_encrypted) {
        return ESP_ERR_NOT_SUPPORTED;
    }
    if (src == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = flash_range(dest_addr, size, &dst);
    if (err != ESP_OK) {
        return err;
    }
    bool cut;
    size_t n = size;
    size_t words = power_spend(ESP_PARTITION_FAIL_AFTER_MODE_WRITE, size / 4, &cut);
    if (cut) {
        n = words * 4;
    }
    if (program(dst, src, n) != n || cut) {
        return ESP_ERR_FLASH_OP_FAIL;
    }
    return ESP_OK;
}

esp_err_t bootloader_flash_erase_range(uint32_t start_addr, uint32_t size)
{
    uint8_t *dst;
    if (start_addr % SPI_FLASH_SEC_SIZE != 0 || size % SPI_FLASH_SEC_SIZE != 0) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = flash_range(start_addr, size, &dst);
    if (err != ESP_OK || size == 0) {
        return err;
    }
    bool cut;
    size_t sectors = power_spend(ESP_PARTITION_FAIL_AFTER_MODE_ERASE, size / SPI_FLASH_SEC_SIZE, &cut);
    memset(dst, 0xFF, sectors * SPI_FLASH_SEC_SIZE);
    return cut ? ESP_ERR_FLASH_OP_FAIL : ESP_OK;
}

esp_err_t bootloader_flash_erase_sector(size_t sector)
{
    if (sector > UINT32_MAX / SPI_FLASH_SEC_SIZE) {
        return ESP_ERR_INVALID_ARG;
    }
    return bootloader_flash_erase_range((uint32_t)(sector * SPI_FLASH_SEC_SIZE), SPI_FLASH_SEC_SIZE);
}
