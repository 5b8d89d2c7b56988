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
