/* The default bundle, generated at build time from PORTLS_CRT_BUNDLE_SOURCE. Not public. */
#pragma once

#include <stddef.h>
#include <stdint.h>

extern const uint8_t esp_crt_bundle_default_data[];
extern const size_t esp_crt_bundle_default_size;
