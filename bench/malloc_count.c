/*
 * See malloc_count.h. One lock guards the counters: resolver and library threads allocate too, and
 * the figures by site must move together with the total they add up to.
 */
#define _GNU_SOURCE
#include "malloc_count.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* glibc's allocator under its internal names; the public names below are ours. */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t count, size_t n);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t alignment, size_t n);
extern void __libc_free(void *p);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static size_t in_use, peak;
static size_t site_now[MALLOC_COUNT_MAX_SITES + 1], site_at_peak[MALLOC_COUNT_MAX_SITES + 1];
static malloc_count_classifier_t classifier;
static unsigned unattributed; /* the bucket of blocks older than the classifier */

/*
 * Which site each live block was counted under: open addressing with linear probing and
 * backward-shift deletion, in static storage so that it stays out of the count. Slots hold the
 * block's address; 0 is free.
 */
#define TABLE_SLOTS (1u << 20)
static uintptr_t table_key[TABLE_SLOTS];
static uint8_t table_site[TABLE_SLOTS];

static size_t slot_of(uintptr_t key)
{
    return (size_t)((key >> 4) * 0x9E3779B97F4A7C15u) & (TABLE_SLOTS - 1);
}

static void table_put(uintptr_t key, unsigned site)
{
    size_t i = slot_of(key);
    while (table_key[i] != 0) {
        i = (i + 1) & (TABLE_SLOTS - 1);
    }
    table_key[i] = key;
    table_site[i] = (uint8_t)site;
}

/* Refills the hole at `hole` with a later entry of its probe run, until the run ends. */
static void table_close_hole(size_t hole)
{
    for (size_t i = (hole + 1) & (TABLE_SLOTS - 1); table_key[i] != 0; i = (i + 1) & (TABLE_SLOTS - 1)) {
        size_t home = slot_of(table_key[i]);
        if (((i - home) & (TABLE_SLOTS - 1)) >= ((i - hole) & (TABLE_SLOTS - 1))) {
            table_key[hole] = table_key[i];
            table_site[hole] = table_site[i];
            table_key[i] = 0;
            hole = i;
        }
    }
}

/* @return the block's site, forgotten; the unattributed bucket for a block the table never saw. */
static unsigned table_take(uintptr_t key)
{
    for (size_t i = slot_of(key); table_key[i] != 0; i = (i + 1) & (TABLE_SLOTS - 1)) {
        if (table_key[i] == key) {
            unsigned site = table_site[i];
            table_key[i] = 0;
            table_close_hole(i);
            return site;
        }
    }
    return unattributed;
}

/* The classifier walks the stack, which may allocate the first time (the unwinder loads): such an
 * allocation is not classified again. */
static __thread int classifying;

static unsigned classify(void)
{
    if (classifier == NULL || classifying) {
        return unattributed;
    }
    classifying = 1;
    unsigned site = classifier();
    classifying = 0;
    return site < unattributed ? site : unattributed;
}

static void *counted(void *p)
{
    if (p == NULL) {
        return p;
    }
    unsigned site = classify();
    size_t size = malloc_usable_size(p);
    pthread_mutex_lock(&lock);
    in_use += size;
    site_now[site] += size;
    if (classifier != NULL) {
        table_put((uintptr_t)p, site);
    }
    if (in_use > peak) {
        peak = in_use;
        memcpy(site_at_peak, site_now, sizeof(site_now));
    }
    pthread_mutex_unlock(&lock);
    return p;
}

/* Takes a block of size bytes (measured while it was live) out of the count and its site's. */
static void forget(void *p, size_t size)
{
    pthread_mutex_lock(&lock);
    unsigned site = classifier != NULL ? table_take((uintptr_t)p) : unattributed;
    in_use -= size;
    site_now[site] -= size;
    pthread_mutex_unlock(&lock);
}

static void uncount(void *p)
{
    if (p != NULL) {
        forget(p, malloc_usable_size(p));
    }
}

void *malloc(size_t n)
{
    return counted(__libc_malloc(n));
}

void *calloc(size_t count, size_t n)
{
    return counted(__libc_calloc(count, n));
}

void free(void *p)
{
    uncount(p);
    __libc_free(p);
}

/* The old block leaves the count only when the move succeeded: a failed realloc keeps it. The
 * new block counts under the site that resized it. */
void *realloc(void *p, size_t n)
{
    size_t old = p != NULL ? malloc_usable_size(p) : 0;
    void *q = __libc_realloc(p, n);
    if (q == NULL && n != 0) {
        return NULL;
    }
    if (p != NULL) {
        forget(p, old);
    }
    return counted(q);
}

void *memalign(size_t alignment, size_t n)
{
    return counted(__libc_memalign(alignment, n));
}

void *aligned_alloc(size_t alignment, size_t n)
{
    return memalign(alignment, n);
}

int posix_memalign(void **out, size_t alignment, size_t n)
{
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) {
        return EINVAL;
    }
    void *p = memalign(alignment, n);
    if (p == NULL) {
        return ENOMEM;
    }
    *out = p;
    return 0;
}

void *valloc(size_t n)
{
    return memalign(4096, n);
}

void *pvalloc(size_t n)
{
    return memalign(4096, (n + 4095) & ~(size_t)4095);
}

static size_t locked_read(const size_t *figure)
{
    pthread_mutex_lock(&lock);
    size_t value = *figure;
    pthread_mutex_unlock(&lock);
    return value;
}

size_t malloc_count_current(void)
{
    return locked_read(&in_use);
}

size_t malloc_count_peak(void)
{
    return locked_read(&peak);
}

void malloc_count_reset_peak(void)
{
    pthread_mutex_lock(&lock);
    peak = in_use;
    memcpy(site_at_peak, site_now, sizeof(site_now));
    pthread_mutex_unlock(&lock);
}

void malloc_count_by_site(malloc_count_classifier_t classify_fn, unsigned sites)
{
    pthread_mutex_lock(&lock);
    memset(site_now, 0, sizeof(site_now));
    memset(site_at_peak, 0, sizeof(site_at_peak));
    unattributed = sites < MALLOC_COUNT_MAX_SITES ? sites : MALLOC_COUNT_MAX_SITES;
    site_now[unattributed] = in_use;
    site_at_peak[unattributed] = peak;
    classifier = classify_fn;
    pthread_mutex_unlock(&lock);
}

size_t malloc_count_site_current(unsigned site)
{
    return site <= MALLOC_COUNT_MAX_SITES ? locked_read(&site_now[site]) : 0;
}

size_t malloc_count_site_at_peak(unsigned site)
{
    return site <= MALLOC_COUNT_MAX_SITES ? locked_read(&site_at_peak[site]) : 0;
}
