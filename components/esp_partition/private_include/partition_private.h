/* Inside esp_partition. */
#pragma once

#include "portls_boot.h"

/* Runs the simulated boot if this mapping has not booted. @param boot (may be NULL) its record */
esp_err_t partition_ensure_booted(const portls_boot_t **boot);
