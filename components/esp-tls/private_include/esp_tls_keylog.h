/*
 * SSLKEYLOGFILE: the TLS secrets of every connection, client and server, appended to the file
 * that variable names, in the NSS key log format (curl's and the browsers' convention), so that
 * Wireshark or tshark can decrypt a capture. Built with PORTLS_KEYLOG (the default); without it
 * the variable is ignored and this does nothing. Not public.
 */
#pragma once

#include "mbedtls/ssl.h"
#include "sdkconfig.h"

#ifdef PORTLS_KEYLOG
/* Hooks ssl's key export to the key log when SSLKEYLOGFILE names a file. The variable is read
 * (secure_getenv: not in a set-id program) and the file opened once per process, at the first
 * connection; that logs one warning, naming the file, or saying why it could not be opened. A
 * file that cannot be opened or written never fails a connection. */
void esp_tls_keylog_attach(mbedtls_ssl_context *ssl);
#else
static inline void esp_tls_keylog_attach(mbedtls_ssl_context *ssl)
{
    (void)ssl;
}
#endif
