/* See heap_sites.h. */
#define _GNU_SOURCE
#include "heap_sites.h"

#include <dlfcn.h>
#include <elf.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "malloc_count.h"

/* What a function says about the allocations under it. */
typedef enum {
    ROLE_NONE,   /* look further out */
    ROLE_LAYER,  /* the innermost such frame decides */
    ROLE_MARKER, /* decides wherever it is */
} role_t;

typedef struct {
    uintptr_t start, end;
    uint8_t role, site;
} function_t;

static function_t *functions;
static size_t function_count;

static const char *const site_names[] = {
    [HEAP_SITE_PSA] = "psa_globals",
    [HEAP_SITE_OWN_CERT] = "own_cert_and_key",
    [HEAP_SITE_CA] = "ca_cert",
    [HEAP_SITE_TLS] = "esp_tls_and_mbedtls",
    [HEAP_SITE_RESOLVER] = "resolver",
    [HEAP_SITE_TRANSPORT] = "transport",
    [HEAP_SITE_HTTP] = "http_client",
    [HEAP_SITE_MQTT] = "mqtt",
    [HEAP_SITE_EVENT] = "esp_event_and_freertos",
    [HEAP_SITE_NVS] = "nvs",
    [HEAP_SITE_LIBC] = "c_library_and_logging",
    [HEAP_SITE_COUNT] = "before_counting",
};

const char *heap_site_name(heap_site_t site)
{
    return site <= HEAP_SITE_COUNT ? site_names[site] : "?";
}

typedef struct {
    const char *prefix;
    uint8_t role, site;
} rule_t;

/* Function names first: markers, then the globals' prefixes. */
static const rule_t name_rules[] = {
    { "psa_crypto_init", ROLE_MARKER, HEAP_SITE_PSA },
    { "psa_reserve_free_key_slot", ROLE_MARKER, HEAP_SITE_PSA }, /* a key store slice, kept */
    { "psa_allocate_volatile_key_slot", ROLE_MARKER, HEAP_SITE_PSA },
    { "esp_tls_mbedtls_set_own_cert", ROLE_MARKER, HEAP_SITE_OWN_CERT },
    { "esp_tls_mbedtls_parse_certs", ROLE_MARKER, HEAP_SITE_CA },
    { "use_trust_store", ROLE_MARKER, HEAP_SITE_CA },
    { "mbedtls_x509_time_gmtime", ROLE_MARKER, HEAP_SITE_LIBC }, /* gmtime_r(): glibc's time zone, kept */
    { "mbedtls_platform_gmtime_r", ROLE_MARKER, HEAP_SITE_LIBC },
    { "esp_tls_heap", ROLE_NONE, 0 },
    { "portls_heap", ROLE_NONE, 0 },
    { "ares_", ROLE_LAYER, HEAP_SITE_RESOLVER },
    { "mbedtls_", ROLE_LAYER, HEAP_SITE_TLS },
    { "psa_", ROLE_LAYER, HEAP_SITE_TLS },
    { "esp_tls", ROLE_LAYER, HEAP_SITE_TLS },
    { "esp_crt", ROLE_LAYER, HEAP_SITE_TLS },
    { "crt_bundle", ROLE_LAYER, HEAP_SITE_TLS },
    { "esp_transport", ROLE_LAYER, HEAP_SITE_TRANSPORT },
    { "esp_http", ROLE_LAYER, HEAP_SITE_HTTP },
    { "http_", ROLE_LAYER, HEAP_SITE_HTTP },
    { "esp_mqtt", ROLE_LAYER, HEAP_SITE_MQTT },
    { "mqtt_", ROLE_LAYER, HEAP_SITE_MQTT },
    { "outbox_", ROLE_LAYER, HEAP_SITE_MQTT },
    { "esp_event", ROLE_LAYER, HEAP_SITE_EVENT },
    { "xQueue", ROLE_LAYER, HEAP_SITE_EVENT },
    { "vQueue", ROLE_LAYER, HEAP_SITE_EVENT },
    { "xTask", ROLE_LAYER, HEAP_SITE_EVENT },
    { "vTask", ROLE_LAYER, HEAP_SITE_EVENT },
    { "xEventGroup", ROLE_LAYER, HEAP_SITE_EVENT },
    { "vEventGroup", ROLE_LAYER, HEAP_SITE_EVENT },
    { "xSemaphore", ROLE_LAYER, HEAP_SITE_EVENT },
    { "rtos_", ROLE_LAYER, HEAP_SITE_EVENT },
    { "nvs_", ROLE_LAYER, HEAP_SITE_NVS },
    { "esp_log", ROLE_LAYER, HEAP_SITE_LIBC },
};

/* Then the source file of a static function (the symbol table's STT_FILE entries). */
static const rule_t file_rules[] = {
    { "malloc_count", ROLE_NONE, 0 },
    { "heap_sites", ROLE_NONE, 0 },
    { "esp_tls_heap", ROLE_NONE, 0 },
    { "esp_url", ROLE_NONE, 0 },
    { "esp_deadline", ROLE_NONE, 0 },
    { "esp_err", ROLE_NONE, 0 },
    { "esp_tls_dns", ROLE_LAYER, HEAP_SITE_RESOLVER },
    { "esp_tls", ROLE_LAYER, HEAP_SITE_TLS },
    { "esp_crt_bundle", ROLE_LAYER, HEAP_SITE_TLS },
    { "transport", ROLE_LAYER, HEAP_SITE_TRANSPORT },
    { "esp_http_client", ROLE_LAYER, HEAP_SITE_HTTP },
    { "http_", ROLE_LAYER, HEAP_SITE_HTTP },
    { "mqtt_", ROLE_LAYER, HEAP_SITE_MQTT },
    { "esp_event", ROLE_LAYER, HEAP_SITE_EVENT },
    { "queue.c", ROLE_LAYER, HEAP_SITE_EVENT },
    { "tasks.c", ROLE_LAYER, HEAP_SITE_EVENT },
    { "event_groups.c", ROLE_LAYER, HEAP_SITE_EVENT },
    { "port.c", ROLE_LAYER, HEAP_SITE_EVENT },
    { "nvs_", ROLE_LAYER, HEAP_SITE_NVS },
    { "esp_log", ROLE_LAYER, HEAP_SITE_LIBC },
    /* the benches' and tests' own helpers */
    { "peer.c", ROLE_NONE, 0 },
    { "nginx.c", ROLE_NONE, 0 },
    { "mosquitto_broker.c", ROLE_NONE, 0 },
    { "tls_test.c", ROLE_NONE, 0 },
    { "cert_file.c", ROLE_NONE, 0 },
    { "bench_util.c", ROLE_NONE, 0 },
};

static const rule_t *match(const rule_t *rules, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strncmp(name, rules[i].prefix, strlen(rules[i].prefix)) == 0) {
            return &rules[i];
        }
    }
    return NULL;
}

/*
 * A static function of a file no rule names is mbedTLS's (its library files are the only other
 * code linked in), except in a bench program's own file.
 */
static void classify_function(function_t *f, const char *name, const char *file, int global)
{
    const rule_t *r = match(name_rules, sizeof(name_rules) / sizeof(name_rules[0]), name);
    if (r == NULL && !global && file != NULL) {
        r = match(file_rules, sizeof(file_rules) / sizeof(file_rules[0]), file);
    }
    if (r != NULL) {
        f->role = r->role;
        f->site = r->site;
        return;
    }
    int mbedtls_file = !global && file != NULL && strstr(file, "_heap.c") == NULL;
    f->role = mbedtls_file ? ROLE_LAYER : ROLE_NONE;
    f->site = HEAP_SITE_TLS;
}

static int by_start(const void *a, const void *b)
{
    const function_t *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

typedef struct {
    const uint8_t *image;
    const Elf64_Sym *syms;
    size_t count;
    const char *names;
    uintptr_t base;
} symtab_t;

static int find_symtab(const uint8_t *image, size_t size, symtab_t *t)
{
    const Elf64_Ehdr *eh = (const void *)image;
    if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_shoff + (size_t)eh->e_shnum *
        sizeof(Elf64_Shdr) > size) {
        return -1;
    }
    const Elf64_Shdr *sh = (const void *)(image + eh->e_shoff);
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type == SHT_SYMTAB && sh[i].sh_link < eh->e_shnum) {
            t->syms = (const void *)(image + sh[i].sh_offset);
            t->count = sh[i].sh_size / sizeof(Elf64_Sym);
            t->names = (const char *)(image + sh[sh[i].sh_link].sh_offset);
            return 0;
        }
    }
    return -1;
}

/* The executable's start in memory: a position-independent one's symbols are relative to it. */
extern const char __executable_start;

static void collect_functions(const symtab_t *t)
{
    functions = mmap(NULL, t->count * sizeof(*functions), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    if (functions == MAP_FAILED) {
        functions = NULL;
        return;
    }
    const char *file = NULL;
    for (size_t i = 0; i < t->count; i++) {
        const Elf64_Sym *s = &t->syms[i];
        if (ELF64_ST_TYPE(s->st_info) == STT_FILE) {
            file = t->names + s->st_name;
        }
        if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_value == 0) {
            continue;
        }
        function_t *f = &functions[function_count++];
        f->start = t->base + s->st_value;
        f->end = f->start + (s->st_size > 0 ? s->st_size : 1);
        classify_function(f, t->names + s->st_name, file, ELF64_ST_BIND(s->st_info) != STB_LOCAL);
    }
    qsort(functions, function_count, sizeof(*functions), by_start);
}

static int load_functions(void)
{
    int fd = open("/proc/self/exe", O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        return -1;
    }
    uint8_t *image = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    symtab_t t = { .image = image };
    if (image == MAP_FAILED || find_symtab(image, (size_t)st.st_size, &t) != 0) {
        return -1;
    }
    const Elf64_Ehdr *eh = (const void *)image;
    t.base = eh->e_type == ET_DYN ? (uintptr_t)&__executable_start : 0;
    collect_functions(&t);
    munmap(image, (size_t)st.st_size);
    return function_count > 0 ? 0 : -1;
}

static const function_t *function_at(uintptr_t pc)
{
    size_t lo = 0, hi = function_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (functions[mid].start <= pc) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo > 0 && pc < functions[lo - 1].end ? &functions[lo - 1] : NULL;
}

/* A frame outside the executable: the shared library decides (c-ares, http_parser), or nothing;
 * pthread_create() and tzset() mark what glibc keeps: a new thread's (cached after the thread
 * ends), the time zone's. */
static function_t library_frame(uintptr_t pc)
{
    Dl_info info;
    function_t f = { .role = ROLE_NONE };
    if (dladdr((void *)pc, &info) == 0 || info.dli_fname == NULL) {
        return f;
    }
    if (info.dli_sname != NULL && (strcmp(info.dli_sname, "pthread_create") == 0 || strcmp(info.dli_sname, "tzset") == 0)) {
        f = (function_t){ .role = ROLE_MARKER, .site = HEAP_SITE_LIBC }; /* glibc's, and kept */
    } else if (strstr(info.dli_fname, "libcares") != NULL) {
        f = (function_t){ .role = ROLE_LAYER, .site = HEAP_SITE_RESOLVER };
    } else if (strstr(info.dli_fname, "http_parser") != NULL) {
        f = (function_t){ .role = ROLE_LAYER, .site = HEAP_SITE_HTTP };
    }
    return f;
}

/* HEAP_SITES_TRACE=NAME: every allocation of that site prints its stack to stderr. */
static int traced_site = -1;

static void trace(unsigned site, void *const *frames, int depth)
{
    if ((int)site == traced_site) {
        static const char line[] = "-- allocation:\n";
        write(2, line, sizeof(line) - 1);
        backtrace_symbols_fd(frames, depth, 2);
    }
}

/* The outermost marker decides (the own certificate's parse runs through the CA's parse
 * function); failing one, the innermost layer. */
static unsigned classify_stack(void)
{
    void *frames[64];
    int depth = backtrace(frames, 64);
    int layer = -1, marker = -1;
    for (int i = 0; i < depth; i++) {
        uintptr_t pc = (uintptr_t)frames[i] - 1; /* inside the call, not after it */
        const function_t *known = function_at(pc);
        function_t f = known != NULL ? *known : library_frame(pc);
        if (f.role == ROLE_MARKER) {
            marker = f.site;
        }
        if (f.role == ROLE_LAYER && layer < 0) {
            layer = f.site;
        }
    }
    unsigned site = marker >= 0 ? (unsigned)marker : layer >= 0 ? (unsigned)layer : HEAP_SITE_LIBC;
    trace(site, frames, depth);
    return site;
}

static void read_trace_setting(void)
{
    const char *name = getenv("HEAP_SITES_TRACE");
    for (unsigned i = 0; name != NULL && i < HEAP_SITE_COUNT; i++) {
        if (strcmp(name, site_names[i]) == 0) {
            traced_site = (int)i;
        }
    }
}

int heap_sites_start(void)
{
    if (load_functions() != 0) {
        return -1;
    }
    read_trace_setting();
    void *warm[4];
    backtrace(warm, 4); /* loads the unwinder now, not inside a counted allocation */
    malloc_count_by_site(classify_stack, HEAP_SITE_COUNT);
    return 0;
}

static heap_sites_t collect(size_t (*figure)(unsigned site))
{
    heap_sites_t s;
    for (unsigned i = 0; i <= HEAP_SITE_COUNT; i++) {
        s.bytes[i] = (long long)figure(i);
    }
    return s;
}

void heap_run_begin(heap_run_t *run)
{
    malloc_count_reset_peak();
    *run = (heap_run_t){ .base = malloc_count_current(), .base_sites = collect(malloc_count_site_current) };
}

void heap_run_idle(heap_run_t *run)
{
    run->idle = malloc_count_current();
    run->idle_sites = collect(malloc_count_site_current);
}

void heap_run_end(heap_run_t *run)
{
    run->peak = malloc_count_peak();
    run->peak_sites = collect(malloc_count_site_at_peak);
    run->after = malloc_count_current();
    run->after_sites = collect(malloc_count_site_current);
}

void heap_run_print(FILE *out, const heap_run_t *run)
{
    fprintf(out, "total %zu %zu %zu\n", run->peak - run->base, run->idle - run->base, run->after - run->base);
    const long long *base = run->base_sites.bytes;
    for (unsigned i = 0; i <= HEAP_SITE_COUNT; i++) {
        fprintf(out, "site %s %lld %lld\n", heap_site_name(i), run->peak_sites.bytes[i] - base[i],
                run->idle_sites.bytes[i] - base[i]);
    }
    for (unsigned i = 0; i <= HEAP_SITE_COUNT; i++) {
        if (run->after_sites.bytes[i] != base[i]) {
            fprintf(out, "left %s %lld\n", heap_site_name(i), run->after_sites.bytes[i] - base[i]);
        }
    }
}
