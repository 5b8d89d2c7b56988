/* Human-readable reports of a connection and of an ESP-TLS error record. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "cjson/cJSON.h"
#include "esp_tls.h"

/* Version, ciphersuite, ALPN, the peer chain and the verification result of a connected tls. */
void report_session(FILE *out, esp_tls_t *tls);

/* After a failed verification of the server: the chain it sent (names and dates), the trust it
 * was checked against (trust: "--cacert ca.pem", "the built-in bundle"...), and a "try:" line
 * with the likely fix. Nothing when the connection kept no such chain. @return whether it said
 * anything. */
bool report_unverified(FILE *out, esp_tls_t *tls, const char *trust);

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

/* The same facts as JSON members of obj (cJSON), for --json. Each adds nothing it cannot know:
 * "tls" and "chain" need a connected tls; "verification" a verifying client; "heap" a build with
 * heap accounting. */
void report_json_session(cJSON *obj, esp_tls_t *tls);
void report_json_timing(cJSON *obj, const esp_tls_t *tls);
void report_json_heap(cJSON *obj, const esp_tls_t *tls);
/* "error": esp_err, mbedtls code and text, alert, verify flags, errno; reading clears the record. */
void report_json_error(cJSON *obj, esp_tls_t *tls);
/* "unverified_chain" and "try", as report_unverified() prints them. */
void report_json_unverified(cJSON *obj, esp_tls_t *tls, const char *trust);
/* Prints obj on out (formatted, a newline after) and frees it. @return 0, or -1 out of memory. */
int report_json_print(FILE *out, cJSON *obj);

/* A client's: whether the server asked for a certificate and whether one was sent. Nothing for
 * a server or plain TCP. */
void report_client_cert(FILE *out, const esp_tls_t *tls);
