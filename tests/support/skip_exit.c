/*
 * A skipped test must reach CTest as skipped, but cmocka exits 0 when nothing failed, skips
 * included. Every cmocka program of portls_test() is linked with -Wl,--wrap=_skip and
 * -Wl,--wrap=_cmocka_run_group_tests (what skip() and cmocka_run_group_tests() expand to), so
 * these count the skips and turn "no failure, some skipped" into PORTLS_TEST_SKIP_CODE, which
 * CTest's SKIP_RETURN_CODE reports as a skip. A direct call of cmocka's skip() is counted too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

void __real__skip(const char *const file, const int line);
void __wrap__skip(const char *const file, const int line);
int __real__cmocka_run_group_tests(const char *group_name, const struct CMUnitTest *const tests,
                                   const size_t num_tests, CMFixtureFunction group_setup,
                                   CMFixtureFunction group_teardown);
int __wrap__cmocka_run_group_tests(const char *group_name, const struct CMUnitTest *const tests,
                                   const size_t num_tests, CMFixtureFunction group_setup,
                                   CMFixtureFunction group_teardown);

static atomic_int skipped;

void __wrap__skip(const char *const file, const int line)
{
    atomic_fetch_add(&skipped, 1);
    __real__skip(file, line);
}

int __wrap__cmocka_run_group_tests(const char *group_name, const struct CMUnitTest *const tests,
                                   const size_t num_tests, CMFixtureFunction group_setup,
                                   CMFixtureFunction group_teardown)
{
    int failed = __real__cmocka_run_group_tests(group_name, tests, num_tests, group_setup, group_teardown);
    if (failed != 0) {
        return failed == PORTLS_TEST_SKIP_CODE ? 1 : failed;
    }
    return atomic_load(&skipped) > 0 ? PORTLS_TEST_SKIP_CODE : 0;
}
