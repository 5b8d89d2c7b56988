/* See malloc_count.h. The counters are atomic: resolver and library threads allocate too. */
#define _GNU_SOURCE
#include "malloc_count.h"

#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* glibc's allocator under its internal names; the public names below are ours. */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t count, size_t n);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t alignment, size_t n);
extern void __libc_free(void *p);

static atomic_size_t in_use, peak;

static void raise_peak(size_t now)
{
    size_t seen = atomic_load(&peak);
    while (now > seen && !atomic_compare_exchange_weak(&peak, &seen, now)) {
    }
}

static void *counted(void *p)
{
    if (p != NULL) {
        raise_peak(atomic_fetch_add(&in_use, malloc_usable_size(p)) + malloc_usable_size(p));
    }
    return p;
}

static void uncount(void *p)
{
    if (p != NULL) {
        atomic_fetch_sub(&in_use, malloc_usable_size(p));
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

/* The old block's size leaves the count only when the move succeeded: a failed realloc keeps it. */
void *realloc(void *p, size_t n)
{
    size_t old = p != NULL ? malloc_usable_size(p) : 0;
    void *q = __libc_realloc(p, n);
    if (q == NULL && n != 0) {
        return NULL;
    }
    atomic_fetch_sub(&in_use, old);
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

size_t malloc_count_current(void)
{
    return atomic_load(&in_use);
}

size_t malloc_count_peak(void)
{
    return atomic_load(&peak);
}

void malloc_count_reset_peak(void)
{
    atomic_store(&peak, atomic_load(&in_use));
}
