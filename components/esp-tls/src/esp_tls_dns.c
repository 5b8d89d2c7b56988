/*
 * Name resolution on c-ares (curl's resolver). getaddrinfo() blocks, so neither the async
 * connect's promise nor timeout_ms could hold across DNS. c-ares reads the system's resolver
 * configuration itself; this file starts a lookup, polls its sockets without waiting, and keeps
 * the answer as an array of addresses. One channel per lookup, freed as soon as it answers.
 *
 * c-ares allocates with malloc, not through the counting allocator: a channel of c-ares 1.18 is
 * about 75 KB, for the length of the lookup, where a device's resolver (lwIP's) uses static
 * tables. Counted, it would be twice a handshake's peak and fail every heap budget a device
 * lives with. (ares_library_init_mem() would also change the allocator of any other c-ares user
 * in the process.) The lookup's state and answer below are ours and counted.
 */
#define _GNU_SOURCE /* secure_getenv() */
#include <ares.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbedtls/platform.h"

#include "esp_log.h"
#include "esp_tls_dns.h"
#include "esp_tls_private.h"

static const char *TAG = "esp-tls-dns";

#define LOOKUP_PENDING (-1) /* status while no answer has come */

struct esp_tls_dns {
    ares_channel channel;  /* while the lookup runs */
    int status;            /* ARES_SUCCESS or the ARES_* failure; LOOKUP_PENDING before */
    char *host;            /* NUL-terminated copy, for the lookup and the log */
    esp_tls_addr_t *addrs; /* the answer, in the resolver's order */
    size_t count;
    size_t next;           /* the address esp_tls_dns_next() gives next */
};

static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static int library_status;

/* c-ares asks for one library init before its first use; never undone. */
static void library_init(void)
{
    library_status = ares_library_init(ARES_LIB_INIT_ALL);
}

static pthread_mutex_t test_servers_lock = PTHREAD_MUTEX_INITIALIZER;
static char test_servers[128];

void esp_tls_dns_set_servers_for_test(const char *servers)
{
    pthread_mutex_lock(&test_servers_lock);
    snprintf(test_servers, sizeof(test_servers), "%s", servers ? servers : "");
    pthread_mutex_unlock(&test_servers_lock);
}

static int apply_test_servers(ares_channel channel)
{
    pthread_mutex_lock(&test_servers_lock);
    int rc = test_servers[0] != '\0' ? ares_set_servers_ports_csv(channel, test_servers) : ARES_SUCCESS;
    pthread_mutex_unlock(&test_servers_lock);
    return rc;
}

/* CARES_HOSTS is c-ares's own variable for another hosts file. Like glibc's resolver variables,
 * it is ignored by a set-id program, whose environment its caller controls. */
static int hosts_file_flags(void)
{
    return secure_getenv("CARES_HOSTS") != NULL ? ARES_AI_ENVHOSTS : 0;
}

static bool alloc_addrs(esp_tls_dns_t *dns, size_t n)
{
    dns->addrs = n > 0 ? mbedtls_calloc(n, sizeof(*dns->addrs)) : NULL;
    return n == 0 || dns->addrs != NULL;
}

/* Appends an address of the wanted family (AF_UNSPEC: any) to the answer. */
static void add_addr(esp_tls_dns_t *dns, int family, const struct sockaddr *sa, socklen_t len)
{
    bool usable = sa->sa_family == AF_INET || sa->sa_family == AF_INET6;
    if (!usable || (family != AF_UNSPEC && sa->sa_family != family) || len > sizeof(dns->addrs[0].addr)) {
        return;
    }
    esp_tls_addr_t *a = &dns->addrs[dns->count++];
    memcpy(&a->addr, sa, len);
    a->len = len;
}

/* c-ares's answer; also called from within ares_getaddrinfo() (hosts file) and ares_destroy(). */
static void on_answer(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    (void)timeouts;
    esp_tls_dns_t *dns = arg;
    dns->status = status;
    size_t n = 0;
    for (const struct ares_addrinfo_node *node = res ? res->nodes : NULL; node != NULL; node = node->ai_next) {
        n++;
    }
    if (status == ARES_SUCCESS && !alloc_addrs(dns, n)) {
        dns->status = ARES_ENOMEM;
    }
    for (const struct ares_addrinfo_node *node = res ? res->nodes : NULL; dns->addrs && node; node = node->ai_next) {
        add_addr(dns, AF_UNSPEC, node->ai_addr, node->ai_addrlen);
    }
    ares_freeaddrinfo(res);
}

/* An address literal, read by getaddrinfo() (AI_NUMERICHOST looks nothing up, so it cannot
 * block), which also takes the forms c-ares 1.18 gets wrong (an IPv4 literal with AF_UNSPEC, a
 * scope id). @return true if host is a literal: then the answer is in, perhaps with no address
 * of the family. */
static bool answer_literal(esp_tls_dns_t *dns, const char *service, int family)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
    struct addrinfo *res = NULL;
    if (getaddrinfo(dns->host, service, &hints, &res) != 0) {
        return false;
    }
    size_t n = 0;
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        n++;
    }
    dns->status = alloc_addrs(dns, n) ? ARES_SUCCESS : ARES_ENOMEM;
    for (const struct addrinfo *ai = res; dns->addrs && ai; ai = ai->ai_next) {
        add_addr(dns, family, ai->ai_addr, ai->ai_addrlen);
    }
    freeaddrinfo(res);
    return true;
}

/* A channel with the system's configuration and the lookup on it. A failure to set it up is
 * the lookup's status, reported by esp_tls_dns_step(). */
static void start_lookup(esp_tls_dns_t *dns, const char *service, int family)
{
    pthread_once(&library_once, library_init);
    int rc = library_status == ARES_SUCCESS ? ares_init(&dns->channel) : library_status;
    rc = rc == ARES_SUCCESS ? apply_test_servers(dns->channel) : rc;
    if (rc != ARES_SUCCESS) {
        dns->status = rc;
        return;
    }
    struct ares_addrinfo_hints hints = { .ai_family = family, .ai_socktype = SOCK_STREAM,
                                         .ai_flags = ARES_AI_NUMERICSERV | hosts_file_flags() };
    ares_getaddrinfo(dns->channel, dns->host, service, &hints, on_answer, dns);
}

static bool family_of(const esp_tls_cfg_t *cfg, int *family)
{
    static const int families[] = { AF_UNSPEC, AF_INET, AF_INET6 };
    esp_tls_addr_family_t f = cfg ? cfg->addr_family : ESP_TLS_AF_UNSPEC;
    if ((unsigned)f > ESP_TLS_AF_INET6) {
        return false;
    }
    *family = families[f];
    return true;
}

esp_err_t esp_tls_dns_start(const char *host, int hostlen, int port, const esp_tls_cfg_t *cfg,
                            esp_tls_error_handle_t h, esp_tls_dns_t **out)
{
    *out = NULL;
    int family;
    if (!family_of(cfg, &family)) {
        esp_tls_error_capture(h, ESP_TLS_ERR_TYPE_ESP, ESP_ERR_ESP_TLS_UNSUPPORTED_PROTOCOL_FAMILY);
        return ESP_ERR_ESP_TLS_UNSUPPORTED_PROTOCOL_FAMILY;
    }
    esp_tls_dns_t *dns = mbedtls_calloc(1, sizeof(*dns));
    char *name = dns ? esp_tls_heap_strndup(host, (size_t)hostlen) : NULL;
    if (name == NULL) {
        mbedtls_free(dns);
        esp_tls_error_capture(h, ESP_TLS_ERR_TYPE_ESP, ESP_ERR_NO_MEM);
        return ESP_ERR_NO_MEM;
    }
    dns->host = name;
    dns->status = LOOKUP_PENDING;
    char service[8];
    snprintf(service, sizeof(service), "%d", port);
    if (!answer_literal(dns, service, family)) {
        start_lookup(dns, service, family);
    }
    *out = dns;
    return ESP_OK;
}

/* The lookup's sockets and what c-ares waits for on each. @return how many. The bits are read
 * unsigned: ARES_GETSOCK_WRITABLE() shifts a signed 1 by 31 for the last slot. */
static int lookup_pollfds(const esp_tls_dns_t *dns, struct pollfd fds[ARES_GETSOCK_MAXNUM])
{
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    unsigned bits = (unsigned)ares_getsock(dns->channel, socks, ARES_GETSOCK_MAXNUM);
    int n = 0;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
        short events = (short)((((bits >> i) & 1u) ? POLLIN : 0) |
                               (((bits >> (i + ARES_GETSOCK_MAXNUM)) & 1u) ? POLLOUT : 0));
        if (events != 0) {
            fds[n++] = (struct pollfd){ .fd = socks[i], .events = events };
        }
    }
    return n;
}

/* Lets c-ares read and write what its sockets have ready, then handle its retries. */
static void process_ready(esp_tls_dns_t *dns)
{
    struct pollfd fds[ARES_GETSOCK_MAXNUM];
    int n = lookup_pollfds(dns, fds);
    if (n > 0 && poll(fds, (nfds_t)n, 0) > 0) {
        for (int i = 0; i < n; i++) {
            short r = fds[i].revents;
            ares_socket_t rd = (r & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD;
            ares_socket_t wr = (r & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD;
            if (rd != ARES_SOCKET_BAD || wr != ARES_SOCKET_BAD) {
                ares_process_fd(dns->channel, rd, wr);
            }
        }
    }
    ares_process_fd(dns->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

static void close_channel(esp_tls_dns_t *dns)
{
    if (dns->channel != NULL) {
        ares_destroy(dns->channel); /* a lookup under way ends with ARES_EDESTRUCTION */
        dns->channel = NULL;
    }
}

static esp_err_t report_failure(const esp_tls_dns_t *dns, esp_tls_error_handle_t h)
{
    int status = dns->status == ARES_SUCCESS ? ARES_ENODATA : dns->status; /* none of the family */
    esp_err_t err = status == ARES_ENOMEM ? ESP_ERR_NO_MEM : ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME;
    ESP_LOGE(TAG, "couldn't resolve %s: %s", dns->host, ares_strerror(status));
    esp_tls_error_capture_errno(h, err, status == ARES_ETIMEOUT ? ETIMEDOUT : 0);
    return err;
}

esp_err_t esp_tls_dns_step(esp_tls_dns_t *dns, esp_tls_error_handle_t h)
{
    if (dns->status == LOOKUP_PENDING) {
        process_ready(dns);
    }
    if (dns->status == LOOKUP_PENDING) {
        return ESP_ERR_NOT_FINISHED;
    }
    close_channel(dns);
    return dns->status == ARES_SUCCESS && dns->count > 0 ? ESP_OK : report_failure(dns, h);
}

bool esp_tls_dns_in_progress(const esp_tls_dns_t *dns)
{
    return dns != NULL && dns->status == LOOKUP_PENDING;
}

int esp_tls_dns_wait(esp_tls_dns_t *dns, int max_ms)
{
    struct pollfd fds[ARES_GETSOCK_MAXNUM];
    int n = lookup_pollfds(dns, fds);
    struct timeval max = { .tv_sec = max_ms / 1000, .tv_usec = (max_ms % 1000) * 1000 }, tv;
    const struct timeval *next = ares_timeout(dns->channel, &max, &tv);
    int ms = (int)(next->tv_sec * 1000 + (next->tv_usec + 999) / 1000);
    int rc = poll(fds, (nfds_t)n, ms);
    return rc > 0 ? rc : 0;
}

void esp_tls_dns_timed_out(const esp_tls_dns_t *dns, esp_tls_error_handle_t h)
{
    ESP_LOGE(TAG, "couldn't resolve %s: no answer within the connect's timeout", dns->host);
    esp_tls_error_capture_errno(h, ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME, ETIMEDOUT);
}

esp_err_t esp_tls_dns_resolve(const char *host, int hostlen, int port, const esp_tls_cfg_t *cfg,
                              esp_tls_error_handle_t h, int64_t deadline_us, esp_tls_dns_t **out)
{
    esp_err_t err = esp_tls_dns_start(host, hostlen, port, cfg, h, out);
    if (err != ESP_OK) {
        return err;
    }
    while ((err = esp_tls_dns_step(*out, h)) == ESP_ERR_NOT_FINISHED) {
        int left_ms = esp_tls_ms_until(deadline_us);
        if (left_ms == 0) {
            esp_tls_dns_timed_out(*out, h);
            return ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME;
        }
        esp_tls_dns_wait(*out, left_ms);
    }
    return err;
}

const esp_tls_addr_t *esp_tls_dns_next(esp_tls_dns_t *dns)
{
    return dns->next < dns->count ? &dns->addrs[dns->next++] : NULL;
}

void esp_tls_dns_free(esp_tls_dns_t *dns)
{
    if (dns == NULL) {
        return;
    }
    close_channel(dns);
    mbedtls_free(dns->addrs);
    mbedtls_free(dns->host);
    mbedtls_free(dns);
}
