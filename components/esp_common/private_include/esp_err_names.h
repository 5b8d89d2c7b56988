/* The table behind esp_err_to_name(); generated at build time (see cmake/portls_component.cmake). */
#pragma once

#include "esp_err.h"

typedef struct {
    esp_err_t code;
    const char *name;
} esp_err_name_t;

extern const esp_err_name_t esp_err_names[];
extern const size_t esp_err_names_count;
