/* libFuzzer target for esp_url: the input as a URI reference, resolved against a base that has
 * every part, and as a base itself; each result is written back as text and parsed again. A
 * resolved path must hold no "." or ".." segment (RFC 3986 5.2.4). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esp_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool has_dot_segment(const char *path)
{
    for (const char *seg = path;; seg++) {
        size_t len = strcspn(seg, "/");
        if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.')) {
            return true;
        }
        seg += len;
        if (*seg == '\0') {
            return false;
        }
    }
}

/* target came from a resolution: check it, write it, read it back, free it. */
static void exercise(esp_url_t *target)
{
    if (has_dot_segment(target->path)) {
        abort();
    }
    char *text = esp_url_to_string(target);
    esp_url_t again;
    if (text != NULL && esp_url_parse(text, &again) == ESP_OK) {
        esp_url_free(&again);
    }
    char host[64];
    esp_url_format_host(host, sizeof(host), target->host, target->port);
    free(text);
    esp_url_free(target);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    esp_url_t base, self, target;
    if (esp_url_parse("https://user:pw@[::1]:8443/b/c/d;p?q#f", &base) == ESP_OK) {
        if (esp_url_resolve(&base, text, &target) == ESP_OK) {
            exercise(&target);
        }
        esp_url_free(&base);
    }
    if (esp_url_parse(text, &self) == ESP_OK) {
        if (esp_url_resolve(&self, "../g/./h?y#s", &target) == ESP_OK) {
            exercise(&target);
        }
        esp_url_free(&self);
    }
    free(text);
    return 0;
}
