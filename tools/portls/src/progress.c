#include "progress.h"

#include <stdio.h>

#include "esp_tls_private.h" /* esp_tls_now_us(): the project's monotonic clock */

#define PROGRESS_REDRAW_US 100000

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
    int64_t now = esp_tls_now_us();
    if (p->on && (!p->drawn || now - p->drawn_us >= PROGRESS_REDRAW_US)) {
        draw(p, done, total);
        p->drawn_us = now;
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
