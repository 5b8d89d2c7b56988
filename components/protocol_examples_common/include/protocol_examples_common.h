/*
 * protocol_examples_common.h: the helper ESP-IDF's protocol examples connect with. On a chip
 * example_connect() brings up Wi-Fi or Ethernet and waits for an address; a host is already on
 * its network, so it succeeds at once and logs the host's address as the chip would.
 */
#pragma once

#include "esp_err.h"
#include "esp_netif.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The interface the examples use: the host's (esp_netif_get_default_netif()). */
#define EXAMPLE_INTERFACE get_example_netif()

/**
 * "Connects": logs "Connected to example_netif_sta" and the interface's IPv4 address, netmask
 * and gateway (a warning instead when the host has no IPv4 default route: then only local peers
 * are reachable). @return ESP_OK; ESP_ERR_INVALID_STATE before esp_netif_init(), as on ESP-IDF
 * an example must call it first
 */
esp_err_t example_connect(void);

/** @return ESP_OK; ESP_ERR_INVALID_STATE if example_connect() did not succeed before */
esp_err_t example_disconnect(void);

/** The host's interface once example_connect() succeeded, else NULL. */
esp_netif_t *get_example_netif(void);

#ifdef __cplusplus
}
#endif
