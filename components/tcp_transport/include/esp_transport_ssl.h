/*
 * TLS transport ("https", default port 443) over ESP-TLS, as ESP-IDF's esp_transport_ssl.h. The
 * setters fill the esp_tls_cfg_t of the next connect; certificate, key, password, ALPN, suite and
 * PSK buffers are not copied and must outlive the transport (keep-alive and interface are). PEM setters take the length without the NUL, and the buffer must be
 * NUL-terminated. Chip-only setters (secure element, DS, ECDSA eFuse keys) are not here.
 * The rules of esp_tls_cfg_t apply: without a CA (data, bundle or global store), connect fails.
 * A setter given a NULL handle, or a transport that is not a TCP/TLS one, does nothing.
 */
#pragma once

#include <net/if.h>

#include "esp_tls.h"
#include "esp_transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What esp_transport_ssl_session_ticket_operation() does with the transport's saved session. */
typedef enum {
    ESP_TRANSPORT_SESSION_TICKET_INIT, /*!< nothing saved yet: nothing to do */
    ESP_TRANSPORT_SESSION_TICKET_SAVE, /*!< save the connected session (replacing the saved one) */
    ESP_TRANSPORT_SESSION_TICKET_USE,  /*!< offer the saved session on the next connects, to the
                                            host and port it was saved from only */
    ESP_TRANSPORT_SESSION_TICKET_FREE, /*!< free it and offer nothing */
} esp_transport_session_ticket_operation_t;

/** A TLS transport. @return NULL when out of memory. */
esp_transport_handle_t esp_transport_ssl_init(void);

/** portls extension: the ESP-TLS connection under t (a TCP or TLS transport, or one layered on
 * it such as WebSocket), for esp_tls_get_ssl_context() and the other esp_tls getters. Owned by
 * the transport: valid until it closes. NULL when t is not connected or has no such connection. */
esp_tls_t *esp_transport_ssl_get_esp_tls(esp_transport_handle_t t);

void esp_transport_ssl_set_cert_data(esp_transport_handle_t t, const char *data, int len);
void esp_transport_ssl_set_cert_data_der(esp_transport_handle_t t, const char *data, int len);
void esp_transport_ssl_crt_bundle_attach(esp_transport_handle_t t, esp_err_t (*crt_bundle_attach)(void *conf));
void esp_transport_ssl_enable_global_ca_store(esp_transport_handle_t t);
void esp_transport_ssl_set_tls_version(esp_transport_handle_t t, esp_tls_proto_ver_t tls_version);
void esp_transport_ssl_set_client_cert_data(esp_transport_handle_t t, const char *data, int len);
void esp_transport_ssl_set_client_cert_data_der(esp_transport_handle_t t, const char *data, int len);
void esp_transport_ssl_set_client_key_data(esp_transport_handle_t t, const char *data, int len);
void esp_transport_ssl_set_client_key_data_der(esp_transport_handle_t t, const char *data, int len);
void esp_transport_ssl_set_client_key_password(esp_transport_handle_t t, const char *password, int password_len);
void esp_transport_ssl_set_alpn_protocol(esp_transport_handle_t t, const char **alpn_protos);
void esp_transport_ssl_skip_common_name_check(esp_transport_handle_t t);
void esp_transport_ssl_set_common_name(esp_transport_handle_t t, const char *common_name);
void esp_transport_ssl_set_ciphersuites_list(esp_transport_handle_t t, const int *ciphersuites_list);
void esp_transport_ssl_set_psk_key_hint(esp_transport_handle_t t, const psk_hint_key_t *psk_hint_key);
void esp_transport_ssl_set_keep_alive(esp_transport_handle_t t, esp_transport_keep_alive_t *keep_alive_cfg);
void esp_transport_ssl_set_interface_name(esp_transport_handle_t t, struct ifreq *if_name);
void esp_transport_ssl_set_addr_family(esp_transport_handle_t t, esp_tls_addr_family_t addr_family);
#ifdef CONFIG_MBEDTLS_DYNAMIC_BUFFER
void esp_transport_ssl_set_esp_tls_dyn_buf_strategy(esp_transport_handle_t t, esp_tls_dyn_buf_strategy_t strategy);
#endif

#ifdef CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS
/**
 * Session resumption across connects. SAVE after a connect (for TLS 1.3, once a ticket has come,
 * that is after a read), USE before the next one. The transport keeps one session, with the host
 * and port (the name compared exactly) of the connection it came from, and offers it to that
 * host and port only: a connect elsewhere gets a full handshake. @return ESP_OK;
 * ESP_ERR_INVALID_ARG (NULL or an unknown operation); ESP_FAIL if SAVE found no session;
 * ESP_ERR_NO_MEM.
 */
esp_err_t esp_transport_ssl_session_ticket_operation(esp_transport_handle_t t,
                                                     esp_transport_session_ticket_operation_t operation);
#endif

#ifdef __cplusplus
}
#endif
