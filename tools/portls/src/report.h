/* Human-readable reports of a connection and of an ESP-TLS error record. */
#pragma once

#include <stdio.h>

#include "esp_tls.h"

/* Version, ciphersuite, ALPN, the peer chain and the verification result of a connected tls. */
void report_session(FILE *out, esp_tls_t *tls);

/* Where the connect's time went. */
void report_timing(FILE *out, const esp_tls_t *tls);

/* The connection's heap: its peak so far and what it holds now. */
void report_heap(FILE *out, const esp_tls_t *tls);

/* The error record decoded: esp_err name, mbedTLS text, the peer's alert by name, verify flags
 * as words, errno. Reading it clears it. */
void report_error(FILE *out, esp_tls_t *tls);

/* The same, from the codes themselves (an MQTT error event's, say): 0 leaves a line out, and so
 * does an alert < 0 (none known). */
void report_error_codes(FILE *out, esp_err_t err, int code, int alert, int flags, int sys_errno);

/* A client's: whether the server asked for a certificate and whether one was sent. Nothing for
 * a server or plain TCP. */
void report_client_cert(FILE *out, const esp_tls_t *tls);
