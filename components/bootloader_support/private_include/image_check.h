/* The image checks behind esp_image_verify(), esp_image_get_metadata() and portls_image_check(). */
#pragma once

#include "portls_format.h"

typedef enum {
    IMAGE_CHECK_LOG_NONE, /* portls_image_check(): the report says it all */
    IMAGE_CHECK_LOG_CHIP, /* ESP_IMAGE_VERIFY_SILENT: ESP-IDF still logs chip and descriptor failures */
    IMAGE_CHECK_LOG_ALL,  /* ESP_IMAGE_VERIFY */
} image_check_log_t;

typedef struct {
    const uint8_t *image;    /* the image's first byte */
    size_t avail;            /* bytes readable from there */
    uint32_t start_addr;     /* its flash address */
    uint32_t part_size;
    const portls_chip_t *chip;
    unsigned chip_rev;
    esp_image_type type;
    image_check_log_t log;
    bool layout_only;        /* esp_image_get_metadata(): the layout, not the contents */
} image_check_args_t;

/* Runs the checks into report (zeroed first). @return report->result */
esp_err_t image_check(const image_check_args_t *args, portls_image_report_t *report);

/* The chip id (if check_id) and revision checks of esp_image_verify(), for the emulated chip,
 * logged as ESP-IDF logs them. @return ESP_OK or ESP_FAIL */
esp_err_t image_check_chip(const esp_image_header_t *h, bool check_id, bool check_max);
