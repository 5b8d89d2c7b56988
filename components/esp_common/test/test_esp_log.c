/*
 * esp_log.h's lines as a reader sees them (stderr captured in a file), esp_check.h's macros, and
 * ESP_ERROR_CHECK's message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "esp_check.h"
#include "esp_err.h"
#include "esp_log.h"

static const char *TAG = "t";
static char s_out[8192];

/* Runs fn with stderr going to a file; s_out gets what it wrote. */
static void capture(void (*fn)(void))
{
    fflush(stderr);
    int saved = dup(2);
    FILE *f = tmpfile();
    assert_non_null(f);
    dup2(fileno(f), 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(f);
    size_t n = fread(s_out, 1, sizeof(s_out) - 1, f);
    s_out[n] = '\0';
    fclose(f);
}

/* Each line of s_out with its "X (ms) tag: " prefix cut, joined by '\n'. */
static const char *bodies(void)
{
    static char out[sizeof(s_out)];
    out[0] = '\0';
    char copy[sizeof(s_out)];
    snprintf(copy, sizeof(copy), "%s", s_out);
    for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        char *body = strstr(line, ": ");
        strcat(out, body != NULL ? body + 2 : line);
        strcat(out, "\n");
    }
    return out;
}

static void log_hex(void)
{
    unsigned char bytes[20];
    for (int i = 0; i < 20; i++) {
        bytes[i] = (unsigned char)(0xf0 + i);
    }
    ESP_LOG_BUFFER_HEX(TAG, bytes, sizeof(bytes));
    ESP_LOG_BUFFER_HEX_LEVEL(TAG, bytes, sizeof(bytes), ESP_LOG_DEBUG); /* below the level */
    ESP_LOG_BUFFER_HEX(TAG, bytes, 0);
}

static char captured[256];

static int capture_output(const char *format, va_list args)
{
    size_t used = strlen(captured);
    return vsnprintf(captured + used, sizeof(captured) - used, format, args);
}

/* esp_log_set_vprintf() takes the log's output, gives back the previous one, and NULL restores
 * the default (which the next set returns). */
static void test_set_vprintf(void **state)
{
    (void)state;
    captured[0] = '\0';
    vprintf_like_t previous = esp_log_set_vprintf(capture_output);
    assert_non_null(previous);
    ESP_LOGW("vprintf", "to the hook %d", 42);
    assert_non_null(strstr(captured, "to the hook 42"));
    assert_non_null(strstr(captured, "vprintf"));
    assert_ptr_equal(esp_log_set_vprintf(NULL), capture_output);
    captured[0] = '\0';
    ESP_LOGW("vprintf", "to stderr");
    assert_string_equal(captured, "");
    assert_ptr_equal(esp_log_set_vprintf(previous), previous);
}

static void test_buffer_hex(void **state)
{
    (void)state;
    capture(log_hex);
    assert_string_equal(bodies(), "f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 fa fb fc fd fe ff\n00 01 02 03\n");
    assert_int_equal(strncmp(s_out, "I (", 3), 0);
}

static void log_char(void)
{
    ESP_LOG_BUFFER_CHAR(TAG, "0123456789abcdefXYZ", 19);
}

static void test_buffer_char(void **state)
{
    (void)state;
    capture(log_char);
    assert_string_equal(bodies(), "0123456789abcdef\nXYZ\n");
}

static const char s_dumped[] = "ESP32 is great,\001 worked";

static void log_hexdump(void)
{
    ESP_LOG_BUFFER_HEXDUMP(TAG, s_dumped, 22, ESP_LOG_WARN);
}

static void test_buffer_hexdump(void **state)
{
    (void)state;
    capture(log_hexdump);
    char expected[512];
    snprintf(expected, sizeof(expected),
             "%p   45 53 50 33 32 20 69 73  20 67 72 65 61 74 2c 01  |ESP32 is great,.|\n"
             "%p   20 77 6f 72 6b 65" "%33s" "| worke|\n",
             (const void *)s_dumped, (const void *)(s_dumped + 16), ""); /* the row padded to full width */
    assert_string_equal(bodies(), expected);
    assert_int_equal(strncmp(s_out, "W (", 3), 0);
}

static void log_levels(void)
{
    ESP_LOG_LEVEL(ESP_LOG_ERROR, TAG, "e%d", 1);
    ESP_LOG_LEVEL_LOCAL(ESP_LOG_WARN, TAG, "w");
    ESP_EARLY_LOGI(TAG, "early %s", "info");
    ESP_EARLY_LOGD(TAG, "not shown");
}

static void test_log_level_macro_and_early_logs(void **state)
{
    (void)state;
    capture(log_levels);
    assert_string_equal(bodies(), "e1\nw\nearly info\n");
    assert_non_null(strstr(s_out, "E ("));
    assert_non_null(strstr(s_out, "\nW ("));
    assert_non_null(strstr(s_out, "\nI ("));
}

/* The timestamp counts from the program's start, not from the first line. */
static void test_timestamp_counts_from_start(void **state)
{
    (void)state;
    assert_true(esp_log_timestamp() >= 200); /* main() slept 200 ms before any log call */
}

static esp_err_t returns_on_error(esp_err_t inner)
{
    ESP_RETURN_ON_ERROR(inner, TAG, "inner failed: %d", 7);
    return ESP_OK;
}

static esp_err_t returns_on_false(int ok)
{
    ESP_RETURN_ON_FALSE(ok, ESP_ERR_INVALID_ARG, TAG, "not ok");
    return ESP_OK;
}

static int s_cleaned;

static esp_err_t goes_on_error(esp_err_t inner, int ok)
{
    esp_err_t ret = ESP_OK;
    ESP_GOTO_ON_ERROR(inner, cleanup, TAG, "goto error");
    ESP_GOTO_ON_FALSE(ok, ESP_ERR_INVALID_SIZE, cleanup, TAG, "goto false");
    return ESP_OK;
cleanup:
    s_cleaned++;
    return ret;
}

static int s_void_reached;

static void void_on_error(esp_err_t inner, int ok)
{
    ESP_RETURN_VOID_ON_ERROR(inner, TAG, "void error");
    ESP_RETURN_VOID_ON_FALSE(ok, TAG, "void false");
    s_void_reached++;
}

static esp_err_t s_results[6];

static void run_checks(void)
{
    s_results[0] = returns_on_error(ESP_OK);
    s_results[1] = returns_on_error(ESP_ERR_TIMEOUT);
    s_results[2] = returns_on_false(1);
    s_results[3] = returns_on_false(0);
    s_results[4] = goes_on_error(ESP_ERR_NO_MEM, 1);
    s_results[5] = goes_on_error(ESP_OK, 0);
    void_on_error(ESP_FAIL, 1);
    void_on_error(ESP_OK, 0);
    void_on_error(ESP_OK, 1);
}

static void test_check_macros(void **state)
{
    (void)state;
    capture(run_checks);
    assert_int_equal(s_results[0], ESP_OK);
    assert_int_equal(s_results[1], ESP_ERR_TIMEOUT);
    assert_int_equal(s_results[2], ESP_OK);
    assert_int_equal(s_results[3], ESP_ERR_INVALID_ARG);
    assert_int_equal(s_results[4], ESP_ERR_NO_MEM);
    assert_int_equal(s_results[5], ESP_ERR_INVALID_SIZE);
    assert_int_equal(s_cleaned, 2);
    assert_int_equal(s_void_reached, 1);
    const char *b = bodies();
    assert_non_null(strstr(b, "returns_on_error("));
    assert_non_null(strstr(b, "): inner failed: 7\n"));
    assert_non_null(strstr(b, "returns_on_false("));
    assert_non_null(strstr(b, "): goto error\n"));
    assert_non_null(strstr(b, "): goto false\n"));
    assert_non_null(strstr(b, "void_on_error("));
    assert_non_null(strstr(b, "): void false\n"));
    assert_int_equal(strncmp(s_out, "E (", 3), 0);
}

static void check_without_abort(void)
{
    esp_err_t rc = ESP_ERROR_CHECK_WITHOUT_ABORT(ESP_ERR_NOT_FOUND);
    assert_int_equal(rc, ESP_ERR_NOT_FOUND);
}

static void test_error_check_without_abort(void **state)
{
    (void)state;
    capture(check_without_abort);
    assert_non_null(strstr(s_out, "ESP_ERROR_CHECK_WITHOUT_ABORT failed: esp_err_t 0x105 (ESP_ERR_NOT_FOUND) at 0x"));
    assert_non_null(strstr(s_out, "\nfile: \"" __FILE__ "\" line "));
    assert_non_null(strstr(s_out, "\nfunc: check_without_abort\nexpression: ESP_ERR_NOT_FOUND\n"));
}

/* ESP_ERROR_CHECK aborts with ESP-IDF's message. */
static void test_error_check_aborts(void **state)
{
    (void)state;
    int err[2];
    assert_int_equal(pipe(err), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(err[1], 2);
        ESP_ERROR_CHECK(ESP_ERR_INVALID_STATE);
        _exit(0);
    }
    close(err[1]);
    char text[1024] = "";
    size_t len = 0;
    ssize_t n;
    while (len < sizeof(text) - 1 && (n = read(err[0], text + len, sizeof(text) - 1 - len)) > 0) {
        len += (size_t)n;
    }
    close(err[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    static const char head[] = "ESP_ERROR_CHECK failed: esp_err_t 0x103 (ESP_ERR_INVALID_STATE) at 0x";
    assert_int_equal(strncmp(text, head, strlen(head)), 0);
    assert_non_null(strstr(text, "\nfile: \"" __FILE__ "\" line "));
    assert_non_null(strstr(text, "\nfunc: test_error_check_aborts\nexpression: ESP_ERR_INVALID_STATE\n"));
}

int main(void)
{
    nanosleep(&(struct timespec){ .tv_nsec = 200 * 1000 * 1000 }, NULL);
    esp_log_level_set("*", ESP_LOG_INFO); /* PORTLS_LOG_LEVEL=none under CTest */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timestamp_counts_from_start),
        cmocka_unit_test(test_set_vprintf),
        cmocka_unit_test(test_buffer_hex),
        cmocka_unit_test(test_buffer_char),
        cmocka_unit_test(test_buffer_hexdump),
        cmocka_unit_test(test_log_level_macro_and_early_logs),
        cmocka_unit_test(test_check_macros),
        cmocka_unit_test(test_error_check_without_abort),
        cmocka_unit_test(test_error_check_aborts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
