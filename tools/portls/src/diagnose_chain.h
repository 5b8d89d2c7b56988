/* diagnose: findings on the server's certificate chain. */
#pragma once

#include <stdbool.h>

#include "diagnose.h"
#include "mbedtls/x509_crt.h"

typedef struct {
    const mbedtls_x509_crt *chain; /* as sent, leaf first; NULL if none was seen */
    int flags;                     /* the device's verify flags (0: none, or not verified) */
    bool verified;                 /* an esp_tls connection verified it */
    const char *host;
    const char *trust;             /* what verified: "the given CA (FILE)", "the built-in bundle" */
} diag_chain_input_t;

void diag_chain(diag_t *d, const diag_chain_input_t *in);
