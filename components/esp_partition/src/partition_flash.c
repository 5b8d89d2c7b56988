/* Reading, writing and erasing partitions: the checks of ESP-IDF's linux target, then the
 * emulated flash. */
#include <string.h>

#include "bootloader_common.h"
#include "bootloader_flash_priv.h"
#include "esp_image_format.h"
#include "esp_log.h"
#include "esp_partition.h"
#include "esp_private/partition_linux.h"
#include "partition_private.h"

static const char *TAG = "partition";

/* [offset, offset + size) of p: inside it (INVALID_ARG past its start, INVALID_SIZE past its end)
 * and inside the flash file (INVALID_SIZE, as v5.5.x). Boots first, as any partition call does. */
static esp_err_t check_range(const esp_partition_t *p, size_t offset, size_t size)
{
    esp_err_t err = partition_ensure_booted(NULL);
    if (err != ESP_OK) {
        return err;
    }
    if (offset > p->size) {
        return ESP_ERR_INVALID_ARG;
    }
    size_t flash_size = esp_partition_get_file_mmap_ctrl_act()->flash_file_size;
    size_t start = (size_t)p->address + offset;
    if (size > p->size - offset || start > flash_size || size > flash_size - start) {
        return ESP_ERR_INVALID_SIZE;
    }
    return ESP_OK;
}

esp_err_t esp_partition_read(const esp_partition_t *partition, size_t src_offset, void *dst, size_t size)
{
    if (partition == NULL || dst == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (partition->encrypted) {
        return ESP_ERR_NOT_SUPPORTED;
    }
    esp_err_t err = check_range(partition, src_offset, size);
    if (err != ESP_OK) {
        return err;
    }
    return bootloader_flash_read(partition->address + src_offset, dst, size, false);
}

esp_err_t esp_partition_write(const esp_partition_t *partition, size_t dst_offset, const void *src, size_t size)
{
    if (partition == NULL || src == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (partition->readonly) {
        return ESP_ERR_NOT_ALLOWED;
    }
    if (partition->encrypted) {
        return ESP_ERR_NOT_SUPPORTED;
    }
    esp_err_t err = check_range(partition, dst_offset, size);
    if (err != ESP_OK) {
        return err;
    }
    return bootloader_flash_write(partition->address + dst_offset, src, size, false);
}

esp_err_t esp_partition_read_raw(const esp_partition_t *partition, size_t src_offset, void *dst, size_t size)
{
    return esp_partition_read(partition, src_offset, dst, size);
}

esp_err_t esp_partition_write_raw(const esp_partition_t *partition, size_t dst_offset, const void *src, size_t size)
{
    return esp_partition_write(partition, dst_offset, src, size);
}

esp_err_t esp_partition_erase_range(const esp_partition_t *partition, size_t offset, size_t size)
{
    if (partition == NULL || partition->erase_size == 0) {
        return ESP_ERR_INVALID_ARG;
    }
    if (partition->readonly) {
        return ESP_ERR_NOT_ALLOWED;
    }
    if (offset > partition->size || offset % partition->erase_size != 0) {
        return ESP_ERR_INVALID_ARG;
    }
    if (size % partition->erase_size != 0) {
        return ESP_ERR_INVALID_SIZE;
    }
    esp_err_t err = check_range(partition, offset, size);
    if (err != ESP_OK) {
        return err;
    }
    return bootloader_flash_erase_range(partition->address + (uint32_t)offset, (uint32_t)size);
}

esp_err_t esp_partition_mmap(const esp_partition_t *partition, size_t offset, size_t size,
                             esp_partition_mmap_memory_t memory, const void **out_ptr,
                             esp_partition_mmap_handle_t *out_handle)
{
    (void)memory;
    if (partition == NULL || out_ptr == NULL || out_handle == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    *out_ptr = NULL;
    *out_handle = 0;
    esp_err_t err = check_range(partition, offset, size);
    if (err == ESP_OK && partition->flash_chip != NULL) {
        err = ESP_ERR_NOT_SUPPORTED;
    }
    if (err == ESP_OK) {
        *out_ptr = bootloader_mmap(partition->address + (uint32_t)offset, (uint32_t)size);
    }
    return err;
}

void esp_partition_munmap(esp_partition_mmap_handle_t handle)
{
    (void)handle;
}

esp_err_t esp_partition_get_sha256(const esp_partition_t *partition, uint8_t *sha_256)
{
    if (partition == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = partition_ensure_booted(NULL);
    if (err != ESP_OK) {
        return err;
    }
    return bootloader_common_get_sha256_of_partition(partition->address, partition->size, partition->type, sha_256);
}

bool esp_partition_check_identity(const esp_partition_t *partition_1, const esp_partition_t *partition_2)
{
    uint8_t sha[2][32];
    return esp_partition_get_sha256(partition_1, sha[0]) == ESP_OK &&
           esp_partition_get_sha256(partition_2, sha[1]) == ESP_OK && memcmp(sha[0], sha[1], sizeof(sha[0])) == 0;
}

static bool range_ok(uint32_t offset, size_t size, uint32_t part_size)
{
    return offset <= part_size && size <= part_size - offset;
}

/* The bytes to copy and to erase (SIZE_MAX: the rest of the source, and of the destination). */
static esp_err_t copy_sizes(const esp_partition_t *dest, uint32_t dest_offset, const esp_partition_t *src,
                            uint32_t src_offset, size_t *size, size_t *erase)
{
    if (src_offset > src->size || dest_offset > dest->size) {
        return ESP_ERR_INVALID_SIZE;
    }
    *erase = *size;
    if (*size == SIZE_MAX) {
        *size = src->size - src_offset;
        *erase = dest->size - dest_offset;
    }
    size_t sector = ESP_PARTITION_EMULATED_SECTOR_SIZE;
    *erase = (*erase + sector - 1) / sector * sector;
    bool ok = range_ok(src_offset, *size, src->size) && range_ok(dest_offset, *size, dest->size);
    return ok ? ESP_OK : ESP_ERR_INVALID_SIZE;
}

esp_err_t esp_partition_copy(const esp_partition_t *dest_part, uint32_t dest_offset, const esp_partition_t *src_part,
                             uint32_t src_offset, size_t size)
{
    size_t erase;
    if (src_part == NULL || dest_part == NULL || src_part == dest_part) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = copy_sizes(dest_part, dest_offset, src_part, src_offset, &size, &erase);
    if (err != ESP_OK) {
        return err;
    }
    err = esp_partition_erase_range(dest_part, dest_offset, erase);
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "Erasing destination partition range failed (err=0x%x)", err);
        return err;
    }
    const void *src;
    esp_partition_mmap_handle_t handle;
    err = esp_partition_mmap(src_part, src_offset, size, ESP_PARTITION_MMAP_DATA, &src, &handle);
    if (err == ESP_OK) {
        err = esp_partition_write(dest_part, dest_offset, src, size);
        esp_partition_munmap(handle);
    }
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "Writing to destination partition failed (err=0x%x)", err);
    }
    return err;
}
