/* libFuzzer target for app image checks: the input as the image in an app partition of the
 * emulated flash (esp_image_verify, esp_image_get_metadata, the partition's SHA-256), and as a
 * buffer checked for the chip its last byte picks (portls_image_check). Whatever passes must
 * describe itself consistently. */
#include <stdlib.h>
#include <string.h>

#include "bootloader_common.h"
#include "esp_image_format.h"
#include "fuzz_flash.h"
#include "portls_format.h"

#define SLOT 0x10000
#define SLOT_SIZE 0x4000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const s_chips[] = { "esp32", "esp32s2", "esp32c3", "esp32s3", "esp32c2", "esp32c6",
                                       "esp32h2", "esp32p4", "esp32c5", "esp32c61", "esp32h21", "esp32h4" };

/* A verified image's metadata stays inside its partition. */
static void check_metadata(const esp_image_metadata_t *md)
{
    if (md->image_len > SLOT_SIZE || md->start_addr != SLOT || md->image.segment_count > 16) {
        abort();
    }
}

static void check_in_flash(void)
{
    const esp_partition_pos_t pos = { SLOT, SLOT_SIZE };
    esp_image_metadata_t md;
    esp_err_t err = esp_image_verify(ESP_IMAGE_VERIFY_SILENT, &pos, &md);
    if (err == ESP_OK) {
        check_metadata(&md);
    }
    esp_image_metadata_t layout;
    if (esp_image_get_metadata(&pos, &layout) == ESP_OK && err == ESP_OK && layout.image_len != md.image_len) {
        abort();
    }
    uint8_t sha[32];
    esp_err_t sha_err = bootloader_common_get_sha256_of_partition(SLOT, SLOT_SIZE, PART_TYPE_APP, sha);
    if (err == ESP_OK && md.image.hash_appended && (sha_err != ESP_OK || memcmp(sha, md.image_digest, 32) != 0)) {
        abort();
    }
}

/* The buffer itself, for the chip the last byte picks, at the revision the one before gives: a
 * failure has a reason, a pass none, and a pass read what it describes. */
static void check_buffer(const uint8_t *data, size_t size)
{
    const portls_chip_t *chip = portls_chip_by_name(s_chips[size > 0 ? data[size - 1] % 12 : 0]);
    portls_image_report_t r;
    esp_err_t err = portls_image_check(data, size, SLOT, SLOT_SIZE, chip, size > 1 ? data[size - 2] : 0,
                                       ESP_IMAGE_APPLICATION, &r);
    if (err == ESP_OK && (r.reason[0] != '\0' || r.meta.image_len > size || !r.checksum_read)) {
        abort();
    }
    if (err != ESP_OK && r.reason[0] == '\0') {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool started;
    if (!started) {
        fuzz_flash_start(SLOT + SLOT_SIZE + 0x1000, SLOT_SIZE);
        started = true;
    }
    if (size > SLOT_SIZE) {
        return 0;
    }
    fuzz_flash_put(SLOT, data, size);
    check_in_flash();
    check_buffer(data, size);
    return 0;
}
