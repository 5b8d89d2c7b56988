/*
 * Where the heap goes, for make bench-mem's breakdowns: every allocation is put under one site by
 * the functions on its stack (bench/malloc_count.c counts by site).
 *
 * The stack is walked with backtrace() and each frame named from the executable's own symbol
 * table, static functions included, or from the shared library it lies in (c-ares, http_parser).
 * A few functions mark a site wherever they are on the stack (psa_crypto_init: PSA's globals;
 * the own certificate and key parse; the CA parse). Otherwise the innermost frame that belongs
 * to a layer decides: mbedTLS and ESP-TLS, the resolver, the transports, the HTTP client, MQTT,
 * esp_event and FreeRTOS, NVS, logging. So a buffer the MQTT client allocates is MQTT's, and the
 * record buffer mbedTLS allocates under it is the TLS connection's. Allocations with no layer
 * on their stack (the C library's own, a thread's start) are the C library's.
 *
 * For unsanitized bench builds with symbols (RelWithDebInfo), like malloc_count.c.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

typedef enum {
    HEAP_SITE_PSA,
    HEAP_SITE_OWN_CERT,
    HEAP_SITE_CA,
    HEAP_SITE_TLS,
    HEAP_SITE_RESOLVER,
    HEAP_SITE_TRANSPORT,
    HEAP_SITE_HTTP,
    HEAP_SITE_MQTT,
    HEAP_SITE_EVENT,
    HEAP_SITE_NVS,
    HEAP_SITE_LIBC,
    HEAP_SITE_COUNT, /* the bucket of what was allocated before heap_sites_start() */
} heap_site_t;

/* A short name for tables and JSON keys, e.g. "psa_globals". */
const char *heap_site_name(heap_site_t site);

/*
 * Reads the executable's symbol table and starts counting by site. Call it first thing in
 * main(), then malloc_count_reset_peak() (reading the table allocates). @return 0, or -1 when the
 * executable has no symbol table (a stripped build).
 */
int heap_sites_start(void);

/* Every site's bytes at one moment (HEAP_SITE_COUNT is the bucket of older blocks). */
typedef struct {
    long long bytes[HEAP_SITE_COUNT + 1];
} heap_sites_t;

/*
 * One measured run: the whole process, and each site, above the figures at heap_run_begin().
 * Call heap_run_begin() just before the first call measured (it starts the peak again),
 * heap_run_idle() at the run's idle moment, heap_run_end() after its destroy.
 */
typedef struct {
    size_t base, peak, idle, after;
    heap_sites_t base_sites, peak_sites, idle_sites, after_sites;
} heap_run_t;

void heap_run_begin(heap_run_t *run);
void heap_run_idle(heap_run_t *run);
void heap_run_end(heap_run_t *run);

/* Prints "total PEAK IDLE AFTER"; then "site NAME PEAK IDLE" for every site; then "left NAME
 * BYTES" for each site holding more after than at the start (what the process keeps, or a leak). */
void heap_run_print(FILE *out, const heap_run_t *run);
