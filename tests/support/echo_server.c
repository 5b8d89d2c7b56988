#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_server.h"
#include "esp_tls_heap.h"
#include "tls_test.h"

static void describe(esp_tls_t *tls, echo_session_t *r)
{
    mbedtls_ssl_context *ssl = esp_tls_get_ssl_context(tls);
    const char *alpn = mbedtls_ssl_get_alpn_protocol(ssl);
    snprintf(r->alpn, sizeof(r->alpn), "%s", alpn ? alpn : "");
    snprintf(r->version, sizeof(r->version), "%s", mbedtls_ssl_get_version(ssl));
    r->resumed = esp_tls_session_was_resumed(tls);
    r->verify_flags = mbedtls_ssl_get_verify_result(ssl);
    r->client_cert = mbedtls_ssl_get_peer_cert(ssl) != NULL;
    if (esp_tls_get_peer_record_size_limit(tls, &r->record_size_limit) != ESP_OK) {
        r->record_size_limit = 0;
    }
}

static void echo_once(echo_server_t *s, esp_tls_t *tls)
{
    char buf[256];
    ssize_t n = esp_tls_conn_read(tls, buf, sizeof(buf));
    if (n > 0 && esp_tls_conn_write(tls, buf, (size_t)n) == n) {
        s->moved = (size_t)n;
    }
}

static void send_bytes(echo_server_t *s, esp_tls_t *tls)
{
    static const char chunk[16384];
    ssize_t n = 1;
    while (s->moved < s->bytes && n > 0) {
        size_t len = s->bytes - s->moved < sizeof(chunk) ? s->bytes - s->moved : sizeof(chunk);
        n = esp_tls_conn_write(tls, chunk, len);
        s->moved += n > 0 ? (size_t)n : 0;
    }
}

static void sink_bytes(echo_server_t *s, esp_tls_t *tls)
{
    char buf[16384];
    ssize_t n = 1;
    while (s->moved < s->bytes && n > 0) {
        n = esp_tls_conn_read(tls, buf, sizeof(buf));
        s->moved += n > 0 ? (size_t)n : 0;
    }
}

static void serve_one(echo_server_t *s, echo_session_t *r)
{
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0) {
        r->create_rc = -1;
        return;
    }
    esp_tls_t *tls = esp_tls_init(); /* may fail under fault injection */
    r->create_rc = esp_tls_server_session_create(s->cfg, fd, tls);
    esp_tls_error_handle_t h = NULL;
    esp_tls_get_error_handle(tls, &h);
    r->last_error = h ? esp_tls_get_and_clear_last_error(h, &r->mbedtls_code, NULL) : ESP_ERR_NO_MEM;
    r->peer_alert = esp_tls_get_peer_alert(tls);
    if (r->create_rc == 0) {
        describe(tls, r);
        s->moved = 0;
        (s->mode == ECHO_SEND ? send_bytes : s->mode == ECHO_SINK ? sink_bytes : echo_once)(s, tls);
    }
    esp_tls_server_session_delete(tls);
    close(fd);
}

static void *serve(void *arg)
{
    echo_server_t *s = arg;
    portls_heap_fail_nth(s->fail_nth);
    for (int i = 0; i < s->sessions; i++) {
        serve_one(s, &s->result[i]);
    }
    portls_heap_fail_nth(0);
    return NULL;
}

void echo_server_start(echo_server_t *s, esp_tls_cfg_server_t *cfg, int sessions)
{
    memset(s->result, 0, sizeof(s->result));
    s->cfg = cfg;
    s->sessions = sessions;
    s->listen_fd = peer_listen_loopback(&s->port);
    assert_true(s->listen_fd >= 0);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

void echo_server_join(echo_server_t *s)
{
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
}

esp_tls_cfg_server_t server_cfg(void)
{
    const cert_file_t *cert = pki("server_ec.pem");
    const cert_file_t *key = pki("server_ec.key");
    esp_tls_cfg_server_t cfg = {
        .servercert_buf = cert->data,
        .servercert_bytes = cert->len,
        .serverkey_buf = key->data,
        .serverkey_bytes = key->len,
        .tls_handshake_timeout_ms = 5000,
    };
    return cfg;
}

#if defined(CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS) && defined(CONFIG_ESP_TLS_SERVER_SESSION_TICKETS)
/* One connection of check_portls_resumption(): an echo, and the resumption verdict. */
static esp_tls_client_session_t *connect_round(const echo_server_t *srv, esp_tls_proto_ver_t version,
                                               esp_tls_client_session_t *session)
{
    esp_tls_cfg_t client = { .timeout_ms = 5000, .tls_version = version, .client_session = session };
    cfg_trust(&client, "ca.pem");
    esp_tls_t *tls = esp_tls_init();
    assert_int_equal(esp_tls_conn_new_sync("localhost", 9, srv->port, &client, tls), 1);
    char buf[16];
    assert_int_equal(esp_tls_conn_write(tls, "hi", 2), 2);
    assert_int_equal(esp_tls_conn_read(tls, buf, sizeof(buf)), 2);
    assert_int_equal(esp_tls_session_was_resumed(tls), session != NULL);
    esp_tls_client_session_t *saved = session ? NULL : esp_tls_get_client_session(tls);
    esp_tls_conn_destroy(tls);
    return saved;
}

void check_portls_resumption(esp_tls_proto_ver_t version)
{
    esp_tls_cfg_server_t cfg = server_cfg();
    assert_int_equal(esp_tls_cfg_server_session_tickets_init(&cfg), ESP_OK);
    echo_server_t srv = { 0 };
    echo_server_start(&srv, &cfg, 2);
    esp_tls_client_session_t *session = connect_round(&srv, version, NULL);
    assert_non_null(session);
    connect_round(&srv, version, session);
    echo_server_join(&srv);
    assert_false(srv.result[0].resumed);
    assert_true(srv.result[1].resumed);
    esp_tls_free_client_session(session);
    esp_tls_cfg_server_session_tickets_free(&cfg);
}
#endif
