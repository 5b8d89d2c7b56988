/* The global CA store as connections see it: a counted snapshot. Not public. */
#pragma once

#include "mbedtls/x509_crt.h"

typedef struct esp_tls_ca_store esp_tls_ca_store_t;

/* The current store with a reference taken, or NULL if there is none. */
esp_tls_ca_store_t *esp_tls_ca_store_acquire(void);

/* Drops a reference from esp_tls_ca_store_acquire(); NULL is ignored. */
void esp_tls_ca_store_release(esp_tls_ca_store_t *store);

/* The certificates of a store; they do not change while a reference is held. */
mbedtls_x509_crt *esp_tls_ca_store_chain(esp_tls_ca_store_t *store);
