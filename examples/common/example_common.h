/*
 * What the examples need of the host that ESP-IDF's examples get from their build and board: the
 * certificates an ESP-IDF example embeds in its firmware are files here.
 */
#pragma once

#include "esp_partition.h"

/* The file at path as a NUL-terminated string (a PEM certificate, as ESP-IDF embeds it).
 * @return malloc'd text, or NULL with the reason on stderr */
char *example_read_pem(const char *path);

/* The app the simulated bootloader booted from the flash file PORTLS_FLASH names (a device always
 * runs one). @return it, or NULL, logged as tag with how to name a flash */
const esp_partition_t *example_running_app(const char *tag);
