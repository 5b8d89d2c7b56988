/* The emulated flash, inside bootloader_support. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/** The current mapping's number (each mapping is a power-on), 0 while nothing is mapped. */
uint32_t flash_file_generation(void);

/** The mapped flash's size in bytes, 0 while nothing is mapped. */
size_t flash_file_size(void);
