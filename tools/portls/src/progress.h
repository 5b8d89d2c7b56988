/* The progress bar portls get and portls ota draw on stderr for a long transfer to a terminal. */
#pragma once

#include <stdbool.h>

#include "esp_deadline.h"

typedef struct {
    bool on;                /* draw at all: the caller decides (stderr a terminal, a transfer worth it) */
    bool drawn;             /* a bar is on the line */
    esp_deadline_t redraw;  /* the bar is not drawn again before it (zero: at once) */
} progress_t;

/* Redraws "[====    ]  42% done/total bytes" (just "done bytes" when total <= 0), at most 10
 * times a second: a terminal is slow to write to. */
void progress_tick(progress_t *p, long long done, long long total);

/* The last draw and the newline that end the bar, if one is on the line. */
void progress_end(progress_t *p, long long done, long long total);
