/* esp_restart() re-executes the program (same pid, same arguments, no descriptors left open), and
 * the next boot happens: a new app that never confirms itself is rolled back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esp_system.h"
#include "flash_fixture.h"
#include "sdkconfig.h"
#include "tls_test.h"

static char *flash_with_new_ota_0(void)
{
    char *path = fixture_flash_create(FIXTURE_FLASH_SIZE, fixture_standard, fixture_standard_count);
    fixture_flash_image(path, FIXTURE_FACTORY, "1.0");
    fixture_flash_image(path, FIXTURE_OTA_0, "2.0");
    esp_ota_select_entry_t e = fixture_entry(1, ESP_OTA_IMG_NEW); /* what esp_ota_set_boot_partition writes */
    fixture_flash_write(path, FIXTURE_OTADATA, &e, sizeof(e));
    return path;
}

/* The lines of out after the first line that starts with prefix. */
static const char *after(const char *out, const char *prefix)
{
    const char *p = strstr(out, prefix);
    if (p == NULL) {
        fail_msg("no \"%s\" in:\n%s", prefix, out);
    }
    return p + strlen(prefix);
}

static void test_restart_is_a_reboot(void **state)
{
    (void)state;
    char *flash = flash_with_new_ota_0();
    char marker[] = "/tmp/portls-restart-XXXXXX";
    close(mkstemp(marker));
    unlink(marker);
    char kept[64], kept_note[80];
    snprintf(kept, sizeof(kept), "%s.kept", marker);
    fclose(fopen(kept, "w"));
    char keep_op[96], restart_op[64];
    snprintf(keep_op, sizeof(keep_op), "keep-fd=%s", kept);
    snprintf(restart_op, sizeof(restart_op), "restart-once=%s", marker);
    const char *argv[] = { BOOT_CHILD, flash, "args", "with space", "", "handlers", keep_op, "scribble", restart_op, NULL };
    char out[8192];
    assert_int_equal(run_program(argv, NULL, out, sizeof(out)), 0);
    int pid1, pid2;
    assert_int_equal(sscanf(after(out, "boot ota_0 2.0 verified pid="), "%d", &pid1), 1);
    const char *second = after(out, "restart\nhandler 2\nhandler 1\n"); /* the last registered first */
#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
    const char *booted = "boot factory 1.0 verified pid="; /* ota_0 never confirmed: rolled back */
#else
    const char *booted = "boot ota_0 2.0 verified pid=";
#endif
    assert_int_equal(sscanf(after(second, booted), "%d", &pid2), 1);
    assert_int_equal(pid1, pid2); /* the same process, executed again */
    char args[1024];
    snprintf(args, sizeof(args), "args [%s] [%s] [args] [with space] [] [handlers] [%s] [scribble] [%s]\n", BOOT_CHILD,
             flash, keep_op, restart_op);
    assert_non_null(strstr(out, args));
    assert_non_null(strstr(second, args)); /* the arguments it started with, though it overwrote them */
    assert_non_null(strstr(second, "fd closed"));
    snprintf(kept_note, sizeof(kept_note), "%s.fd", kept);
    unlink(kept_note);
    unlink(kept);
    unlink(marker);
    fixture_remove(flash);
}

/* A new app that confirms itself keeps booting. */
static void test_confirmed_app_stays(void **state)
{
    (void)state;
    char *flash = flash_with_new_ota_0();
    char marker[] = "/tmp/portls-restart-XXXXXX";
    close(mkstemp(marker));
    unlink(marker);
    char restart_op[64];
    snprintf(restart_op, sizeof(restart_op), "restart-once=%s", marker);
    const char *argv[] = { BOOT_CHILD, flash, "mark-valid", restart_op, NULL };
    char out[4096];
    assert_int_equal(run_program(argv, NULL, out, sizeof(out)), 0);
    const char *second = after(after(out, "boot ota_0 2.0 verified"), "mark-valid ok\nrestart\n");
    assert_non_null(strstr(second, "boot ota_0 2.0 verified"));
    esp_ota_select_entry_t two[2];
    fixture_read_otadata(flash, two);
    assert_int_equal(two[0].ota_state, ESP_OTA_IMG_VALID);
    unlink(marker);
    fixture_remove(flash);
}

#define HANDLER(n) \
    static void handler_##n(void) \
    { \
    }
HANDLER(0)
HANDLER(1)
HANDLER(2)
HANDLER(3)
HANDLER(4)
HANDLER(5)

static void test_shutdown_handlers(void **state)
{
    (void)state;
    shutdown_handler_t handlers[] = { handler_0, handler_1, handler_2, handler_3, handler_4, handler_5 };
    assert_int_equal(esp_register_shutdown_handler(handler_0), ESP_OK);
    assert_int_equal(esp_register_shutdown_handler(handler_0), ESP_ERR_INVALID_STATE);
    for (int i = 1; i < 5; i++) {
        assert_int_equal(esp_register_shutdown_handler(handlers[i]), ESP_OK);
    }
    assert_int_equal(esp_register_shutdown_handler(handler_5), ESP_ERR_NO_MEM); /* five slots */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(esp_unregister_shutdown_handler(handlers[i]), ESP_OK);
    }
    assert_int_equal(esp_unregister_shutdown_handler(handler_0), ESP_ERR_INVALID_STATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restart_is_a_reboot),
        cmocka_unit_test(test_confirmed_app_stays),
        cmocka_unit_test(test_shutdown_handlers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
