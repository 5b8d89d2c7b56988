#include "example_common.h"

#include <stdio.h>
#include <stdlib.h>

#include "esp_log.h"
#include "esp_ota_ops.h"

char *example_read_pem(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long len = -1;
    if (f != NULL && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        text = calloc(1, (size_t)len + 1);
    }
    if (text != NULL && fread(text, 1, (size_t)len, f) != (size_t)len) {
        free(text);
        text = NULL;
    }
    if (f != NULL) {
        fclose(f);
    }
    if (text == NULL) {
        fprintf(stderr, "cannot read %s\n", path);
    }
    return text;
}

const esp_partition_t *example_running_app(const char *tag)
{
    const esp_partition_t *running = esp_ota_get_running_partition();
    if (running == NULL) {
        ESP_LOGE(tag, "No app booted: set PORTLS_FLASH to a flash image file with an app in it");
    }
    return running;
}
