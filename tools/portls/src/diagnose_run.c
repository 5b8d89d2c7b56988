/* diagnose: one real connection through esp_tls_conn_new_sync(), the production code path, and
 * what it showed: the negotiated parameters, the records, the heap and the error record. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "diagnose_run.h"
#include "esp_crt_bundle.h"
#include "esp_deadline.h"
#include "mbedtls/ssl.h"

#define CONNECT_TIMEOUT_MS 10000
#define IDLE_MS 1500               /* how long a quiet server may take before the answer is over */
#define MAX_ANSWER (4 * 1024 * 1024) /* read at most this much of the answer */
#define ANSWER_MS 10000              /* and for at most this long */

static void make_cfg(const diag_opts_t *o, esp_tls_proto_ver_t ver, esp_tls_cfg_t *cfg)
{
    *cfg = (esp_tls_cfg_t){ .timeout_ms = CONNECT_TIMEOUT_MS, .tls_version = ver };
    cfg->alpn_protos = o->alpn_list[0] != NULL ? (const char **)o->alpn_list : NULL;
    cfg->cacert_buf = o->ca_file.data;
    cfg->cacert_bytes = (unsigned int)o->ca_file.len;
    cfg->trust_store_path = o->capath;
    if (o->cacert == NULL && o->capath == NULL) {
        cfg->trust_store_path = cli_default_ca_file();
        cfg->crt_bundle_attach = cfg->trust_store_path == NULL ? esp_crt_bundle_attach : NULL;
    }
    cfg->clientcert_buf = o->cert_file.data;
    cfg->clientcert_bytes = (unsigned int)o->cert_file.len;
    cfg->clientkey_buf = o->key_file.data;
    cfg->clientkey_bytes = (unsigned int)o->key_file.len;
    cfg->clientkey_password = (const unsigned char *)o->pass;
    cfg->clientkey_password_len = o->pass != NULL ? (unsigned int)strlen(o->pass) : 0;
}

static void take_negotiated(esp_tls_t *tls, diag_run_t *r)
{
    mbedtls_ssl_context *ssl = esp_tls_get_ssl_context(tls);
    const char *alpn = mbedtls_ssl_get_alpn_protocol(ssl);
    snprintf(r->version, sizeof(r->version), "%s", mbedtls_ssl_get_version(ssl));
    snprintf(r->suite, sizeof(r->suite), "%s", mbedtls_ssl_get_ciphersuite(ssl));
    snprintf(r->alpn, sizeof(r->alpn), "%s", alpn != NULL ? alpn : "");
    r->expansion = mbedtls_ssl_get_record_expansion(ssl);
    r->resumed = esp_tls_session_was_resumed(tls);
    r->rsl_known = esp_tls_get_peer_record_size_limit(tls, &r->rsl_server) == ESP_OK;
    r->heap_known = esp_tls_get_heap_stats(tls, &r->heap) == ESP_OK;
}

/* Waits for the socket to have more of the answer. @return false when the server went quiet,
 * or the answer took all the time it is given. */
static bool wait_readable(int fd, esp_deadline_t end)
{
    int left = esp_deadline_ms_left(end);
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    return left > 0 && poll(&pfd, 1, left < IDLE_MS ? left : IDLE_MS) > 0;
}

/* Reads the answer until the server closes, goes quiet or refuses us: a read that fails with
 * the server's alert is its refusal (TLS 1.3 checks a client certificate here). The socket is
 * non-blocking meanwhile, so a ticket alone cannot keep a read waiting. */
static void read_answer(esp_tls_t *tls, int fd, diag_run_t *r)
{
    char buf[4096];
    esp_deadline_t end = esp_deadline_in_ms(ANSWER_MS);
    while (r->app_bytes < MAX_ANSWER && !esp_deadline_expired(end)) {
        ssize_t got = esp_tls_conn_read(tls, buf, sizeof(buf));
        if (got == ESP_TLS_ERR_SSL_WANT_READ || got == ESP_TLS_ERR_SSL_WANT_WRITE) {
            if (!wait_readable(fd, end)) {
                return;
            }
            continue;
        }
        if (got <= 0) {
            int alert = esp_tls_get_peer_alert(tls);
            r->refused_after = alert > 0; /* 0 is close_notify */
            return;
        }
        r->app_bytes += (size_t)got;
    }
}

/* Sends the request, then reads the answer. */
static void exchange(const diag_opts_t *o, esp_tls_t *tls, diag_run_t *r)
{
    char req[512];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: portls-diagnose\r\n"
                                       "Connection: close\r\n\r\n", o->path, o->host);
    if (n < 0 || (size_t)n >= sizeof(req) || esp_tls_conn_write(tls, req, (size_t)n) != n) {
        r->refused_after = esp_tls_get_peer_alert(tls) > 0;
        return;
    }
    int fd = -1;
    esp_tls_get_conn_sockfd(tls, &fd);
    int flags = fcntl(fd, F_GETFL, 0);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    read_answer(tls, fd, r);
    fcntl(fd, F_SETFL, flags);
}

static void take_error(esp_tls_t *tls, diag_run_t *r)
{
    esp_tls_error_handle_t h;
    if (esp_tls_get_error_handle(tls, &h) == ESP_OK) {
        r->err = esp_tls_get_and_clear_last_error(h, &r->code, &r->flags);
    }
    r->alert = esp_tls_get_peer_alert(tls);
    esp_tls_get_last_record_info(tls, &r->rec);
    esp_tls_get_record_sizes(tls, &r->sizes);
    r->cc_known = esp_tls_get_client_cert_info(tls, &r->cc) == ESP_OK;
    esp_tls_get_conn_timing(tls, &r->timing);
    if (!r->heap_known) {
        r->heap_known = esp_tls_get_heap_stats(tls, &r->heap) == ESP_OK;
    }
    esp_tls_get_heap_last_failure(tls, &r->failed_size, &r->failed_in_use);
}

void diag_run(const diag_opts_t *o, esp_tls_proto_ver_t ver, esp_tls_client_session_t *resume, int flags,
              diag_run_t *r)
{
    *r = (diag_run_t){ .ver = ver, .expansion = -1, .alert = -1 };
    esp_tls_cfg_t cfg;
    make_cfg(o, ver, &cfg);
    cfg.client_session = resume;
    esp_tls_t *tls = esp_tls_init();
    if (tls == NULL) {
        r->err = ESP_ERR_NO_MEM;
        return;
    }
    r->connected = esp_tls_conn_new_sync(o->host, (int)strlen(o->host), o->port, &cfg, tls) == 1;
    if (r->connected) {
        take_negotiated(tls, r);
        if (flags & DIAG_RUN_EXCHANGE) {
            exchange(o, tls, r);
        }
        r->session = (flags & DIAG_RUN_KEEP_SESSION) && !r->refused_after ? esp_tls_get_client_session(tls) : NULL;
    }
    take_error(tls, r);
    esp_tls_conn_destroy(tls);
}

bool diag_run_version_accepted(const diag_run_t *r)
{
    return r->connected || r->flags != 0 || (r->cc_known && r->cc.requested);
}
