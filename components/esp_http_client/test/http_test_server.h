/*
 * A small HTTP server on a thread, for what nginx cannot do: Digest authentication (checked with
 * OpenSSL, not with the client's code), a server that never answers, a truncated body, a header
 * larger than the client's buffer, a status line that is not HTTP, and interim 1xx responses
 * around a body it reads only when told to, or slowly.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

typedef enum {
    TS_DIGEST,     /* 401 with a Digest challenge until the request carries a correct answer */
    TS_SILENT,     /* reads the request, never answers */
    TS_TRUNCATED,  /* Content-Length 100, 10 bytes, close */
    TS_BIG_HEADER, /* a 2000-byte header */
    TS_MALFORMED,  /* "HTTX/1.1 abc" */
    TS_INTERIM,    /* "100 Continue" after the head; reads the body (Content-Length bytes, byte i
                      = i % 251) once hold_body is false, read_pause_ms after each read (until the
                      server stops); then "103 Early Hints" with a Link
                      header, and "200" with "received <n> bytes, <as sent|not as sent>" */
} ts_mode_t;

typedef struct {
    ts_mode_t mode;
    const char *algorithm; /* TS_DIGEST: "MD5" or "SHA-256" */
    int listen_fd;
    int port;
    int requests;   /* requests read */
    int authorized; /* TS_DIGEST: requests with a correct answer */
    atomic_bool hold_body; /* TS_INTERIM: the body is not read while it is true */
    atomic_int read_pause_ms; /* TS_INTERIM: a pause after each read of the body (a slow reader) */
    volatile bool stopping;
    pthread_t thread;
} test_server_t;

/* Listens on a loopback port and serves connections one at a time until stopped (asserted). */
void test_server_start(test_server_t *s, ts_mode_t mode, const char *algorithm);
void test_server_stop(test_server_t *s);
