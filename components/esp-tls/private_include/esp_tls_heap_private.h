/* The counting allocator's view for esp-tls: accounts and whose call is running. Not public. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A connection's counters. Blocks hold a reference, so an account outlives its connection for
 * as long as any of its blocks does. */
typedef struct esp_tls_heap_account esp_tls_heap_account_t;

/* A new account (not counted itself), with one reference for the caller; NULL if out of memory. */
esp_tls_heap_account_t *esp_tls_heap_account_new(void);

/* Drops the caller's reference. NULL is ignored. */
void esp_tls_heap_account_release(esp_tls_heap_account_t *account);

/* Makes allocations of this thread belong to account until esp_tls_heap_leave(). @return the
 * previous owner, for esp_tls_heap_leave(). */
esp_tls_heap_account_t *esp_tls_heap_enter(esp_tls_heap_account_t *account);
void esp_tls_heap_leave(esp_tls_heap_account_t *previous);

/* The number of allocations refused so far in account. */
unsigned long esp_tls_heap_failures(const esp_tls_heap_account_t *account);

/* What the last refused allocation of account asked for, and the use and budget then. */
void esp_tls_heap_last_failure(const esp_tls_heap_account_t *account, size_t *requested, size_t *in_use,
                               size_t *limit);

/* A counted copy of the first len bytes of s, NUL-terminated (mbedtls_free() it). */
char *esp_tls_heap_strndup(const char *s, size_t len);
