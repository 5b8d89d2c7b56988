/* Whole OTA flows across real process restarts: each run of ota_app (a device's app) is a power-on
 * of the flash file, and esp_restart() re-executes it. Updates from nginx: factory -> ota_0 -> ota_1
 * -> ota_0; an unconfirmed app rolled back; an app that refuses itself; the images that must be
 * refused, with the boot partition kept; a download killed with SIGKILL and resumed. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esp_deadline.h"
#include "flash_fixture.h"
#include "ota_test.h"
#include "sdkconfig.h"
#include "tls_test.h"

#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
#define FIRST_BOOT "PENDING_VERIFY" /* an updated app's state at its first boot */
#else
#define FIRST_BOOT "UNDEFINED"
#endif

#define SLOT 0x30000

static char *s_flash;

static int group_setup(void **state)
{
    setenv("OTA_CA", cert_path("ca.pem"), 1);
    return nginx_group_setup(state);
}

/* factory "1.0", ota_0 and ota_1 empty: 192 KiB each, so that a merged flash image fits a slot. */
static int setup(void **state)
{
    (void)state;
    static const fixture_part_t parts[] = {
        { "nvs", PART_TYPE_DATA, 0x02, 0x9000, 0x4000, 0 },
        { "otadata", PART_TYPE_DATA, PART_SUBTYPE_DATA_OTA, FIXTURE_OTADATA, 0x2000, 0 },
        { "factory", PART_TYPE_APP, PART_SUBTYPE_FACTORY, 0x10000, SLOT, 0 },
        { "ota_0", PART_TYPE_APP, 0x10, 0x40000, SLOT, 0 },
        { "ota_1", PART_TYPE_APP, 0x11, 0x70000, SLOT, 0 },
    };
    s_flash = fixture_flash_create(0xa0000, parts, sizeof(parts) / sizeof(parts[0]));
    fixture_flash_image(s_flash, 0x10000, "1.0");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fixture_remove(s_flash);
    return 0;
}

/* Runs ota_app on the flash with up to three operations (NULL: fewer) into out. */
static const char *app(char *out, size_t len, const char *op1, const char *op2, const char *op3)
{
    const char *argv[] = { OTA_APP, s_flash, op1, op2, op3, NULL };
    assert_int_equal(run_program(argv, NULL, out, len), 0);
    return out;
}

static void expect(const char *out, const char *want)
{
    if (strcmp(out, want) != 0) {
        fail_msg("ota_app said:\n%s\nexpected:\n%s", out, want);
    }
}

static char *op(const char *name, const char *path)
{
    static char ring[4][512];
    static int next;
    char *o = ring[next++ % 4];
    snprintf(o, sizeof(ring[0]), "%s=%s", name, ota_test_url(path));
    return o;
}

static void test_factory_ota0_ota1_ota0(void **state)
{
    (void)state;
    ota_test_serve_image("v2.bin", "2.0", 30000);
    ota_test_serve_image("v3.bin", "3.0", 30000);
    ota_test_serve_image("v4.bin", "4.0", 30000);
    char out[4096];
    expect(app(out, sizeof(out), op("ota", "v2.bin"), NULL, NULL), "boot factory 1.0 -\nota ESP_OK next=ota_0\n");
    expect(app(out, sizeof(out), "valid", op("ota", "v3.bin"), NULL),
           "boot ota_0 2.0 " FIRST_BOOT "\nvalid ESP_OK\nota ESP_OK next=ota_1\n");
    expect(app(out, sizeof(out), "valid", op("ota", "v4.bin"), NULL),
           "boot ota_1 3.0 " FIRST_BOOT "\nvalid ESP_OK\nota ESP_OK next=ota_0\n");
    expect(app(out, sizeof(out), "valid", NULL, NULL), "boot ota_0 4.0 " FIRST_BOOT "\nvalid ESP_OK\n");
#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
    expect(app(out, sizeof(out), NULL, NULL, NULL), "boot ota_0 4.0 VALID\n");
#endif
}

#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
/* A new image that never calls esp_ota_mark_app_valid_cancel_rollback() runs once; the next boot
 * finds it PENDING_VERIFY, marks it ABORTED and runs the previous app. */
static void test_unconfirmed_app_rolled_back(void **state)
{
    (void)state;
    ota_test_serve_image("v2.bin", "2.0", 30000);
    char out[4096];
    expect(app(out, sizeof(out), op("ota", "v2.bin"), NULL, NULL), "boot factory 1.0 -\nota ESP_OK next=ota_0\n");
    expect(app(out, sizeof(out), NULL, NULL, NULL), "boot ota_0 2.0 PENDING_VERIFY\n");
    expect(app(out, sizeof(out), "last-invalid", NULL, NULL), "boot factory 1.0 -\nlast-invalid ota_0\n");
}

/* esp_ota_mark_app_invalid_rollback_and_reboot(): INVALID, then the restart boots the app before. */
static void test_mark_invalid_and_reboot(void **state)
{
    (void)state;
    ota_test_serve_image("v2.bin", "2.0", 30000);
    char out[4096];
    expect(app(out, sizeof(out), op("ota", "v2.bin"), NULL, NULL), "boot factory 1.0 -\nota ESP_OK next=ota_0\n");
    /* after the restart (same arguments) the factory app refuses to mark itself */
    expect(app(out, sizeof(out), "invalid-reboot", "last-invalid", NULL),
           "boot ota_0 2.0 PENDING_VERIFY\nboot factory 1.0 -\ninvalid-reboot ESP_FAIL\nlast-invalid ota_0\n");
}
#endif

/* Each refused image gets its error code; the next boot runs the factory app as before. */
static void test_refused_images_keep_the_boot_partition(void **state)
{
    (void)state;
    ota_test_serve_variant("corrupt.bin", NULL, 30000, 24 + 8 + 256 + 9000);
    ota_test_serve_variant("checksum.bin", NULL, 30000, -33);
    ota_test_serve_variant("hash.bin", NULL, 30000, -1);
    ota_test_serve_variant("c3.bin", "esp32c3", 30000, 0);
    ota_test_serve_variant("big.bin", NULL, SLOT + 1000, 0);
    FILE *f = fopen(s_flash, "rb"); /* the flash from offset 0 to the end of the factory app */
    static uint8_t merged[0x20000];
    assert_int_equal(fread(merged, 1, sizeof(merged), f), sizeof(merged));
    fclose(f);
    nginx_write_file(&nginx_group, "merged.bin", merged, sizeof(merged));
    static const char *const cases[][2] = {
        { "corrupt.bin", "ESP_ERR_OTA_VALIDATE_FAILED" }, { "checksum.bin", "ESP_ERR_OTA_VALIDATE_FAILED" },
        { "hash.bin", "ESP_ERR_OTA_VALIDATE_FAILED" },    { "c3.bin", "ESP_ERR_INVALID_VERSION" },
        { "big.bin", "ESP_ERR_INVALID_SIZE" },             { "merged.bin", "ESP_ERR_OTA_VALIDATE_FAILED" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[4096], want[256];
        snprintf(want, sizeof(want), "boot factory 1.0 -\nota %s next=factory\n", cases[i][1]);
        expect(app(out, sizeof(out), op("ota", cases[i][0]), NULL, NULL), want);
        expect(app(out, sizeof(out), NULL, NULL, NULL), "boot factory 1.0 -\n");
    }
}

static long count_in(const char *file)
{
    long n = 0;
    FILE *f = fopen(file, "r");
    if (f != NULL) {
        n = fscanf(f, "%ld", &n) == 1 ? n : 0;
        fclose(f);
    }
    return n;
}

/* A download killed with SIGKILL half-way (the count of bytes written saved as it went) resumes
 * from there after the restart: one Range request for the rest. */
static void test_resume_after_kill_9(void **state)
{
    (void)state;
    size_t len = ota_test_serve_image("kill.bin", "2.0", 120000);
    char counter[] = "/tmp/portls-ota-count-XXXXXX";
    close(mkstemp(counter));
    unlink(counter);
    char slow[600], fast[600];
    snprintf(slow, sizeof(slow), "resume=%s,%s", counter, ota_test_url("slow/kill.bin")); /* 16 KiB/s */
    snprintf(fast, sizeof(fast), "resume=%s,%s", counter, ota_test_url("kill.bin"));
    const char *argv[] = { OTA_APP, s_flash, slow, NULL };
    peer_t child;
    assert_int_equal(peer_spawn(&child, argv, "/dev/null"), 0);
    esp_deadline_t deadline = esp_deadline_in_ms(60000);
    while (count_in(counter) < 20000 && !esp_deadline_expired(deadline)) {
        usleep(20000);
    }
    assert_int_equal(kill(child.pid, SIGKILL), 0);
    peer_wait(&child);
    long from = count_in(counter);
    assert_true(from >= 20000 && from < (long)len); /* killed half-way */
    char out[4096], want[256];
    snprintf(want, sizeof(want), "boot factory 1.0 -\nresume ESP_OK from=%ld next=ota_0\n", from);
    expect(app(out, sizeof(out), fast, NULL, NULL), want);
    expect(app(out, sizeof(out), NULL, NULL, NULL), "boot ota_0 2.0 " FIRST_BOOT "\n");
    char range[48];
    snprintf(range, sizeof(range), "bytes=%ld-", from);
    nginx_access_t log[4];
    int n = ota_test_accesses("/kill.bin", 1, log, 4);
    assert_int_equal(n, 1);
    assert_string_equal(log[0].range, range);
    assert_int_equal(log[0].status, 206);
    assert_int_equal(log[0].sent, (long)len - from); /* the rest only */
    unlink(counter);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_factory_ota0_ota1_ota0, setup, teardown),
#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
        cmocka_unit_test_setup_teardown(test_unconfirmed_app_rolled_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mark_invalid_and_reboot, setup, teardown),
#endif
        cmocka_unit_test_setup_teardown(test_refused_images_keep_the_boot_partition, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_after_kill_9, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, nginx_group_teardown);
}
