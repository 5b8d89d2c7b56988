/* example_connect() on a host: the network is there already; say so as the chip's helper does. */
#include <stdatomic.h>
#include <stdbool.h>

#include "esp_log.h"
#include "protocol_examples_common.h"

static const char *TAG = "example_connect";
static atomic_bool s_connected;

esp_err_t example_connect(void)
{
    esp_netif_t *netif = esp_netif_get_default_netif();
    if (netif == NULL) {
        ESP_LOGE(TAG, "esp_netif_init() must be called first");
        return ESP_ERR_INVALID_STATE;
    }
    esp_netif_ip_info_t ip;
    esp_err_t err = esp_netif_get_ip_info(netif, &ip);
    if (err != ESP_OK) {
        return err;
    }
    ESP_LOGI(TAG, "Connected to example_netif_sta");
    if (ip.ip.addr == 0) {
        ESP_LOGW(TAG, "The host has no IPv4 default route: only local peers are reachable");
    } else {
        ESP_LOGI(TAG, "- IPv4 address: " IPSTR ", netmask " IPSTR ", gateway " IPSTR, IP2STR(&ip.ip),
                 IP2STR(&ip.netmask), IP2STR(&ip.gw));
    }
    atomic_store(&s_connected, true);
    return ESP_OK;
}

esp_err_t example_disconnect(void)
{
    return atomic_exchange(&s_connected, false) ? ESP_OK : ESP_ERR_INVALID_STATE;
}

esp_netif_t *get_example_netif(void)
{
    return atomic_load(&s_connected) ? esp_netif_get_default_netif() : NULL;
}
