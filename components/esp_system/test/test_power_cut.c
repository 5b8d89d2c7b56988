/* Power cuts at every flash cycle of the otadata updates of an OTA flow, the bootloader's own
 * rewrites included: after each cut the next boot runs the old image or the new one, verified,
 * never nothing. Each step runs in a fresh process (a power-on), cut after n cycles. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flash_fixture.h"
#include "sdkconfig.h"
#include "tls_test.h"

#define WRITE_CYCLES 9 /* an otadata write: one sector erase and eight 4-byte words */

typedef struct {
    const char *op;       /* what the app does after booting, or NULL */
    int writes;           /* otadata writes in the step, the bootloader's included */
    const char *old_app, *new_app;
    bool both;            /* some cut leaves the old app booting */
} step_t;

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
        assert_int_equal(fwrite(buf, 1, n, out), n);
    }
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

/* Runs the app on flash, cut after cut cycles (< 0: no cut). */
static void run_app(const char *flash, int cut, const char *op, char *out, size_t len)
{
    char cut_text[16];
    snprintf(cut_text, sizeof(cut_text), "%d", cut);
    const char *argv[6] = { BOOT_CHILD, flash };
    int n = 2;
    if (cut >= 0) {
        argv[n++] = "--cut";
        argv[n++] = cut_text;
    }
    argv[n++] = op;
    argv[n] = NULL;
    assert_int_equal(run_program(argv, NULL, out, len), 0);
}

/* The label the next boot runs; it must be verified. */
static const char *next_boot(const char *flash, char *label)
{
    char out[1024];
    run_app(flash, -1, NULL, out, sizeof(out));
    char version[32], verified[32];
    if (sscanf(out, "boot %31s %31s %31s", label, version, verified) != 3 || strcmp(verified, "verified") != 0) {
        fail_msg("the next boot ran no verified image: %s", out);
    }
    return label;
}

static void walk_step(const char *before, const char *work, const step_t *s)
{
    bool saw_old = false, saw_new = false;
    for (int cut = 0; cut <= s->writes * WRITE_CYCLES; cut++) {
        copy_file(before, work);
        char out[1024];
        run_app(work, cut, s->op, out, sizeof(out));
        char label[32];
        next_boot(work, label);
        saw_old |= strcmp(label, s->old_app) == 0;
        saw_new |= strcmp(label, s->new_app) == 0;
        if (!saw_old && !saw_new) {
            fail_msg("cut %d of \"%s\": %s booted, expected %s or %s", cut, s->op ? s->op : "boot", label, s->old_app,
                     s->new_app);
        }
    }
    assert_true(saw_new); /* the walk reached the end of the update */
    assert_true(saw_old || !s->both);
}

static void test_power_cuts(void **state)
{
    (void)state;
    char *flash = fixture_flash_create(FIXTURE_FLASH_SIZE, fixture_standard, fixture_standard_count);
    fixture_flash_image(flash, FIXTURE_FACTORY, "1.0");
    fixture_flash_image(flash, FIXTURE_OTA_0, "2.0");
    fixture_flash_image(flash, FIXTURE_OTA_1, "3.0");
    char before[64], work[64];
    snprintf(before, sizeof(before), "%s.before", flash);
    snprintf(work, sizeof(work), "%s.work", flash);
    const step_t steps[] = {
        { "set-boot=0", 1, "factory", "ota_0", true }, /* factory runs, ota_0 is set to boot (NEW) */
        /* the boot makes it PENDING_VERIFY and the app confirms it: both rewrite sector 0 in place,
         * so a cut between erase and write leaves no valid entry, and the factory app boots */
        { "mark-valid", 2, "factory", "ota_0", true },
        { "set-boot=1", 1, "ota_0", "ota_1", true },   /* ota_0 runs, ota_1 is set to boot */
#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
        { NULL, 1, "ota_0", "ota_1", true },           /* ota_1 boots (PENDING_VERIFY) and never confirms */
        { NULL, 1, "ota_1", "ota_0", false },          /* the bootloader aborts it: ota_0 again */
#endif
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        copy_file(flash, before);
        walk_step(before, work, &steps[i]);
        char out[1024];
        run_app(flash, -1, steps[i].op, out, sizeof(out)); /* the step without a cut, for the next one */
    }
    char label[32];
#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
    assert_string_equal(next_boot(flash, label), "ota_0"); /* rolled back */
#else
    assert_string_equal(next_boot(flash, label), "ota_1");
#endif
    unlink(before);
    unlink(work);
    fixture_remove(flash);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_power_cuts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
