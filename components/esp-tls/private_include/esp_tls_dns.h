/*
 * Name resolution inside the connect: c-ares, driven without ever waiting, so that the async
 * connect never blocks and one deadline covers DNS, TCP and TLS. Not public.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "esp_deadline.h"
#include "esp_tls.h"

/* One address of the answer, with the port in it. */
typedef struct {
    union {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
    } addr;
    socklen_t len;
} esp_tls_addr_t;

/* A lookup, then its answer: from esp_tls_dns_start() to esp_tls_dns_free(). */
typedef struct esp_tls_dns esp_tls_dns_t;

/*
 * Starts resolving the first hostlen bytes of host for port, with cfg's address family (cfg may
 * be NULL). An address literal is answered at once, as getaddrinfo() reads it. A name goes to
 * c-ares with the system's configuration: the hosts file (CARES_HOSTS names another, except in
 * a set-id program), resolv.conf's servers, search domains, ndots and options, LOCALDOMAIN and
 * RES_OPTIONS, and nsswitch.conf's order of files and dns; the addresses come sorted by RFC
 * 6724. Nothing here waits.
 * One c-ares channel serves every lookup of the process: the first lookup makes it (c-ares
 * 1.18's is some 75 KB, never charged to a connection), and a lookup that finds resolv.conf
 * (its identity, size or times), LOCALDOMAIN or RES_OPTIONS changed since makes a new one
 * (nsswitch.conf is read with them). The hosts file is read by each lookup. Thread-safe; in a
 * forked child, the parent's lookups end and the child's use a channel of its own.
 * @return ESP_OK with *out (free it with esp_tls_dns_free()); ESP_ERR_NO_MEM or
 *         ESP_ERR_ESP_TLS_UNSUPPORTED_PROTOCOL_FAMILY, recorded in h, with *out NULL.
 */
esp_err_t esp_tls_dns_start(const char *host, int hostlen, int port, const esp_tls_cfg_t *cfg,
                            esp_tls_error_handle_t h, esp_tls_dns_t **out);

/*
 * Handles what the resolver's sockets and timers have ready, without waiting.
 * @return ESP_OK once the answer holds at least one address; ESP_ERR_NOT_FINISHED while the
 *         lookup waits for the network; ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME, or
 *         ESP_ERR_NO_MEM when c-ares ran out of memory (logged, recorded in h).
 */
esp_err_t esp_tls_dns_step(esp_tls_dns_t *dns, esp_tls_error_handle_t h);

/* Whether the lookup is still waiting for the network; false for NULL. */
bool esp_tls_dns_in_progress(const esp_tls_dns_t *dns);

/* Waits at most max_ms for one of the channel's sockets, the channel's next retry, or the answer
 * (which another thread may have read). Holds no lock while it waits.
 * @return > 0 if something is ready (call esp_tls_dns_step()), else 0. */
int esp_tls_dns_wait(esp_tls_dns_t *dns, int max_ms);

/* The deadline came before the answer: logs it and records ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME
 * with errno ETIMEDOUT in h. */
void esp_tls_dns_timed_out(const esp_tls_dns_t *dns, esp_tls_error_handle_t h);

/* esp_tls_dns_start(), then steps and waits until the answer or the deadline.
 * @return as esp_tls_dns_step(), never ESP_ERR_NOT_FINISHED; *out is set whenever it is not NULL. */
esp_err_t esp_tls_dns_resolve(const char *host, int hostlen, int port, const esp_tls_cfg_t *cfg,
                              esp_tls_error_handle_t h, esp_deadline_t deadline, esp_tls_dns_t **out);

/* The answer's next address, in the resolver's order; NULL when all were given (or none came). */
const esp_tls_addr_t *esp_tls_dns_next(esp_tls_dns_t *dns);

/* Frees the lookup and its answer. A query still under way stays on the channel until its answer
 * or cancellation, which then touches nothing of dns; it is cancelled (its socket closed) as soon
 * as no other lookup waits on the channel. NULL is ignored. */
void esp_tls_dns_free(esp_tls_dns_t *dns);

/*
 * For tests only: the DNS servers of every lookup from now on, in the form of c-ares's
 * ares_set_servers_ports_csv() ("127.0.0.1:5353"), instead of resolv.conf's. NULL or "" goes
 * back to resolv.conf's. The next lookup makes a new channel with them; lookups under way keep
 * theirs. Not in any public header, so that no configuration can reach it.
 */
void esp_tls_dns_set_servers_for_test(const char *servers);
