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

static void print_check_failure(esp_err_t rc, const char *file, int line, const char *function,
                                const char *expression)
{
    fprintf(stderr, "ESP_ERROR_CHECK failed: esp_err_t 0x%x (%s) at %s:%d\nfunc: %s\nexpression: %s\n",
            (unsigned)rc, esp_err_to_name(rc), file, line, function, expression);
}

void _esp_error_check_failed(esp_err_t rc, const char *file, int line, const char *function,
                             const char *expression)
{
    print_check_failure(rc, file, line, function, expression);
    abort();
}

void _esp_error_check_failed_without_abort(esp_err_t rc, const char *file, int line,
                                           const char *function, const char *expression)
{
    print_check_failure(rc, file, line, function, expression);
}
