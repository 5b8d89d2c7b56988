/* The program tests/skip_reporting.sh runs: its tests pass, skip or fail as argv[1] says
 * ("pass", "skip", or "fail" with a skip), linked as every portls_test() program is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

static const char *mode = "pass";

static void test_passes(void **state)
{
    (void)state;
    assert_true(1);
}

static void test_as_asked(void **state)
{
    (void)state;
    if (strcmp(mode, "pass") != 0) {
        skip();
    }
}

static void test_fails_if_asked(void **state)
{
    (void)state;
    assert_string_not_equal(mode, "fail");
}

int main(int argc, char **argv)
{
    mode = argc > 1 ? argv[1] : mode;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passes),
        cmocka_unit_test(test_as_asked),
        cmocka_unit_test(test_fails_if_asked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
