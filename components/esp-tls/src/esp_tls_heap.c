/*
 * The counting allocator under mbedTLS and ESP-TLS. Each block carries a small header with its
 * size and its owner's account, so a free is charged back to whoever allocated, in any thread.
 * Installed before main() runs, so that no block is ever allocated by one allocator and freed
 * by the other. Without PORTLS_HEAP_ACCOUNTING (an mbedTLS without MBEDTLS_PLATFORM_MEMORY) there
 * is nothing to install: the accounts count nothing, and the public calls say so.
 */
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mbedtls/platform.h"

#include "esp_tls_heap.h"
#include "esp_tls_heap_private.h"
#include "esp_tls_private.h"

struct esp_tls_heap_account {
    atomic_size_t current;
    atomic_size_t peak;
    atomic_ulong allocations;
    atomic_ulong failures;
    atomic_uint refs;
    /* the last refused allocation */
    atomic_size_t failed_size, failed_in_use, failed_limit;
};

typedef struct {
    alignas(max_align_t) size_t size; /* the header keeps the payload as aligned as malloc's */
    esp_tls_heap_account_t *owner;
} block_header_t;

static esp_tls_heap_account_t process; /* the whole process; never freed */
static atomic_size_t limit;
static _Thread_local esp_tls_heap_account_t *thread_owner;
static _Thread_local unsigned long thread_fail_countdown;

#ifdef PORTLS_HEAP_ACCOUNTING
#define HEAP_COUNTED ESP_OK

static void raise_peak(esp_tls_heap_account_t *a, size_t now)
{
    size_t seen = atomic_load(&a->peak);
    while (now > seen && !atomic_compare_exchange_weak(&a->peak, &seen, now)) {
    }
}

static void charge(esp_tls_heap_account_t *a, size_t size)
{
    raise_peak(a, atomic_fetch_add(&a->current, size) + size);
    atomic_fetch_add(&a->allocations, 1);
}

static void note_failure(esp_tls_heap_account_t *a, size_t size)
{
    atomic_fetch_add(&a->failures, 1);
    atomic_store(&a->failed_size, size);
    atomic_store(&a->failed_in_use, atomic_load(&process.current));
    atomic_store(&a->failed_limit, atomic_load(&limit));
}

/* Whether this allocation must fail: injected for this thread, or over the budget. */
static bool refused(size_t size)
{
    if (thread_fail_countdown > 0 && --thread_fail_countdown == 0) {
        return true;
    }
    size_t budget = atomic_load(&limit);
    return budget != 0 && atomic_load(&process.current) + size > budget;
}

static void refuse(size_t size)
{
    note_failure(&process, size);
    if (thread_owner != NULL) {
        note_failure(thread_owner, size);
    }
}

static void *counting_calloc(size_t n, size_t size)
{
    if (size != 0 && n > (SIZE_MAX - sizeof(block_header_t)) / size) {
        return NULL;
    }
    size_t bytes = n * size;
    block_header_t *h = refused(bytes) ? NULL : calloc(1, sizeof(*h) + bytes);
    if (h == NULL) {
        refuse(bytes);
        return NULL;
    }
    h->size = bytes;
    h->owner = thread_owner;
    charge(&process, bytes);
    if (h->owner != NULL) {
        atomic_fetch_add(&h->owner->refs, 1);
        charge(h->owner, bytes);
    }
    return h + 1;
}

static void counting_free(void *p)
{
    if (p == NULL) {
        return;
    }
    block_header_t *h = (block_header_t *)p - 1;
    atomic_fetch_sub(&process.current, h->size);
    if (h->owner != NULL) {
        atomic_fetch_sub(&h->owner->current, h->size);
        esp_tls_heap_account_release(h->owner);
    }
    free(h);
}

/* Before main(): mbedTLS must never free a block another allocator made. esp_tls_init() links
 * this file in by calling into it. */
__attribute__((constructor)) static void install(void)
{
    mbedtls_platform_set_calloc_free(counting_calloc, counting_free);
}
#else
#define HEAP_COUNTED ESP_ERR_NOT_SUPPORTED /* nothing to install: mbedTLS calls calloc() itself */
#endif

esp_tls_heap_account_t *esp_tls_heap_account_new(void)
{
    esp_tls_heap_account_t *a = calloc(1, sizeof(*a)); /* bookkeeping, not counted */
    if (a != NULL) {
        atomic_store(&a->refs, 1);
    }
    return a;
}

void esp_tls_heap_account_release(esp_tls_heap_account_t *account)
{
    if (account != NULL && atomic_fetch_sub(&account->refs, 1) == 1) {
        free(account);
    }
}

esp_tls_heap_account_t *esp_tls_heap_enter(esp_tls_heap_account_t *account)
{
    esp_tls_heap_account_t *previous = thread_owner;
    thread_owner = account;
    return previous;
}

void esp_tls_heap_leave(esp_tls_heap_account_t *previous)
{
    thread_owner = previous;
}

unsigned long esp_tls_heap_failures(const esp_tls_heap_account_t *account)
{
    return account ? atomic_load(&account->failures) : 0;
}

void esp_tls_heap_last_failure(const esp_tls_heap_account_t *account, size_t *requested, size_t *in_use,
                               size_t *budget)
{
    *requested = atomic_load(&account->failed_size);
    *in_use = atomic_load(&account->failed_in_use);
    *budget = atomic_load(&account->failed_limit);
}

char *esp_tls_heap_strndup(const char *s, size_t len)
{
    char *copy = mbedtls_calloc(1, len + 1);
    if (copy != NULL) {
        memcpy(copy, s, len);
    }
    return copy;
}

static void read_account(const esp_tls_heap_account_t *a, esp_tls_heap_stats_t *stats)
{
    stats->current = atomic_load(&a->current);
    stats->peak = atomic_load(&a->peak);
    stats->allocations = atomic_load(&a->allocations);
    stats->failures = atomic_load(&a->failures);
}

esp_err_t esp_tls_get_heap_stats(const esp_tls_t *tls, esp_tls_heap_stats_t *stats)
{
    if (tls == NULL || stats == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    read_account(tls->heap, stats);
    return HEAP_COUNTED;
}

esp_err_t esp_tls_get_heap_last_failure(const esp_tls_t *tls, size_t *requested, size_t *in_use)
{
    if (tls == NULL || requested == NULL || in_use == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    size_t budget;
    esp_tls_heap_last_failure(tls->heap, requested, in_use, &budget);
    return HEAP_COUNTED;
}

esp_err_t esp_tls_reset_heap_peak(esp_tls_t *tls)
{
    if (tls == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    atomic_store(&tls->heap->peak, atomic_load(&tls->heap->current));
    return HEAP_COUNTED;
}

esp_err_t portls_heap_get_stats(esp_tls_heap_stats_t *stats)
{
    read_account(&process, stats);
    return HEAP_COUNTED;
}

esp_err_t portls_heap_set_limit(size_t bytes)
{
    if (HEAP_COUNTED == ESP_OK) {
        atomic_store(&limit, bytes);
    }
    return HEAP_COUNTED;
}

size_t portls_heap_get_limit(void)
{
    return atomic_load(&limit);
}

esp_err_t portls_heap_fail_nth(unsigned long n)
{
    if (HEAP_COUNTED == ESP_OK) {
        thread_fail_countdown = n;
    }
    return HEAP_COUNTED;
}
