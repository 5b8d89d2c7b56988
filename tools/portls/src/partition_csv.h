/* Partition tables from CSV, by the rules of ESP-IDF v5.5's gen_esp32part.py (version 1.5). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "esp_flash_partitions.h"

typedef struct {
    uint32_t table_offset;      /* --offset: where the table goes (0x8000) */
    uint32_t bootloader_offset; /* --primary-bootloader-offset */
    uint64_t flash_size;        /* --flash-size: the partitions must fit; 0 for no check */
    bool md5;                   /* not --disable-md5sum: the table gets an MD5 entry */
    FILE *warnings;             /* where gen_esp32part's WARNING lines go */
} partition_csv_options_t;

/*
 * The table a CSV describes: `Name, Type, SubType, Offset, Size, Flags` lines, `#` comments,
 * $VARIABLES from the environment, keywords or numbers (with K/M suffixes), empty offsets placed
 * after the previous partition (aligned: app 0x10000, others 0x1000), a negative size meaning
 * "up to", then gen_esp32part's checks.
 * @param entries room for ESP_PARTITION_TABLE_MAX_ENTRIES
 * @return 0 with *count entries in file order; -1 with gen_esp32part's message in err
 */
int partition_csv_parse(const char *csv, const partition_csv_options_t *opt, esp_partition_info_t *entries,
                        size_t *count, char *err, size_t err_len);

/* The CSV keyword of a type ("app"), or NULL. */
const char *partition_csv_type_name(uint8_t type);

/* The CSV keyword of a subtype of type ("ota_0"), or NULL. */
const char *partition_csv_subtype_name(uint8_t type, uint8_t subtype);
