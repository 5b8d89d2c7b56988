/* Plain TCP transport ("http", default port 80), as ESP-IDF's esp_transport_tcp.h. */
#pragma once

#include <net/if.h>

#include "esp_transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A TCP transport. @return NULL when out of memory. */
esp_transport_handle_t esp_transport_tcp_init(void);

/** Keep-alive for the next connect (copied). */
void esp_transport_tcp_set_keep_alive(esp_transport_handle_t t, esp_transport_keep_alive_t *keep_alive_cfg);

/** Binds the next connect to an interface (SO_BINDTODEVICE; needs CAP_NET_RAW); copied. */
void esp_transport_tcp_set_interface_name(esp_transport_handle_t t, struct ifreq *if_name);

#ifdef __cplusplus
}
#endif
