/*
 * A whole-process heap count for the memory benchmarks: this file's object replaces malloc and
 * its family (glibc allows that; see its manual, "Replacing malloc") with thin wrappers over
 * glibc's own allocator that add up what each block really occupies (malloc_usable_size()).
 * Every allocation of the process is counted the same way, whichever library made it (mbedTLS,
 * OpenSSL, glibc's resolver, the C library's stdio), so two clients measured with it are
 * compared like for like.
 *
 * Not for sanitizer builds: AddressSanitizer replaces malloc itself (the bench CMake file links
 * this only into unsanitized builds).
 */
#pragma once

#include <stddef.h>

/* Bytes in use now, over the whole process. */
size_t malloc_count_current(void);

/* The highest malloc_count_current() since the last malloc_count_reset_peak(). */
size_t malloc_count_peak(void);

/* Starts the peak again from the current figure. */
void malloc_count_reset_peak(void);

/*
 * Counting by allocation site, for the breakdowns of make bench-mem. The classifier runs at every
 * allocation from then on, on the allocating thread, and returns the caller's site, 0 to sites - 1
 * (it may walk the stack; an allocation it makes itself is not classified). Blocks counted before
 * this call, and any site the classifier returns out of range, go to one more bucket, number
 * `sites`. At most MALLOC_COUNT_MAX_SITES sites. Call it once, early, on one thread.
 */
#define MALLOC_COUNT_MAX_SITES 15
typedef unsigned (*malloc_count_classifier_t)(void);
void malloc_count_by_site(malloc_count_classifier_t classify, unsigned sites);

/* Bytes of one site in use now, and at the moment of malloc_count_peak(). */
size_t malloc_count_site_current(unsigned site);
size_t malloc_count_site_at_peak(unsigned site);
