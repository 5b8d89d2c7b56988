/* Shared pieces of the ESP-TLS loopback tests. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cert_file.h"
#include "esp_deadline.h" /* the tests time and wait on the library's clock */
#include "esp_tls.h"
#include "peer.h"

/* A file of the test PKI, loaded once and freed at exit. */
const cert_file_t *pki(const char *name);

/* A PEM file of the test PKI as the esp_transport_ssl setters take it: *len without the NUL. */
const char *pki_pem(const char *name, int *len);

/* openssl s_server -www (a status page for GET /, then close) with the EC localhost cert. */
void start_www_peer(peer_t *p);

/* start_www_peer() and a verified connection to it (asserted). */
esp_tls_t *connect_www_peer(peer_t *p);

/* Trust ca_name (PEM or DER file) through cacert_buf. */
void cfg_trust(esp_tls_cfg_t *cfg, const char *ca_name);

/* Client certificate and key for mutual TLS. */
void cfg_client_cert(esp_tls_cfg_t *cfg, const char *cert_name, const char *key_name);

/* esp_tls_init() + esp_tls_conn_new_sync() to host:p->port. @return the connect result. */
int connect_peer(const peer_t *p, const char *host, const esp_tls_cfg_t *cfg, esp_tls_t **out);

/* The error record of tls, read and cleared; code and flags may be NULL. */
esp_err_t take_error(esp_tls_t *tls, int *code, int *flags);

/* The error record's esp_err_t, and its errno into *sys_errno; both read and cleared. */
esp_err_t take_error_errno(esp_tls_t *tls, int *sys_errno);

/* Sends an HTTP/1.0 GET to an `s_server -www` peer and reads the answer's first bytes.
 * @return the bytes read (> 0), or the first failing read/write result. */
ssize_t www_get(esp_tls_t *tls, char *buf, size_t len);

/* Runs argv (argv[0] looked up in PATH), writes input to it, closes its stdin and waits until it
 * exits. out receives its output (stdout and stderr, NUL-terminated, truncated to out_len).
 * @return its exit status. */
int run_program(const char *const argv[], const char *input, char *out, size_t out_len);

/* Runs `openssl s_client -connect 127.0.0.1:port -ign_eof` plus extra (NULL-terminated), writes
 * input to it, and waits until it exits (the server closes). out receives its output (stdout and
 * stderr, NUL-terminated, truncated to out_len). @return its exit status. */
int run_s_client(int port, const char *const extra[], const char *input, char *out, size_t out_len);
