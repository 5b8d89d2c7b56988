/*
 * portls_partition.h: which partition the simulated bootloader booted (portls's addition to
 * esp_partition; app_update's esp_ota_get_running_partition() reports it).
 */
#pragma once

#include "esp_partition.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The app partition whose image the simulated bootloader booted in this process (portls_boot.h):
 * the table's entry at the booted address, the same pointer esp_partition_find() returns.
 * Runs the boot and loads the table if no call has yet.
 * @return the partition; NULL when nothing booted (no flash file, no table, no bootable image)
 */
const esp_partition_t *portls_partition_get_running(void);

#ifdef __cplusplus
}
#endif
