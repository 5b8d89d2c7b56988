/* diagnose: reachability. Every address the name has, and a TCP connect to each through
 * esp_tls_plain_tcp_connect(), ESP-TLS's own TCP path, each timed. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "diagnose.h"
#include "esp_timer.h"

#define TCP_TIMEOUT_MS 5000
#define MAX_ADDRESSES 16

/* TCP to one address; adds its finding. @return 0 if it accepted. */
static int try_address(diag_t *d, const char *addr, int port)
{
    esp_tls_cfg_t cfg = { .timeout_ms = TCP_TIMEOUT_MS };
    int fd = -1;
    int64_t start = esp_timer_get_time();
    esp_err_t err = esp_tls_plain_tcp_connect(addr, (int)strlen(addr), port, &cfg, NULL, &fd);
    double ms = (double)(esp_timer_get_time() - start) / 1000.0;
    if (fd >= 0) {
        close(fd);
    }
    cJSON *f = diag_add(d, "tcp", err == ESP_OK ? DIAG_OK : DIAG_INFO);
    diag_string(f, "address", addr);
    diag_number(f, "ms", ms);
    diag_bool(f, "connected", err == ESP_OK);
    if (err == ESP_OK) {
        diag_text(f, "saw", "%s port %d accepted a TCP connection in %.2f ms", addr, port, ms);
    } else {
        diag_text(f, "saw", "%s port %d: no TCP connection (%s) after %.2f ms", addr, port, esp_err_to_name(err), ms);
        diag_text(f, "means", "a device that resolves to this address fails here; ESP-TLS goes on to the next "
                              "address only where the resolver gives more than one");
    }
    return err == ESP_OK ? 0 : -1;
}

static void address_text(const struct addrinfo *ai, char *out, size_t len)
{
    const void *a = ai->ai_family == AF_INET ? (const void *)&((const struct sockaddr_in *)ai->ai_addr)->sin_addr
                                             : (const void *)&((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
    inet_ntop(ai->ai_family, a, out, (socklen_t)len);
}

/* The DNS finding: every address, one line. */
static void dns_finding(diag_t *d, const diag_opts_t *o, char addrs[][INET6_ADDRSTRLEN], int n, double ms)
{
    cJSON *f = diag_add(d, "dns", DIAG_OK);
    cJSON *list = cJSON_CreateArray();
    char text[MAX_ADDRESSES * (INET6_ADDRSTRLEN + 2)] = "";
    for (int i = 0; i < n; i++) {
        cJSON_AddItemToArray(list, cJSON_CreateString(addrs[i]));
        strcat(text, i > 0 ? ", " : "");
        strcat(text, addrs[i]);
    }
    if (f != NULL) {
        cJSON_AddItemToObject(cJSON_GetObjectItem(f, "data"), "addresses", list);
    } else {
        cJSON_Delete(list);
    }
    diag_number(f, "ms", ms);
    diag_text(f, "saw", "%s has %d address%s: %s (%.2f ms)", o->host, n, n == 1 ? "" : "es", text, ms);
}

int diag_reachability(diag_t *d, const diag_opts_t *o)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG }, *res = NULL;
    int64_t start = esp_timer_get_time();
    int rc = getaddrinfo(o->host, NULL, &hints, &res);
    double ms = (double)(esp_timer_get_time() - start) / 1000.0;
    if (rc != 0) {
        cJSON *f = diag_add(d, "dns", DIAG_FAIL);
        diag_text(f, "saw", "%s does not resolve: %s", o->host, gai_strerror(rc));
        diag_text(f, "means", "the device fails with ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME");
        diag_text(f, "fix", "check the name, and the DNS server the device gets (DHCP or esp_netif_set_dns_info())");
        return -1;
    }
    char addrs[MAX_ADDRESSES][INET6_ADDRSTRLEN];
    int n = 0;
    for (const struct addrinfo *ai = res; ai != NULL && n < MAX_ADDRESSES; ai = ai->ai_next) {
        address_text(ai, addrs[n], sizeof(addrs[n]));
        n++;
    }
    freeaddrinfo(res);
    dns_finding(d, o, addrs, n, ms);
    int reached = 0;
    for (int i = 0; i < n; i++) {
        reached += try_address(d, addrs[i], o->port) == 0;
    }
    if (reached == 0) {
        cJSON *f = diag_add(d, "reachability", DIAG_FAIL);
        diag_text(f, "saw", "no address of %s accepts TCP on port %d", o->host, o->port);
        diag_text(f, "means", "the device fails with ESP_ERR_ESP_TLS_FAILED_CONNECT_TO_HOST before any TLS");
        diag_text(f, "fix", "check the port, the server, and any firewall between the device and the server");
    }
    return reached > 0 ? 0 : -1;
}
