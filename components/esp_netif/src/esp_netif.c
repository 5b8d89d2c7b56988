/* The host's network interface, found through its IPv4 default route. */
#ifndef __linux__ /* a port to another POSIX host starts here */
#error "Linux-only here: /proc/net/route for the default route"
#endif

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "esp_netif.h"

#define RTF_UP_FLAG 0x0001 /* <net/route.h>'s RTF_UP */

struct esp_netif_obj {
    const char *desc;
};

static esp_netif_t s_host = { .desc = "host" };
static atomic_bool s_started;

esp_err_t esp_netif_init(void)
{
    atomic_store(&s_started, true);
    return ESP_OK;
}

esp_netif_t *esp_netif_get_default_netif(void)
{
    return atomic_load(&s_started) ? &s_host : NULL;
}

const char *esp_netif_get_desc(esp_netif_t *esp_netif)
{
    return esp_netif != NULL ? esp_netif->desc : NULL;
}

/* The IPv4 default route with the lowest metric, from /proc/net/route (its numbers are the
 * kernel's u32s in hex; as stored on this host they are the addresses' network-order bytes). */
static bool default_route(char ifname[IF_NAMESIZE], uint32_t *gateway)
{
    FILE *f = fopen("/proc/net/route", "re");
    if (f == NULL) {
        return false;
    }
    char line[256];
    bool found = false;
    unsigned best_metric = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        char name[IF_NAMESIZE];
        unsigned dest, gw, flags, metric, mask;
        if (sscanf(line, "%15s %x %x %x %*d %*d %u %x", name, &dest, &gw, &flags, &metric, &mask) != 6 ||
            dest != 0 || mask != 0 || !(flags & RTF_UP_FLAG) || (found && metric >= best_metric)) {
            continue;
        }
        snprintf(ifname, IF_NAMESIZE, "%s", name);
        *gateway = gw;
        best_metric = metric;
        found = true;
    }
    fclose(f);
    return found;
}

/* The interface's first IPv4 address and its mask. */
static void interface_address(const char *ifname, esp_netif_ip_info_t *info)
{
    struct ifaddrs *all;
    if (getifaddrs(&all) != 0) {
        return;
    }
    for (struct ifaddrs *a = all; a != NULL; a = a->ifa_next) {
        if (a->ifa_addr != NULL && a->ifa_netmask != NULL && a->ifa_addr->sa_family == AF_INET &&
            strcmp(a->ifa_name, ifname) == 0) {
            info->ip.addr = ((const struct sockaddr_in *)(const void *)a->ifa_addr)->sin_addr.s_addr;
            info->netmask.addr = ((const struct sockaddr_in *)(const void *)a->ifa_netmask)->sin_addr.s_addr;
            break;
        }
    }
    freeifaddrs(all);
}

esp_err_t esp_netif_get_ip_info(esp_netif_t *esp_netif, esp_netif_ip_info_t *ip_info)
{
    if (esp_netif == NULL || ip_info == NULL) {
        return ESP_ERR_ESP_NETIF_INVALID_PARAMS;
    }
    memset(ip_info, 0, sizeof(*ip_info));
    char ifname[IF_NAMESIZE];
    uint32_t gateway;
    if (default_route(ifname, &gateway)) {
        ip_info->gw.addr = gateway;
        interface_address(ifname, ip_info);
    }
    return ESP_OK;
}
