/* Flash image files for the tests of bootloader_support, esp_partition and what builds on them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_flash_partitions.h"

typedef struct {
    const char *label;
    uint8_t type, subtype;
    uint32_t offset, size;
    uint32_t flags;
} fixture_part_t;

#define FIXTURE_FLASH_SIZE 0x40000
#define FIXTURE_OTADATA 0xd000
#define FIXTURE_FACTORY 0x10000
#define FIXTURE_OTA_0 0x20000
#define FIXTURE_OTA_1 0x30000
#define FIXTURE_SLOT_SIZE 0x10000

/* nvs, otadata (0xd000), phy_init, factory, ota_0 and ota_1 (64 KiB each at 0x10000, 0x20000,
 * 0x30000), in FIXTURE_FLASH_SIZE bytes. */
extern const fixture_part_t fixture_standard[];
extern const size_t fixture_standard_count;

/* A new flash image file in /tmp: size bytes of 0xFF, the table of parts (with its MD5 entry) at
 * 0x8000. @return its path (malloc'd; fixture_remove() it) */
char *fixture_flash_create(size_t size, const fixture_part_t *parts, size_t count);

/* Writes bytes into the file at offset, as a programmer would (not through the emulated flash). */
void fixture_flash_write(const char *path, uint32_t offset, const void *data, size_t len);

/* A valid app image for the emulated chip: version, project "fixture", payload_len payload bytes.
 * @return malloc'd */
uint8_t *fixture_image(const char *version, size_t payload_len, size_t *len);

/* fixture_image() written at offset. */
void fixture_flash_image(const char *path, uint32_t offset, const char *version);

/* The two otadata entries of a file with the standard table. */
void fixture_read_otadata(const char *path, esp_ota_select_entry_t two[2]);

/* An otadata entry with seq and state and the right CRC (the label bytes 0xFF). */
esp_ota_select_entry_t fixture_entry(uint32_t seq, uint32_t state);

/* Maps path as the flash: a power-on (any previous flash is unmapped first). */
void fixture_power_on(const char *path);

/* Unmaps the flash (if mapped), deletes the file and frees the path. */
void fixture_remove(char *path);

/* cmocka fixtures: fixture_setup() makes fixture_path a new flash with the standard table and the
 * factory app "1.0", and powers it on; fixture_teardown() removes it. */
extern char *fixture_path;
int fixture_setup(void **state);
int fixture_teardown(void **state);

/* Sends stderr to a file, with log level level for every tag, until fixture_capture_end(). */
void fixture_capture_start(int level);

/* Restores stderr (and log level none). @return what was written (malloc'd) */
char *fixture_capture_end(void);

/* fixture_capture_end(), asserting that text was written (the failure shows what was). */
void fixture_capture_expect(const char *text);

/* Whether the image at [offset, offset + size) of the mapped flash verifies (esp_image_verify). */
bool fixture_verifies(uint32_t offset, uint32_t size);
