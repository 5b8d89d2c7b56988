/* The otadata updates of ESP-IDF's app (esp_ota_ops.c), shared by app_update and the portls tool. */
#include <string.h>

#include "bootloader_common.h"
#include "bootloader_flash_priv.h"
#include "portls_boot.h"
#include "sdkconfig.h"

#define SECTOR_SIZE 0x1000

esp_err_t portls_otadata_write(const esp_partition_pos_t *ota_info, int sector, const esp_ota_select_entry_t *entry)
{
    if (ota_info == NULL || entry == NULL || (sector != 0 && sector != 1) || ota_info->size < 2 * SECTOR_SIZE) {
        return ESP_ERR_INVALID_ARG;
    }
    uint32_t offset = ota_info->offset + (uint32_t)sector * SECTOR_SIZE;
    esp_err_t err = bootloader_flash_erase_range(offset, SECTOR_SIZE);
    if (err == ESP_OK) {
        err = bootloader_flash_write(offset, entry, sizeof(*entry), false);
    }
    return err;
}

uint32_t portls_ota_app_count(const bootloader_state_t *bs)
{
    uint32_t count = 0;
    while (count < MAX_OTA_SLOTS && bs->ota[count].size != 0) {
        count++;
    }
    return count;
}

static esp_ota_img_states_t new_state(void)
{
#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
    return ESP_OTA_IMG_NEW; /* the bootloader watches its first boot */
#else
    return ESP_OTA_IMG_UNDEFINED;
#endif
}

/* The smallest seq >= current that selects slot among count slots: (seq - 1) % count == slot. */
static uint64_t seq_for_slot(uint32_t current, uint32_t slot, uint32_t count)
{
    uint64_t base = (slot + 1) % count;
    if (current <= base) {
        return base;
    }
    return base + (current - base + count - 1) / count * (uint64_t)count;
}

int portls_otadata_select_slot(esp_ota_select_entry_t two[2], uint32_t slot, uint32_t slot_count)
{
    if (two == NULL || slot >= slot_count) {
        return -1;
    }
    int active = bootloader_common_get_active_otadata(two);
    int sector = 0;
    uint64_t seq = slot + 1;
    if (active != -1 && (two[active].ota_seq - 1) % slot_count == slot) {
        sector = active;
        seq = two[active].ota_seq;
    } else if (active != -1) {
        sector = active ^ 1;
        seq = seq_for_slot(two[active].ota_seq, slot, slot_count);
    }
    if (seq >= UINT32_MAX) {
        return -1;
    }
    two[sector].ota_seq = (uint32_t)seq;
    two[sector].ota_state = new_state();
    two[sector].crc = bootloader_common_ota_select_crc(&two[sector]);
    return sector;
}

int portls_otadata_set_active_state(esp_ota_select_entry_t two[2], esp_ota_img_states_t state, bool *changed)
{
    int active = bootloader_common_get_active_otadata(two);
    bool change = active != -1 && two[active].ota_state != (uint32_t)state;
    if (change) {
        two[active].ota_state = state;
    }
    if (changed != NULL) {
        *changed = change;
    }
    return active;
}

esp_err_t portls_otadata_set_boot(const bootloader_state_t *bs, uint32_t slot)
{
    esp_ota_select_entry_t two[2];
    esp_err_t err = bootloader_common_read_otadata(&bs->ota_info, two);
    if (err != ESP_OK) {
        return err;
    }
    int sector = portls_otadata_select_slot(two, slot, portls_ota_app_count(bs));
    return sector < 0 ? ESP_ERR_INVALID_ARG : portls_otadata_write(&bs->ota_info, sector, &two[sector]);
}

esp_err_t portls_otadata_mark_active(const bootloader_state_t *bs, esp_ota_img_states_t state)
{
    esp_ota_select_entry_t two[2];
    esp_err_t err = bootloader_common_read_otadata(&bs->ota_info, two);
    if (err != ESP_OK) {
        return err;
    }
    bool changed;
    int sector = portls_otadata_set_active_state(two, state, &changed);
    if (sector < 0 || portls_ota_app_count(bs) == 0) {
        return ESP_FAIL;
    }
    return changed ? portls_otadata_write(&bs->ota_info, sector, &two[sector]) : ESP_OK;
}

static bool verifies(const esp_partition_pos_t *pos)
{
    esp_image_metadata_t data;
    return pos->size != 0 && esp_image_verify(ESP_IMAGE_VERIFY_SILENT, pos, &data) == ESP_OK;
}

bool portls_otadata_rollback_possible(const bootloader_state_t *bs, const esp_ota_select_entry_t two[2])
{
    uint32_t count = portls_ota_app_count(bs);
    bool valid[2] = { bootloader_common_ota_select_valid(&two[0]), bootloader_common_ota_select_valid(&two[1]) };
    int active = bootloader_common_select_otadata(two, valid, true);
    if (count == 0 || active == -1) {
        return false;
    }
    int other = active ^ 1;
    if (!valid[other]) {
        return verifies(&bs->factory);
    }
    return verifies(&bs->ota[(two[other].ota_seq - 1) % count]);
}
