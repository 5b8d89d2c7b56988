/* The connection object and the helpers shared by the esp-tls sources. Not public. */
#pragma once

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "esp_deadline.h"
#include "esp_timer.h"
#include "esp_tls.h"
#include "esp_tls_dns.h"
#include "esp_tls_heap_private.h"
#include "esp_tls_stack.h"

#define ESP_TLS_DEFAULT_TIMEOUT_MS 10000

/* The public record plus errno, which only esp_tls_get_and_clear_error_type() returns.
 * An esp_tls_error_handle_t from portls always points at one of these. */
typedef struct {
    esp_tls_last_error_t parent;
    int sock_errno;
} esp_tls_error_storage_t;

/* Follows the record boundaries of what the peer sends, from the bytes the socket delivers. */
typedef struct {
    uint8_t header[5];
    size_t header_got;   /* bytes of the current header received */
    size_t body_left;    /* bytes of the current record's body still to come */
    uint8_t body_head[2]; /* the current record's first body bytes: an alert's level and description */
    bool peer_closed;    /* the socket reported end of stream */
    bool after_handshake; /* set by the caller: records from now on count as after the handshake */
    size_t largest[2];   /* the longest record header length seen: [0] in the handshake, [1] after */
    esp_tls_record_problem_t problem;
} esp_tls_record_tracker_t;

/* Feeds received bytes to the tracker; n == 0 means the peer closed. */
void esp_tls_record_track(esp_tls_record_tracker_t *t, const unsigned char *buf, size_t n);

/* Decides, after a failed handshake or read, what was wrong with the peer's records; logs it
 * in plain words. @return the verdict (also kept in the tracker). */
esp_tls_record_problem_t esp_tls_record_explain(esp_tls_record_tracker_t *t);

/* Whether the peer's stream stopped inside a record. */
bool esp_tls_record_mid_record(const esp_tls_record_tracker_t *t);

/* The description of an unencrypted alert that is the last complete record received, or -1. A
 * TLS 1.3 peer may send one where mbedTLS expects an encrypted record, which it then reports as
 * a MAC failure. */
int esp_tls_record_plaintext_alert(const esp_tls_record_tracker_t *t);

/* Notes the fatal alert the peer sent (for esp_tls_get_peer_alert()) and logs its name and what
 * it usually means. */
void esp_tls_note_peer_alert(esp_tls_t *tls, int description);

struct esp_tls {
    esp_tls_error_storage_t error;     /* first: the error handle points here */
    esp_tls_role_t role;
    esp_tls_conn_state_t conn_state;
    int sockfd;
    bool is_tls;
    bool resumed;                      /* the handshake resumed a session */
    int recv_flags;                    /* recv() flags of the engine's BIO (MSG_DONTWAIT to peek) */
    bool io_blocked;                   /* the engine's last socket call would have blocked */
    const esp_tls_stack_ops_t *stack;  /* the TLS engine; NULL for plain TCP */
    void *stack_ctx;                   /* engine state, from create_ssl_handle */
    short wait_events;                 /* POLLIN/POLLOUT the connect waits for */
    esp_deadline_t connect_deadline;   /* timeout_ms after the connect began, across its steps */
    int64_t phase_start_us;            /* start of the current timing phase */
    esp_tls_conn_timing_t timing;
    esp_tls_dns_t *dns;                /* the lookup, then its answer, while connecting */
    esp_tls_heap_account_t *heap;      /* what this connection's calls allocate */
    unsigned long heap_failures_seen;  /* refused allocations already reported */
    esp_tls_record_tracker_t records;  /* what the peer has been sending */
    bool peer_alert_received;          /* the peer ended the connection with a fatal alert... */
    uint8_t peer_alert;                /* ...of this description */
};

/* Records code in the slot of type; h may be NULL (nothing is recorded). */
void esp_tls_error_capture(esp_tls_error_handle_t h, esp_tls_error_type_t type, int code);

/* Records an esp_err_t together with the errno that caused it. */
void esp_tls_error_capture_errno(esp_tls_error_handle_t h, esp_err_t err, int sys_errno);

static inline int esp_tls_timeout_ms(const esp_tls_cfg_t *cfg)
{
    return (cfg != NULL && cfg->timeout_ms > 0) ? cfg->timeout_ms : ESP_TLS_DEFAULT_TIMEOUT_MS;
}

/* ---- TCP (esp_tls_tcp.c) ---- */

/* Starts a non-blocking connect() to the next address of dns's answer that takes one, with cfg's
 * socket options. Addresses that fail at once (no route, refused synchronously) are skipped.
 * On failure nothing is left open and the last failure is recorded; when no address was left,
 * nothing is recorded. */
esp_err_t esp_tls_tcp_start_next(esp_tls_dns_t *dns, const esp_tls_cfg_t *cfg, esp_tls_error_handle_t h,
                                 int *sockfd);

/* After the socket became writable: the connect's own result, from SO_ERROR. */
esp_err_t esp_tls_tcp_connect_result(int sockfd, esp_tls_error_handle_t h);

/* Puts the socket in blocking or non-blocking mode. */
esp_err_t esp_tls_tcp_set_blocking(int sockfd, bool blocking, esp_tls_error_handle_t h);

ssize_t esp_tls_tcp_read(esp_tls_t *tls, char *data, size_t datalen);
ssize_t esp_tls_tcp_write(esp_tls_t *tls, const char *data, size_t datalen);
