/* portls diagnose: what a device would meet at a server, as findings (what was seen, what it means
 * for a device, the fix), collected in one report that prints as text or as JSON. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cert_file.h"
#include "cjson/cJSON.h"
#include "esp_tls.h"

#define DIAG_MAX_ALPN 8

/* A kind of device and the heap it typically has free when it connects (diagnose_device.c). */
typedef struct {
    const char *name;
    size_t free_heap; /* bytes; 0: no limit worth naming (the host) */
    const char *basis; /* where the figure comes from */
} diag_device_t;

typedef struct {
    char host[256];
    int port;
    const char *cacert, *capath, *cert, *key, *pass;
    const char *path; /* the HTTP request sent after the handshake, to see the server's records */
    char *alpn_list[DIAG_MAX_ALPN + 1];
    const diag_device_t *device; /* NULL: none named */
    long heap_limit;             /* 0: none */
    bool json;
    cert_file_t ca_file, cert_file, key_file;
} diag_opts_t;

typedef enum {
    DIAG_OK,   /* fine for a device */
    DIAG_INFO, /* a fact, no action needed */
    DIAG_WARN, /* the device connects, but should change something */
    DIAG_FAIL, /* a device with this configuration cannot connect */
} diag_level_t;

/* The report: the target, this build's configuration and the findings, as a cJSON tree. */
typedef struct {
    cJSON *root;
    cJSON *findings;
    bool connects; /* no DIAG_FAIL finding so far */
    bool reached;  /* some TLS handshake completed (set by the TLS checks) */
} diag_t;

/* @return 0, or -1 out of memory. */
int diag_init(diag_t *d, const diag_opts_t *o);
void diag_free(diag_t *d);

/* A new finding named id (a stable key for scripts, e.g. "tls1.3"), added to the report.
 * @return it, to give its texts and data; NULL out of memory (later calls then ignore NULL). */
cJSON *diag_add(diag_t *d, const char *id, diag_level_t level);

/* Sets f's text key ("saw", "means" or "fix") from a printf format. NULL f is ignored. */
void diag_text(cJSON *f, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Adds a number (bytes, counts, ms) or string to f's "data" object. NULL f is ignored. */
void diag_number(cJSON *f, const char *key, double value);
void diag_string(cJSON *f, const char *key, const char *value);
void diag_bool(cJSON *f, const char *key, bool value);

/* Prints the verdict line first, then each finding with its fix, or the JSON document. */
void diag_print(const diag_t *d, bool json);

/* The checks, in the order they run; each adds its findings. */
/* DNS, every address, and a TCP connect to each. @return 0 if some address accepted. */
int diag_reachability(diag_t *d, const diag_opts_t *o);
/* TLS 1.3 and TLS 1.2 through esp_tls: versions, suites, records, chain, client auth, memory,
 * resumption, ALPN; and the run under --heap-limit. */
void diag_tls(diag_t *d, const diag_opts_t *o);

/* The device table. @return the entry named name, or NULL. */
const diag_device_t *diag_device_find(const char *name);
/* The names, comma-separated, for usage messages. */
const char *diag_device_names(void);
