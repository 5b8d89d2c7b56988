/* portls image info --json: the report as one JSON object (schema in the README). */
#pragma once

#include <stddef.h>

#include "cjson/cJSON.h"
#include "portls_format.h"

/* Which flash-mapped range an address is in, as esptool names them ("DROM", "IROM", "RAM"...). */
const char *image_memory_type(const portls_chip_t *chip, uint32_t addr);

/* The header, segments, footer, descriptor and esp_image_verify()'s verdict for chip at rev.
 * @return the object (the caller frees it), or NULL out of memory. */
cJSON *image_json(size_t file_size, const portls_image_report_t *r, const portls_chip_t *chip, unsigned rev);
