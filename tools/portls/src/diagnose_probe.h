/* diagnose: what ESP-TLS cannot ask a server, asked with OpenSSL's libssl: whether it speaks
 * TLS 1.0 or 1.1 (which mbedTLS 3.6 does not have), the certificate chain exactly as it sends it
 * (also when verification fails, when ESP-TLS keeps none), and the CA names of its
 * CertificateRequest (mbedTLS's client skips them); whether it honours TLS 1.2's
 * max_fragment_length (ESP-TLS does not ask for it), and its tickets' lifetimes. No verification is made here: the verdicts
 * come from the esp_tls connections. */
#pragma once

#include <stdbool.h>

#include "cjson/cJSON.h"
#include "diagnose.h"
#include "mbedtls/x509_crt.h"

typedef struct diag_probe {
    bool legacy[2];           /* TLS 1.0, TLS 1.1 accepted */
    char legacy_suite[2][64]; /* OpenSSL's name of the suite it chose */
    bool got_chain;
    mbedtls_x509_crt chain;   /* as sent, leaf first; free with diag_probe_free() */
    bool cert_requested;      /* the server sent a CertificateRequest */
    bool mfl_acked;           /* TLS 1.2: the server took max_fragment_length 4096 */
    size_t mfl_largest;       /* and the longest record it sent for the request after it */
    long ticket_lifetime[2];  /* seconds the server gives its ticket: [0] TLS 1.3, [1] TLS 1.2; -1 none */
    cJSON *ca_names;          /* array of DN strings it listed (may be empty) */
} diag_probe_t;

/* Runs the probes; what fails to connect is left false/empty. */
void diag_probe(const diag_opts_t *o, diag_probe_t *p);
void diag_probe_free(diag_probe_t *p);
