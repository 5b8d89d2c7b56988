/*
 * esp_netif.h: the part of ESP-IDF v5.5's network interface API that networking code and the
 * protocol examples use. A host is already on its network: there is one interface, the one the
 * host's IPv4 default route goes out of, and its addresses are the host's (read when asked, so
 * they follow the host's changes). Addresses are in network byte order, as lwIP keeps them.
 */
#pragma once

#include <stdint.h>

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ESP_ERR_ESP_NETIF_BASE 0x5000
#define ESP_ERR_ESP_NETIF_INVALID_PARAMS (ESP_ERR_ESP_NETIF_BASE + 0x01)
#define ESP_ERR_ESP_NETIF_IF_NOT_READY (ESP_ERR_ESP_NETIF_BASE + 0x02)

typedef struct esp_netif_obj esp_netif_t;

typedef struct {
    uint32_t addr; /*!< IPv4 address, network byte order */
} esp_ip4_addr_t;

typedef struct {
    esp_ip4_addr_t ip;      /*!< the interface's address */
    esp_ip4_addr_t netmask; /*!< its network's mask */
    esp_ip4_addr_t gw;      /*!< the default route's gateway */
} esp_netif_ip_info_t;

#define esp_ip4_addr_get_byte(ipaddr, idx) (((const uint8_t *)(&(ipaddr)->addr))[idx])
#define esp_ip4_addr1(ipaddr) esp_ip4_addr_get_byte(ipaddr, 0)
#define esp_ip4_addr2(ipaddr) esp_ip4_addr_get_byte(ipaddr, 1)
#define esp_ip4_addr3(ipaddr) esp_ip4_addr_get_byte(ipaddr, 2)
#define esp_ip4_addr4(ipaddr) esp_ip4_addr_get_byte(ipaddr, 3)
#define esp_ip4_addr1_16(ipaddr) ((uint16_t)esp_ip4_addr1(ipaddr))
#define esp_ip4_addr2_16(ipaddr) ((uint16_t)esp_ip4_addr2(ipaddr))
#define esp_ip4_addr3_16(ipaddr) ((uint16_t)esp_ip4_addr3(ipaddr))
#define esp_ip4_addr4_16(ipaddr) ((uint16_t)esp_ip4_addr4(ipaddr))

/** Format and arguments to print an esp_ip4_addr_t *: printf(IPSTR, IP2STR(&info.ip)). */
#define IPSTR "%d.%d.%d.%d"
#define IP2STR(ipaddr) esp_ip4_addr1_16(ipaddr), esp_ip4_addr2_16(ipaddr), esp_ip4_addr3_16(ipaddr), \
    esp_ip4_addr4_16(ipaddr)

/** Starts the network interface layer. Calling it again does no harm. @return ESP_OK */
esp_err_t esp_netif_init(void);

/** The host's interface (see above), once esp_netif_init() has run; NULL before. */
esp_netif_t *esp_netif_get_default_netif(void);

/** The interface's description, "host". */
const char *esp_netif_get_desc(esp_netif_t *esp_netif);

/**
 * The host's IPv4 address and netmask on the default route's interface, and that route's
 * gateway. A host without an IPv4 default route (or without an address there) gives zeros, as
 * an interface with no address does on ESP-IDF.
 * @return ESP_OK; ESP_ERR_ESP_NETIF_INVALID_PARAMS (a NULL argument)
 */
esp_err_t esp_netif_get_ip_info(esp_netif_t *esp_netif, esp_netif_ip_info_t *ip_info);

#ifdef __cplusplus
}
#endif
