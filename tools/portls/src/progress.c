#include "progress.h"

#include <stdio.h>

#define PROGRESS_REDRAW_MS 100

static void draw(progress_t *p, long long done, long long total)
{
    if (total > 0) {
        int width = 40, filled = (int)(width * done / total);
        fprintf(stderr, "\r[%.*s%*s] %3lld%% %lld/%lld bytes", filled, "========================================",
                width - filled, "", 100 * done / total, done, total);
    } else {
        fprintf(stderr, "\r%lld bytes", done);
    }
    p->drawn = true;
}

void progress_tick(progress_t *p, long long done, long long total)
{
    if (p->on && esp_deadline_expired(p->redraw)) {
        draw(p, done, total);
        p->redraw = esp_deadline_in_ms(PROGRESS_REDRAW_MS);
    }
}

void progress_end(progress_t *p, long long done, long long total)
{
    if (!p->drawn) {
        return;
    }
    draw(p, done, total);
    fputc('\n', stderr);
    p->drawn = false;
}
