/* The TCP half of a connection: socket options, non-blocking connect to the resolved addresses,
 * plain I/O. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef __linux__ /* a port to another POSIX host starts here */
#error "Linux-only here: SO_BINDTODEVICE (if_name), TCP_KEEPIDLE/INTVL/CNT, SOCK_CLOEXEC, MSG_NOSIGNAL"
#endif

#include "esp_log.h"
#include "esp_tls_private.h"

static const char *TAG = "esp-tls-tcp";

static int set_int_option(int fd, int level, int name, int value)
{
    return setsockopt(fd, level, name, &value, sizeof(value));
}

static int set_keep_alive(int fd, const tls_keep_alive_cfg_t *ka)
{
    if (ka == NULL || !ka->keep_alive_enable) {
        return 0;
    }
    if (set_int_option(fd, SOL_SOCKET, SO_KEEPALIVE, 1) != 0) {
        return -1;
    }
    if ((ka->keep_alive_idle > 0 && set_int_option(fd, IPPROTO_TCP, TCP_KEEPIDLE, ka->keep_alive_idle) != 0) ||
        (ka->keep_alive_interval > 0 &&
         set_int_option(fd, IPPROTO_TCP, TCP_KEEPINTVL, ka->keep_alive_interval) != 0) ||
        (ka->keep_alive_count > 0 && set_int_option(fd, IPPROTO_TCP, TCP_KEEPCNT, ka->keep_alive_count) != 0)) {
        return -1;
    }
    return 0;
}

/* TCP_NODELAY: without it, TLS 1.2 handshakes stall ~40 ms on delayed ACKs. The send and
 * receive timeouts bound blocking reads and writes after the connect. */
static esp_err_t set_socket_options(int fd, const esp_tls_cfg_t *cfg, esp_tls_error_handle_t h)
{
    int ms = esp_tls_timeout_ms(cfg);
    struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
    int rc = set_int_option(fd, IPPROTO_TCP, TCP_NODELAY, 1);
    rc = rc ? rc : setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    rc = rc ? rc : setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    rc = rc ? rc : set_keep_alive(fd, cfg ? cfg->keep_alive_cfg : NULL);
    if (rc == 0 && cfg != NULL && cfg->if_name != NULL) {
        rc = setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, cfg->if_name, sizeof(struct ifreq));
    }
    if (rc != 0) {
        ESP_LOGE(TAG, "setsockopt failed: %s", strerror(errno));
        esp_tls_error_capture_errno(h, ESP_ERR_ESP_TLS_SOCKET_SETOPT_FAILED, errno);
        return ESP_ERR_ESP_TLS_SOCKET_SETOPT_FAILED;
    }
    return ESP_OK;
}

esp_err_t esp_tls_tcp_set_blocking(int sockfd, bool blocking, esp_tls_error_handle_t h)
{
    int flags = fcntl(sockfd, F_GETFL, 0);
    if (flags < 0 || fcntl(sockfd, F_SETFL, blocking ? (flags & ~O_NONBLOCK) : (flags | O_NONBLOCK)) < 0) {
        esp_tls_error_capture_errno(h, ESP_ERR_ESP_TLS_SOCKET_SETOPT_FAILED, errno);
        return ESP_ERR_ESP_TLS_SOCKET_SETOPT_FAILED;
    }
    return ESP_OK;
}

static esp_err_t start_connect(const esp_tls_addr_t *a, const esp_tls_cfg_t *cfg, esp_tls_error_handle_t h,
                               int *sockfd)
{
    int fd = socket(a->addr.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) {
        esp_tls_error_capture_errno(h, ESP_ERR_ESP_TLS_CANNOT_CREATE_SOCKET, errno);
        return ESP_ERR_ESP_TLS_CANNOT_CREATE_SOCKET;
    }
    esp_err_t err = set_socket_options(fd, cfg, h);
    err = err ? err : esp_tls_tcp_set_blocking(fd, false, h);
    if (err == ESP_OK && connect(fd, &a->addr.sa, a->len) != 0 && errno != EINPROGRESS) {
        ESP_LOGE(TAG, "connect failed: %s", strerror(errno));
        esp_tls_error_capture_errno(h, ESP_ERR_ESP_TLS_FAILED_CONNECT_TO_HOST, errno);
        err = ESP_ERR_ESP_TLS_FAILED_CONNECT_TO_HOST;
    }
    if (err != ESP_OK) {
        close(fd);
        return err;
    }
    *sockfd = fd;
    return ESP_OK;
}

esp_err_t esp_tls_tcp_start_next(esp_tls_dns_t *dns, const esp_tls_cfg_t *cfg, esp_tls_error_handle_t h,
                                 int *sockfd)
{
    esp_err_t err = ESP_ERR_ESP_TLS_FAILED_CONNECT_TO_HOST;
    const esp_tls_addr_t *a;
    while ((a = esp_tls_dns_next(dns)) != NULL) {
        err = start_connect(a, cfg, h, sockfd);
        if (err == ESP_OK) {
            break;
        }
    }
    return err;
}

/* The check ESP-IDF misses (its issue 7045): a writable socket may carry a failed connect. */
esp_err_t esp_tls_tcp_connect_result(int sockfd, esp_tls_error_handle_t h)
{
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    if (getsockopt(sockfd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) {
        so_error = errno;
    }
    if (so_error != 0) {
        ESP_LOGE(TAG, "connect failed: %s", strerror(so_error));
        esp_tls_error_capture_errno(h, ESP_ERR_ESP_TLS_FAILED_CONNECT_TO_HOST, so_error);
        return ESP_ERR_ESP_TLS_FAILED_CONNECT_TO_HOST;
    }
    return ESP_OK;
}

static esp_err_t wait_connected(int fd, esp_deadline_t deadline, esp_tls_error_handle_t h)
{
    struct pollfd pfd = { .fd = fd, .events = POLLOUT };
    int rc;
    do {
        rc = poll(&pfd, 1, esp_deadline_ms_left(deadline));
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) {
        esp_tls_error_capture(h, ESP_TLS_ERR_TYPE_ESP, ESP_ERR_ESP_TLS_CONNECTION_TIMEOUT);
        return ESP_ERR_ESP_TLS_CONNECTION_TIMEOUT;
    }
    return esp_tls_tcp_connect_result(fd, h);
}

/* Tries the addresses in order until one connects, all before the deadline. */
static esp_err_t connect_any(esp_tls_dns_t *dns, const esp_tls_cfg_t *cfg, esp_tls_error_handle_t h,
                             esp_deadline_t deadline, int *sockfd)
{
    esp_err_t err;
    while ((err = esp_tls_tcp_start_next(dns, cfg, h, sockfd)) == ESP_OK) {
        err = wait_connected(*sockfd, deadline, h);
        if (err == ESP_OK || err == ESP_ERR_ESP_TLS_CONNECTION_TIMEOUT) {
            break;
        }
        close(*sockfd);
        *sockfd = -1;
    }
    return err;
}

esp_err_t esp_tls_plain_tcp_connect(const char *host, int hostlen, int port, const esp_tls_cfg_t *cfg,
                                    esp_tls_error_handle_t error_handle, int *sockfd)
{
    if (host == NULL || hostlen <= 0 || port <= 0 || port > 65535 || sockfd == NULL) {
        esp_tls_error_capture(error_handle, ESP_TLS_ERR_TYPE_ESP, ESP_ERR_INVALID_ARG);
        return ESP_ERR_INVALID_ARG;
    }
    esp_deadline_t deadline = esp_deadline_in_ms(esp_tls_timeout_ms(cfg)); /* DNS and TCP */
    esp_tls_dns_t *dns = NULL;
    int fd = -1;
    esp_err_t err = esp_tls_dns_resolve(host, hostlen, port, cfg, error_handle, deadline, &dns);
    err = err ? err : connect_any(dns, cfg, error_handle, deadline, &fd);
    err = err ? err : esp_tls_tcp_set_blocking(fd, !(cfg && cfg->non_block), error_handle);
    esp_tls_dns_free(dns);
    if (err != ESP_OK) {
        if (fd >= 0) {
            close(fd);
        }
        return err;
    }
    *sockfd = fd;
    return ESP_OK;
}

ssize_t esp_tls_tcp_read(esp_tls_t *tls, char *data, size_t datalen)
{
    ssize_t n;
    do {
        n = recv(tls->sockfd, data, datalen, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return ESP_TLS_ERR_SSL_WANT_READ;
        }
        esp_tls_error_capture(&tls->error.parent, ESP_TLS_ERR_TYPE_SYSTEM, errno);
    }
    return n;
}

ssize_t esp_tls_tcp_write(esp_tls_t *tls, const char *data, size_t datalen)
{
    ssize_t n;
    do {
        n = send(tls->sockfd, data, datalen, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return ESP_TLS_ERR_SSL_WANT_WRITE;
        }
        esp_tls_error_capture(&tls->error.parent, ESP_TLS_ERR_TYPE_SYSTEM, errno);
    }
    return n;
}
