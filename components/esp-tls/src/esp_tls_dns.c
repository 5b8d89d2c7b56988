/*
 * Name resolution on c-ares (curl's resolver). getaddrinfo() blocks, so neither the async
 * connect's promise nor timeout_ms could hold across DNS. c-ares reads the system's resolver
 * configuration itself; this file starts a lookup, polls c-ares's sockets without waiting, and
 * keeps the answer as an array of addresses.
 *
 * One c-ares channel serves the whole process. A channel of c-ares 1.18 is some 75 KB of fixed
 * query tables; one per lookup would make every connection pay that during its DNS, and N
 * concurrent connects N times. The channel is made by the first lookup and kept, like PSA's
 * globals. It reads resolv.conf, LOCALDOMAIN and RES_OPTIONS (and nsswitch.conf, not watched)
 * only when it is made (1.18 has no ares_reinit()), so a lookup that finds any of them changed
 * makes a new channel; the old one is retired and goes once no connection waits on it. The hosts
 * file is read by each lookup. Address literals and localhost (RFC 6761) need no lookup, and
 * never make the channel.
 *
 * Threads: c-ares 1.18 channels are not thread-safe, so every call on a channel, and the state
 * below, is under one mutex; c-ares's callbacks run under it too, on the thread of whichever
 * lookup drove the channel. It is never held while waiting: the async steps poll with a zero
 * timeout, and a sync wait takes the sockets under the mutex and polls them without it (see
 * esp_tls_dns_wait()).
 *
 * c-ares allocates with malloc, not through the counting allocator: the channel is the
 * process's, and a lookup's share lives as long as c-ares's query, which can outlive its
 * connection (a connection destroyed mid-lookup leaves its query behind, see detach_query()).
 * (ares_library_init_mem() would also change the allocator of any other c-ares user in the
 * process.) The connection's own part (esp_tls_dns_t: the name, the answer) is counted.
 */
#define _GNU_SOURCE /* secure_getenv(), pipe2() */
#ifndef __linux__ /* a port to another POSIX host starts here */
#error "Linux-only here: pipe2() (pipe() + fcntl() elsewhere), secure_getenv() (issetugid() on the BSDs)"
#endif

#include <ares.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mbedtls/platform.h"

#include "esp_log.h"
#include "esp_tls_dns.h"
#include "esp_tls_private.h"

static const char *TAG = "esp-tls-dns";

#define LOOKUP_PENDING (-1)            /* status while no answer has come */
#define RESOLV_CONF "/etc/resolv.conf" /* where c-ares 1.18 reads it (its PATH_RESOLV_CONF) */
#define UNWOKEN_WAIT_MS 20             /* a sync wait's longest sleep if it has no wake-up pipe */

/* resolv.conf as a channel read it: a file put in its place, or written, differs in one of these. */
typedef struct {
    bool present;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
} file_id_t;

typedef struct dns_channel {
    ares_channel ares;
    unsigned waiting;                /* its queries whose connection still waits for the answer */
    file_id_t resolv_conf;           /* the configuration it was made with */
    char *localdomain, *res_options; /* (NULL: the variable was unset) */
    struct dns_channel *next;        /* in the retired list */
} dns_channel_t;

/* A lookup in c-ares's hands, under the mutex. The connection takes the answer from it and frees
 * it; a connection that leaves first marks it orphaned, and then c-ares's callback frees it. */
typedef struct {
    dns_channel_t *channel;
    bool orphaned;
    int status;                /* LOOKUP_PENDING, then c-ares's */
    struct ares_addrinfo *res; /* the answer, until the connection takes it */
} dns_query_t;

/* A sync wait under way. Its pipe is written when its query is answered or when the channel's
 * sockets change, whichever thread does it. */
typedef struct dns_waiter {
    int wake[2];
    const dns_query_t *query;
    struct dns_waiter *next;
} dns_waiter_t;

struct esp_tls_dns {
    dns_query_t *query;    /* while c-ares has the lookup or its answer is not taken */
    int status;            /* ARES_SUCCESS or the ARES_* failure; LOOKUP_PENDING before */
    char *host;            /* NUL-terminated copy, for the lookup and the log */
    esp_tls_addr_t *addrs; /* the answer, in the resolver's order */
    size_t count;
    size_t next;           /* the address esp_tls_dns_next() gives next */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static dns_channel_t *current; /* new lookups go to it; NULL until the first */
static dns_channel_t *retired; /* older channels with lookups still waiting on them */
static dns_waiter_t *waiters;
static char test_servers[128]; /* esp_tls_dns_set_servers_for_test(); "": resolv.conf's */

static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static int library_status;

static void wake(const dns_waiter_t *w)
{
    ssize_t rc = write(w->wake[1], "", 1); /* a full pipe is awake already */
    (void)rc;
}

/* c-ares opened or closed a socket, or changed what it waits for on one: every sync wait takes
 * the sockets afresh. Under the mutex, as every c-ares call. */
static void sockets_changed(void *data, ares_socket_t s, int readable, int writable)
{
    (void)data;
    (void)s;
    (void)readable;
    (void)writable;
    for (const dns_waiter_t *w = waiters; w != NULL; w = w->next) {
        wake(w);
    }
}

/* Cancels the lookups still on it (each one's callback runs) and frees it. */
static void destroy_channel(dns_channel_t *ch)
{
    ares_destroy(ch->ares);
    free(ch->localdomain);
    free(ch->res_options);
    free(ch);
}

static void unlink_retired(const dns_channel_t *ch)
{
    dns_channel_t **p = &retired;
    while (*p != ch) {
        p = &(*p)->next;
    }
    *p = ch->next;
}

/* When no connection waits on a channel any more, the lookups left on it are orphaned ones: they
 * are cancelled, which frees them and closes the sockets. A retired channel goes too; the
 * current one stays for the next lookup. Never called from within a c-ares call. */
static void settle(dns_channel_t *ch)
{
    if (ch->waiting > 0) {
        return;
    }
    if (ch == current) {
        ares_cancel(ch->ares);
        return;
    }
    unlink_retired(ch);
    destroy_channel(ch);
}

/* New lookups go to a new channel from now on; this one ends when no lookup waits on it. */
static void retire_current(void)
{
    dns_channel_t *ch = current;
    if (ch == NULL) {
        return;
    }
    current = NULL;
    ch->next = retired;
    retired = ch;
    settle(ch);
}

/* fork(): the lock is taken around it, so that the child's copy of the state is whole. */
static void before_fork(void)
{
    pthread_mutex_lock(&lock);
}

static void after_fork_in_parent(void)
{
    pthread_mutex_unlock(&lock);
}

/* The child has copies of the channels' sockets. Using them, its lookups could read the parent's
 * answers and the parent's lookups lose them (or the reverse), so the child drops every channel
 * and makes its own at its first lookup. Closing its copies leaves the parent's sockets open. A
 * lookup under way in the child's copy of a connection ends with ARES_EDESTRUCTION. The waiters
 * were other threads', which the child does not have: their pipes are closed, never written. */
static void after_fork_in_child(void)
{
    for (dns_waiter_t *w = waiters; w != NULL; w = w->next) {
        close(w->wake[0]);
        close(w->wake[1]);
    }
    waiters = NULL;
    while (retired != NULL) {
        dns_channel_t *ch = retired;
        retired = ch->next;
        destroy_channel(ch);
    }
    if (current != NULL) {
        destroy_channel(current);
        current = NULL;
    }
    pthread_mutex_unlock(&lock);
}

/* c-ares asks for one library init before its first use; never undone. */
static void library_init(void)
{
    library_status = ares_library_init(ARES_LIB_INIT_ALL);
    if (library_status == ARES_SUCCESS && pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child) != 0) {
        library_status = ARES_ENOMEM;
    }
}

void esp_tls_dns_set_servers_for_test(const char *servers)
{
    pthread_mutex_lock(&lock);
    snprintf(test_servers, sizeof(test_servers), "%s", servers ? servers : "");
    retire_current(); /* lookups under way keep their servers */
    pthread_mutex_unlock(&lock);
}

static file_id_t file_id(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        return (file_id_t){ .present = false };
    }
    return (file_id_t){ .present = true, .dev = st.st_dev, .ino = st.st_ino, .size = st.st_size,
                        .mtime = st.st_mtim, .ctime = st.st_ctim };
}

static bool same_time(struct timespec a, struct timespec b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static bool same_file(const file_id_t *a, const file_id_t *b)
{
    return a->present == b->present && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           same_time(a->mtime, b->mtime) && same_time(a->ctime, b->ctime);
}

/* Whether the variable name still has the value kept (NULL: unset). c-ares reads it with
 * getenv(); glibc clears both variables in a set-id program. */
static bool same_env(const char *kept, const char *name)
{
    const char *now = getenv(name);
    return kept == NULL || now == NULL ? kept == now : strcmp(kept, now) == 0;
}

static bool configuration_changed(const dns_channel_t *ch, const file_id_t *resolv_conf)
{
    return !same_file(&ch->resolv_conf, resolv_conf) || !same_env(ch->localdomain, "LOCALDOMAIN") ||
           !same_env(ch->res_options, "RES_OPTIONS");
}

static bool copy_env(const char *name, char **out)
{
    const char *value = getenv(name);
    *out = value != NULL ? strdup(value) : NULL;
    return value == NULL || *out != NULL;
}

/* A channel with the system's configuration (and the tests' servers). What it is compared by
 * later is read first, so that a change while c-ares reads is seen by the next lookup. */
static int new_channel(const file_id_t *resolv_conf, dns_channel_t **out)
{
    dns_channel_t *ch = calloc(1, sizeof(*ch));
    if (ch == NULL) {
        return ARES_ENOMEM;
    }
    ch->resolv_conf = *resolv_conf;
    if (!copy_env("LOCALDOMAIN", &ch->localdomain) || !copy_env("RES_OPTIONS", &ch->res_options)) {
        destroy_channel(ch); /* no ares channel yet: ares_destroy(NULL) does nothing */
        return ARES_ENOMEM;
    }
    struct ares_options options = { .sock_state_cb = sockets_changed };
    int rc = ares_init_options(&ch->ares, &options, ARES_OPT_SOCK_STATE_CB);
    if (rc == ARES_SUCCESS && test_servers[0] != '\0') {
        rc = ares_set_servers_ports_csv(ch->ares, test_servers);
    }
    if (rc != ARES_SUCCESS) {
        destroy_channel(ch);
        return rc;
    }
    *out = ch;
    return ARES_SUCCESS;
}

/* The channel for a new lookup: the current one, unless the configuration changed since it was
 * made (a stat() and two getenv() per lookup). */
static int channel_for_lookup(dns_channel_t **out)
{
    file_id_t resolv_conf = file_id(RESOLV_CONF);
    if (current == NULL || configuration_changed(current, &resolv_conf)) {
        retire_current();
        int rc = new_channel(&resolv_conf, &current);
        if (rc != ARES_SUCCESS) {
            return rc;
        }
    }
    *out = current;
    return ARES_SUCCESS;
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

/* c-ares's answer, under the mutex: within ares_getaddrinfo() (the hosts file), on the thread
 * that drove the channel, or when the channel cancels or destroys its lookups. The connection
 * converts it on its own thread (its allocations are charged to it); an orphan is freed. */
static void on_answer(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    (void)timeouts;
    dns_query_t *q = arg;
    if (q->orphaned) {
        ares_freeaddrinfo(res);
        free(q);
        return;
    }
    q->channel->waiting--;
    q->status = status;
    q->res = res;
    for (const dns_waiter_t *w = waiters; w != NULL; w = w->next) {
        if (w->query == q) {
            wake(w);
        }
    }
}

/* The answer, as the connection keeps it (charged to the connection's account). */
static void take_answer(esp_tls_dns_t *dns, int status, struct ares_addrinfo *res)
{
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

/* RFC 6761 (6.3): "localhost" and the names under it, any case, with or without the final dot. */
static bool is_localhost(const char *host)
{
    size_t len = strlen(host);
    if (len > 0 && host[len - 1] == '.') {
        len--;
    }
    static const char name[] = "localhost";
    size_t name_len = sizeof(name) - 1;
    if (len < name_len || strncasecmp(host + len - name_len, name, name_len) != 0) {
        return false;
    }
    return len == name_len || host[len - name_len - 1] == '.';
}

/*
 * The loopback addresses for localhost without a lookup, as curl (7.85 on) answers them: IPv4
 * first, where loopback servers most often listen (with ::1 first, a connection to a port that
 * another program holds on ::1 alone would reach that one). So such a connection never makes the
 * resolver's channel (c-ares 1.18's fixed tables are some 75 KB). @return true if host is
 * localhost: then the answer is in.
 */
static bool answer_localhost(esp_tls_dns_t *dns, int port, int family)
{
    if (!is_localhost(dns->host)) {
        return false;
    }
    struct sockaddr_in v4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct sockaddr_in6 v6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port),
                               .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    dns->status = alloc_addrs(dns, 2) ? ARES_SUCCESS : ARES_ENOMEM;
    if (dns->addrs != NULL) {
        add_addr(dns, family, (const struct sockaddr *)&v4, sizeof(v4));
        add_addr(dns, family, (const struct sockaddr *)&v6, sizeof(v6));
    }
    return true;
}

/* The lookup, on the process's channel. A failure to set it up is the lookup's status, reported
 * by esp_tls_dns_step(). */
static void start_lookup(esp_tls_dns_t *dns, const char *service, int family)
{
    pthread_once(&library_once, library_init);
    dns_query_t *q = library_status == ARES_SUCCESS ? calloc(1, sizeof(*q)) : NULL;
    if (q == NULL) {
        dns->status = library_status == ARES_SUCCESS ? ARES_ENOMEM : library_status;
        return;
    }
    struct ares_addrinfo_hints hints = { .ai_family = family, .ai_socktype = SOCK_STREAM,
                                         .ai_flags = ARES_AI_NUMERICSERV | hosts_file_flags() };
    pthread_mutex_lock(&lock);
    int rc = channel_for_lookup(&q->channel);
    if (rc == ARES_SUCCESS) {
        q->status = LOOKUP_PENDING;
        q->channel->waiting++;
        dns->query = q;
        ares_getaddrinfo(q->channel->ares, dns->host, service, &hints, on_answer, q); /* may answer at once */
    }
    pthread_mutex_unlock(&lock);
    if (rc != ARES_SUCCESS) {
        free(q);
        dns->status = rc;
    }
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
    if (!answer_literal(dns, service, family) && !answer_localhost(dns, port, family)) {
        start_lookup(dns, service, family);
    }
    *out = dns;
    return ESP_OK;
}

/* The channel's sockets and what c-ares waits for on each, under the mutex. @return how many.
 * The bits are read unsigned: ARES_GETSOCK_WRITABLE() shifts a signed 1 by 31 for the last slot. */
static int channel_pollfds(const dns_channel_t *ch, struct pollfd fds[ARES_GETSOCK_MAXNUM])
{
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    unsigned bits = (unsigned)ares_getsock(ch->ares, socks, ARES_GETSOCK_MAXNUM);
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

/* Lets c-ares read and write what the channel's sockets have ready, then handle its retries,
 * for every lookup on it. Under the mutex; the poll does not wait. */
static void process_ready(dns_channel_t *ch)
{
    struct pollfd fds[ARES_GETSOCK_MAXNUM];
    int n = channel_pollfds(ch, fds);
    if (n > 0 && poll(fds, (nfds_t)n, 0) > 0) {
        for (int i = 0; i < n; i++) {
            short r = fds[i].revents;
            ares_socket_t rd = (r & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD;
            ares_socket_t wr = (r & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD;
            if (rd != ARES_SOCKET_BAD || wr != ARES_SOCKET_BAD) {
                ares_process_fd(ch->ares, rd, wr);
            }
        }
    }
    ares_process_fd(ch->ares, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

/* Drives the channel of dns's lookup, and takes the answer if it came (on any thread). */
static void drive_lookup(esp_tls_dns_t *dns)
{
    dns_query_t *q = dns->query;
    pthread_mutex_lock(&lock);
    if (q->status == LOOKUP_PENDING) {
        dns_channel_t *ch = q->channel;
        process_ready(ch);
        settle(ch);
    }
    int status = q->status;
    struct ares_addrinfo *res = q->res;
    if (status != LOOKUP_PENDING) {
        free(q);
        dns->query = NULL;
    }
    pthread_mutex_unlock(&lock);
    if (status != LOOKUP_PENDING) {
        take_answer(dns, status, res);
    }
}

/* The connection leaves before it took its answer. A query c-ares still has stays with it,
 * orphaned: its answer frees it, or its cancellation once no other lookup waits on the channel
 * (settle()), so no callback ever reaches the freed connection. An answer not taken goes now. */
static void detach_query(dns_query_t *q)
{
    pthread_mutex_lock(&lock);
    if (q->status == LOOKUP_PENDING) {
        q->orphaned = true;
        dns_channel_t *ch = q->channel;
        ch->waiting--;
        settle(ch); /* may free q */
    } else {
        ares_freeaddrinfo(q->res);
        free(q);
    }
    pthread_mutex_unlock(&lock);
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
        drive_lookup(dns);
    }
    if (dns->status == LOOKUP_PENDING) {
        return ESP_ERR_NOT_FINISHED;
    }
    return dns->status == ARES_SUCCESS && dns->count > 0 ? ESP_OK : report_failure(dns, h);
}

bool esp_tls_dns_in_progress(const esp_tls_dns_t *dns)
{
    return dns != NULL && dns->status == LOOKUP_PENDING;
}

static void unlink_waiter(const dns_waiter_t *w)
{
    dns_waiter_t **p = &waiters;
    while (*p != w) {
        p = &(*p)->next;
    }
    *p = w->next;
}

/* What a sync wait polls, taken under the mutex: the channel's sockets, and the waiter's pipe,
 * linked so that the answer or a change of sockets wakes it. @return false if the answer is in
 * already; else true with the fds (*n) and the poll's timeout (*ms). */
static bool prepare_wait(dns_waiter_t *w, int max_ms, struct pollfd *fds, int *n, int *ms)
{
    if (w->query->status != LOOKUP_PENDING) {
        return false;
    }
    const dns_channel_t *ch = w->query->channel;
    *n = channel_pollfds(ch, fds);
    struct timeval max = { .tv_sec = max_ms / 1000, .tv_usec = (max_ms % 1000) * 1000 }, tv;
    const struct timeval *next = ares_timeout(ch->ares, &max, &tv);
    *ms = (int)(next->tv_sec * 1000 + (next->tv_usec + 999) / 1000);
    if (w->wake[0] < 0) {
        *ms = *ms < UNWOKEN_WAIT_MS ? *ms : UNWOKEN_WAIT_MS;
        return true;
    }
    fds[(*n)++] = (struct pollfd){ .fd = w->wake[0], .events = POLLIN };
    w->next = waiters;
    waiters = w;
    return true;
}

/*
 * The sockets are polled without the mutex, so that other lookups go on meanwhile; then another
 * thread can read this lookup's answer, or close a socket polled here and open another (a retry,
 * a TCP fallback, a socket number used again). Either writes this waiter's pipe under the mutex
 * (on_answer(), sockets_changed()), and the waiter was linked under the same mutex hold that took
 * the sockets, so no such change is missed: the poll returns and the next step looks afresh.
 * Without a pipe (no file descriptor left) the wait is cut short instead.
 */
int esp_tls_dns_wait(esp_tls_dns_t *dns, int max_ms)
{
    struct pollfd fds[ARES_GETSOCK_MAXNUM + 1];
    dns_waiter_t w = { .query = dns->query };
    if (pipe2(w.wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        w.wake[0] = w.wake[1] = -1;
    }
    int n = 0, ms = 0;
    pthread_mutex_lock(&lock);
    bool pending = prepare_wait(&w, max_ms, fds, &n, &ms);
    pthread_mutex_unlock(&lock);
    int rc = pending ? poll(fds, (nfds_t)n, ms) : 1;
    if (w.wake[0] >= 0) {
        pthread_mutex_lock(&lock);
        if (pending) {
            unlink_waiter(&w);
        }
        pthread_mutex_unlock(&lock);
        close(w.wake[0]);
        close(w.wake[1]);
    }
    return rc > 0 ? rc : 0;
}

void esp_tls_dns_timed_out(const esp_tls_dns_t *dns, esp_tls_error_handle_t h)
{
    ESP_LOGE(TAG, "couldn't resolve %s: no answer within the connect's timeout", dns->host);
    esp_tls_error_capture_errno(h, ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME, ETIMEDOUT);
}

esp_err_t esp_tls_dns_resolve(const char *host, int hostlen, int port, const esp_tls_cfg_t *cfg,
                              esp_tls_error_handle_t h, esp_deadline_t deadline, esp_tls_dns_t **out)
{
    esp_err_t err = esp_tls_dns_start(host, hostlen, port, cfg, h, out);
    if (err != ESP_OK) {
        return err;
    }
    while ((err = esp_tls_dns_step(*out, h)) == ESP_ERR_NOT_FINISHED) {
        int left_ms = esp_deadline_ms_left(deadline);
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
    if (dns->query != NULL) {
        detach_query(dns->query);
    }
    mbedtls_free(dns->addrs);
    mbedtls_free(dns->host);
    mbedtls_free(dns);
}
