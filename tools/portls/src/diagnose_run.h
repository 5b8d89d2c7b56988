/* diagnose: one connection through esp_tls and what it showed; shared by the checks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "diagnose.h"
#include "esp_tls.h"
#include "esp_tls_heap.h"

typedef struct {
    esp_tls_proto_ver_t ver;
    bool connected;      /* the handshake completed and the server was verified */
    bool refused_after;  /* then the server ended it with an alert (TLS 1.3 client certificates) */
    char version[16];    /* negotiated: "TLSv1.3" */
    char suite[80];
    char alpn[32];       /* "" if none */
    int expansion;       /* mbedtls_ssl_get_record_expansion(), or -1 */
    esp_err_t err;       /* the error record, for a failure */
    int code, flags, alert;
    esp_tls_record_info_t rec;
    esp_tls_record_sizes_t sizes;
    bool rsl_known;            /* the build sends record_size_limit, and the handshake completed */
    size_t rsl_server;         /* then the limit the server announced in return, 0 for none */
    bool cc_known;
    esp_tls_client_cert_info_t cc;
    bool heap_known;
    esp_tls_heap_stats_t heap; /* at the end of the handshake: peak and held (idle) */
    size_t failed_size, failed_in_use; /* the last refused allocation, under a heap budget */
    esp_tls_conn_timing_t timing;
    size_t app_bytes;          /* bytes the server answered the request with */
    bool resumed;              /* the handshake resumed the session it was given */
    esp_tls_client_session_t *session; /* what the server gave to resume (caller frees), or NULL */
} diag_run_t;

/* What a run does beyond the handshake. */
typedef enum {
    DIAG_RUN_HANDSHAKE = 0,    /* the handshake only */
    DIAG_RUN_EXCHANGE = 1,     /* then the request, and the answer read to its end */
    DIAG_RUN_KEEP_SESSION = 2, /* then the session to resume, in r->session */
} diag_run_flags_t;

/* One connect pinned to ver (ESP_TLS_VER_ANY for the device's own choice) and what flags ask.
 * With resume, offers that session. */
void diag_run(const diag_opts_t *o, esp_tls_proto_ver_t ver, esp_tls_client_session_t *resume, int flags,
              diag_run_t *r);

/* Whether the server chose the version: the handshake got past its ServerHello. */
bool diag_run_version_accepted(const diag_run_t *r);

/* The findings made of the runs ([0] TLS 1.3, [1] TLS 1.2), each in its own file. */
struct diag_probe;
void diag_tls_client_auth(diag_t *d, const diag_opts_t *o, const diag_run_t runs[2], const struct diag_probe *probe);
void diag_tls_memory(diag_t *d, const diag_opts_t *o, const diag_run_t *best);
void diag_tls_heap_limit(diag_t *d, const diag_opts_t *o);
/* ticket_lifetime: seconds per version as the probe saw them, -1 for none. */
void diag_tls_resumption(diag_t *d, const diag_opts_t *o, const diag_run_t runs[2], const long ticket_lifetime[2]);
