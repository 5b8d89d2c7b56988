/* Power cuts at every flash cycle of an update (esp_ota_begin, each esp_ota_write, esp_ota_end) and
 * of esp_ota_set_boot_partition(): after each cut the next boot runs the old image or the new one,
 * verified, never nothing. Each cut is a power-on of a fresh copy of the flash (a new mapping: the
 * simulated bootloader runs), in this process, so the whole walk takes about a second. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esp_image_format.h"
#include "esp_ota_ops.h"
#include "esp_private/partition_linux.h"
#include "flash_fixture.h"
#include "tls_test.h"

#define PAYLOAD 1000 /* an image of about 1.3 KiB: some 330 write cycles */

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    static char buf[FIXTURE_FLASH_SIZE];
    size_t n = fread(buf, 1, sizeof(buf), in);
    assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static const esp_partition_t *part(const char *label)
{
    return esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_ANY, label);
}

/* The update as an app makes it. @return false when the power went off */
static bool update(const char *label, const uint8_t *image, size_t len)
{
    esp_ota_handle_t h;
    if (esp_ota_begin(part(label), OTA_WITH_SEQUENTIAL_WRITES, &h) != ESP_OK) {
        return false;
    }
    for (size_t off = 0; off < len; off += 256) {
        if (esp_ota_write(h, image + off, off + 256 < len ? 256 : len - off) != ESP_OK) {
            esp_ota_abort(h);
            return false;
        }
    }
    return esp_ota_end(h) == ESP_OK && esp_ota_set_boot_partition(part(label)) == ESP_OK;
}

/* Boots work and says which app runs; it must verify. */
static const char *boot(const char *work)
{
    fixture_power_on(work);
    const esp_partition_t *running = esp_ota_get_running_partition();
    if (running == NULL) {
        fail_msg("nothing booted");
    }
    esp_partition_pos_t pos = { running->address, running->size };
    esp_image_metadata_t md;
    assert_int_equal(esp_image_verify(ESP_IMAGE_VERIFY_SILENT, &pos, &md), ESP_OK);
    return running->label;
}

/* Cuts the update of label on a copy of before after 0, 1, 2 ... cycles, until one completes.
 * @return the number of cycles the update takes */
static int walk(const char *before, const char *work, const char *old_app, const char *label, const uint8_t *image,
                size_t len)
{
    int new_after_cut = 0;
    for (int cut = 0;; cut++) {
        copy_file(before, work);
        assert_string_equal(boot(work), old_app);
        esp_partition_fail_after((size_t)cut, ESP_PARTITION_FAIL_AFTER_MODE_BOTH);
        bool done = update(label, image, len);
        esp_partition_fail_after(SIZE_MAX, ESP_PARTITION_FAIL_AFTER_MODE_BOTH);
        const char *booted = boot(work);
        bool is_new = strcmp(booted, label) == 0;
        if (!is_new && (done || strcmp(booted, old_app) != 0)) {
            fail_msg("cut after %d cycles (update %s): %s booted", cut, done ? "done" : "cut", booted);
        }
        if (done) {
            /* the power may go off just as the last word is in: the app saw a failure, the new
             * image boots; at that one cut only */
            assert_true(new_after_cut <= 1);
            return cut;
        }
        new_after_cut += is_new;
    }
}

static void test_cut_at_every_cycle_of_an_update(void **state)
{
    (void)state;
    char *flash = fixture_flash_create(FIXTURE_FLASH_SIZE, fixture_standard, fixture_standard_count);
    fixture_flash_image(flash, FIXTURE_FACTORY, "1.0");
    char work[64];
    snprintf(work, sizeof(work), "%s.work", flash);
    size_t len;
    uint8_t *image = fixture_image("2.0", PAYLOAD, &len);
    /* factory -> ota_0: otadata is empty, sector 0 gets the entry */
    int cycles = walk(flash, work, "factory", "ota_0", image, len);
    print_message("factory -> ota_0: %d flash cycles, each cut\n", cycles);
    assert_true(cycles > (int)(len / 4)); /* every word written was a cut point */
    /* ota_0 (running since the last boot of the walk), confirmed, -> ota_1: the other sector
     * gets the entry while ota_0's stays */
    assert_int_equal(esp_ota_mark_app_valid_cancel_rollback(), ESP_OK);
    copy_file(work, flash);
    free(image);
    image = fixture_image("3.0", PAYLOAD, &len);
    cycles = walk(flash, work, "ota_0", "ota_1", image, len);
    print_message("ota_0 -> ota_1: %d flash cycles, each cut\n", cycles);
    free(image);
    esp_partition_file_munmap();
    unlink(work);
    fixture_remove(flash);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_at_every_cycle_of_an_update),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
