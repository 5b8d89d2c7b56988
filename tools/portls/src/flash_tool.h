/* The work of `portls flash` and `portls image`: each returns the process exit status and says
 * why it failed on stderr. */
#pragma once

#include <stdbool.h>

/* --size: bytes, with K, KB, M or MB; hex or decimal. @return 0 when it is not a size. */
unsigned long long flash_parse_size(const char *text);

int flash_create(const char *csv_path, const char *size_text, const char *output);
int flash_info(const char *flash);
/* flash_info()'s report as one JSON object on stdout (schema in the README). */
int flash_info_json(const char *flash);
/* OTA slot (0..15), or the partition name when name is not NULL. */
int flash_set_boot(const char *flash, long slot, const char *name);
int flash_mark(const char *flash, bool valid);
int flash_erase_otadata(const char *flash);
int flash_read_partition(const char *flash, const char *label, const char *output);
int flash_write_partition(const char *flash, const char *label, const char *input, bool ignore_readonly);
