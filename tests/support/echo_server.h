/*
 * A portls TLS server on a thread, for the server tests: it accepts `sessions` connections one
 * after another on a loopback port, runs esp_tls_server_session_create() on each, then (by mode)
 * echoes one read back, sends `bytes` bytes, or reads `bytes` bytes; then it deletes the session
 * (close_notify) and closes the socket.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_tls.h"

#define ECHO_SERVER_MAX_SESSIONS 4

typedef struct {
    int create_rc;          /* esp_tls_server_session_create() */
    esp_err_t last_error;   /* the error record after it */
    int mbedtls_code;       /* and its mbedTLS code (positive) */
    int peer_alert;         /* esp_tls_get_peer_alert() */
    bool resumed;
    char alpn[32];          /* the negotiated protocol, or "" */
    char version[16];       /* "TLSv1.2" / "TLSv1.3" */
    uint32_t verify_flags;  /* the client certificate's verify result */
    bool client_cert;       /* the client sent a certificate */
    size_t record_size_limit; /* the client's (esp_tls_get_peer_record_size_limit()), 0 for none */
} echo_session_t;

typedef enum {
    ECHO_ONCE = 0, /* echo one read */
    ECHO_SEND,     /* send `bytes` bytes */
    ECHO_SINK,     /* read `bytes` bytes */
} echo_mode_t;

typedef struct {
    esp_tls_cfg_server_t *cfg;
    int listen_fd;
    int port;
    int sessions;
    echo_mode_t mode;
    size_t bytes;            /* for ECHO_SEND and ECHO_SINK */
    size_t moved;            /* bytes sent or read in the last session */
    unsigned long fail_nth;  /* portls_heap_fail_nth() for the server thread, 0 for none */
    pthread_t thread;
    echo_session_t result[ECHO_SERVER_MAX_SESSIONS];
} echo_server_t;

/* Listens on 127.0.0.1 and starts the thread (mode, bytes and fail_nth as set in s before the
 * call; zero them for an echo). Aborts the test on failure. */
void echo_server_start(echo_server_t *s, esp_tls_cfg_server_t *cfg, int sessions);

/* Waits for the thread (all sessions served) and closes the listening socket. */
void echo_server_join(echo_server_t *s);

#if defined(CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS) && defined(CONFIG_ESP_TLS_SERVER_SESSION_TICKETS)
/* The portls client saves a session from a portls server with tickets and resumes it: both ends
 * must say it resumed (asserted). */
void check_portls_resumption(esp_tls_proto_ver_t version);
#endif

/* A server configuration with the EC localhost certificate of the test PKI. */
esp_tls_cfg_server_t server_cfg(void);
