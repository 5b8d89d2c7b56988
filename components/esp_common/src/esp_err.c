#include <string.h>

#include "esp_err.h"
#include "esp_err_names.h"

const char *esp_err_to_name(esp_err_t code)
{
    for (size_t i = 0; i < esp_err_names_count; i++) {
        if (esp_err_names[i].code == code) {
            return esp_err_names[i].name;
        }
    }
    return "UNKNOWN ERROR";
}

const char *esp_err_to_name_r(esp_err_t code, char *buf, size_t buflen)
{
    if (buf == NULL || buflen == 0) {
        return NULL;
    }
    const char *name = esp_err_to_name(code);
    if (strcmp(name, "UNKNOWN ERROR") != 0) {
        snprintf(buf, buflen, "%s", name);
    } else if (code > 0 && code < 0x100 && strerror_r(code, buf, buflen) == 0) {
        /* An errno value: strerror_r() has filled buf. */
    } else {
        snprintf(buf, buflen, "Unknown error 0x%x", (unsigned)code);
    }
    return buf;
}

/* ESP-IDF's message, word for word; the address is the caller's (where the check failed). */
static void print_check_failure(const char *check, esp_err_t rc, const char *file, int line, const char *function,
                                const char *expression, const void *address)
{
    fprintf(stderr, "%s failed: esp_err_t 0x%x (%s) at %p\nfile: \"%s\" line %d\nfunc: %s\nexpression: %s\n",
            check, (unsigned)rc, esp_err_to_name(rc), address, file, line, function, expression);
}

void _esp_error_check_failed(esp_err_t rc, const char *file, int line, const char *function,
                             const char *expression)
{
    print_check_failure("ESP_ERROR_CHECK", rc, file, line, function, expression, __builtin_return_address(0));
    abort();
}

void _esp_error_check_failed_without_abort(esp_err_t rc, const char *file, int line,
                                           const char *function, const char *expression)
{
    print_check_failure("ESP_ERROR_CHECK_WITHOUT_ABORT", rc, file, line, function, expression,
                        __builtin_return_address(0));
}
