/* esp_http_client against nginx, continued: mutual TLS, redirect chains, a 64 MiB download
 * checked by SHA-256, the saved response headers and chunk lengths, a custom transport, and the
 * request in steps (prepare + request_send), the events on the default loop, and ESP-IDF's
 * example event handler reading the TLS error a failed read left. */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_server.h"
#include "esp_http_client.h"
#include "esp_log.h"
#include "esp_tls.h"
#include "esp_transport_ssl.h"
#include "http_test_client.h"
#include "nginx.h"
#include "tls_test.h"

#define LARGE_LEN (64u * 1024 * 1024)

static esp_http_client_handle_t mtls_client(const char *client_name, esp_http_client_proto_ver_t version, seen_t *seen)
{
    char url[96], cert[32], key[32];
    snprintf(url, sizeof(url), "https://localhost:%d/mtls/who", nginx_group.mtls_port);
    snprintf(cert, sizeof(cert), "%s.pem", client_name);
    snprintf(key, sizeof(key), "%s.key", client_name);
    esp_http_client_config_t cfg = { .url = url, .cert_pem = (const char *)pki("ca.pem")->data, .tls_version = version,
                                     .event_handler = on_event, .user_data = seen };
    if (client_name[0] != '\0') {
        cfg.client_cert_pem = (const char *)pki(cert)->data;
        cfg.client_key_pem = (const char *)pki(key)->data;
    }
    esp_http_client_handle_t client = esp_http_client_init(&cfg);
    assert_non_null(client);
    return client;
}

/* nginx's location asks for a certificate signed by the test CA and names the one it got. */
static void test_mutual_tls(void **state)
{
    (void)state;
    const esp_http_client_proto_ver_t versions[] = { ESP_HTTP_CLIENT_TLS_VER_TLS_1_2, ESP_HTTP_CLIENT_TLS_VER_TLS_1_3 };
    for (int v = 0; v < 2; v++) {
        seen_t seen = { 0 };
        esp_http_client_handle_t client = mtls_client("client", versions[v], &seen);
        assert_int_equal(esp_http_client_perform(client), ESP_OK);
        assert_int_equal(esp_http_client_get_status_code(client), 200);
        assert_non_null(strstr(seen.body, "CN=portls client"));
        esp_http_client_cleanup(client);
    }
    seen_t seen = { 0 };
    esp_http_client_handle_t client = mtls_client("", ESP_HTTP_CLIENT_TLS_VER_ANY, &seen);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 403);
    assert_string_equal(seen.body, "NONE\n");
    esp_http_client_cleanup(client);

    seen = (seen_t){ 0 }; /* a certificate from another CA: nginx refuses the request */
    client = mtls_client("client_other", ESP_HTTP_CLIENT_TLS_VER_ANY, &seen);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 400);
    esp_http_client_cleanup(client);
}

/* 301 relative, 307 absolute, 308 relative: three hops, each body delivered before the next. */
static void test_redirect_chain(void **state)
{
    (void)state;
    seen_t seen = { 0 };
    esp_http_client_handle_t client = client_for("/chain1", true, &seen);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 200);
    assert_int_equal(seen.finished, 4);
    assert_non_null(strstr(seen.body, "hello from nginx\n"));
    char url[128];
    assert_int_equal(esp_http_client_get_url(client, url, sizeof(url)), ESP_OK);
    assert_non_null(strstr(url, "/hello.txt"));
    esp_http_client_cleanup(client);

    client = client_for("/chain-down", true, &(seen_t){ 0 }); /* the second hop leaves https */
    assert_int_equal(esp_http_client_perform(client), ESP_ERR_HTTP_REDIRECT_DOWNGRADE);
    esp_http_client_cleanup(client);

    char start[128];
    url_of(start, sizeof(start), true, "/chain1");
    esp_http_client_config_t cfg = { .url = start, .max_redirection_count = 2,
                                     .cert_pem = (const char *)pki("ca.pem")->data };
    client = esp_http_client_init(&cfg);
    assert_int_equal(esp_http_client_perform(client), ESP_ERR_HTTP_MAX_REDIRECT);
    assert_int_equal(esp_http_client_reset_redirect_counter(client), ESP_OK);
    assert_int_equal(esp_http_client_reset_redirect_counter(NULL), ESP_ERR_INVALID_ARG);
    esp_http_client_cleanup(client);
}

/* A xorshift stream: no period an offset mix-up could hide in. */
static void fill_pseudo_random(uint8_t *buf, size_t len)
{
    uint32_t x = 0x2545f491;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
}

static esp_err_t hash_body(esp_http_client_event_t *evt)
{
    if (evt->event_id == HTTP_EVENT_ON_DATA) {
        assert_int_equal(EVP_DigestUpdate(evt->user_data, evt->data, (size_t)evt->data_len), 1);
    }
    return ESP_OK;
}

/* 64 MiB over HTTPS, hashed as it streams through ON_DATA, against the hash of the file nginx serves. */
static void test_large_download_sha256(void **state)
{
    (void)state;
    uint8_t *data = malloc(LARGE_LEN);
    assert_non_null(data);
    fill_pseudo_random(data, LARGE_LEN);
    unsigned char want[EVP_MAX_MD_SIZE], got[EVP_MAX_MD_SIZE];
    unsigned int want_len = 0, got_len = 0;
    assert_int_equal(EVP_Digest(data, LARGE_LEN, want, &want_len, EVP_sha256(), NULL), 1);
    nginx_write_file(&nginx_group, "large.bin", data, LARGE_LEN);
    free(data);

    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
    char url[128];
    url_of(url, sizeof(url), true, "/large.bin");
    esp_http_client_config_t cfg = { .url = url, .cert_pem = (const char *)pki("ca.pem")->data, .buffer_size = 16384,
                                     .event_handler = hash_body, .user_data = md };
    esp_http_client_handle_t client = esp_http_client_init(&cfg);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 200);
    assert_int_equal(esp_http_client_get_content_length(client), LARGE_LEN);
    assert_true(esp_http_client_is_complete_data_received(client));
    esp_http_client_cleanup(client);
    assert_int_equal(EVP_DigestFinal_ex(md, got, &got_len), 1);
    EVP_MD_CTX_free(md);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
}

/* get_response_header() keeps nginx's headers; get_chunk_length() follows the chunks of a
 * gzip-encoded (hence chunked) response, several chunks long. */
static void test_response_headers_and_chunks(void **state)
{
    (void)state;
    esp_http_client_handle_t client = client_for("/gzip/big.bin", false, &(seen_t){ 0 });
    int chunk = -1;
    assert_int_equal(esp_http_client_set_header(client, "Accept-Encoding", "gzip"), ESP_OK);
    assert_int_equal(esp_http_client_open(client, 0), ESP_OK);
    assert_int_equal(esp_http_client_fetch_headers(client), 0);
    assert_true(esp_http_client_is_chunked_response(client));
    char *value = NULL;
    assert_int_equal(esp_http_client_get_response_header(client, "content-encoding", &value), ESP_OK);
    assert_string_equal(value, "gzip");
    assert_int_equal(esp_http_client_get_response_header(client, "Server", &value), ESP_OK);
    assert_memory_equal(value, "nginx", 5);
    assert_int_equal(esp_http_client_get_response_header(client, "X-Absent", &value), ESP_ERR_NOT_FOUND);
    assert_null(value);
    char buf[16];
    assert_true(esp_http_client_read(client, buf, sizeof(buf)) > 0);
    assert_int_equal(esp_http_client_get_chunk_length(client, &chunk), ESP_OK);
    assert_true(chunk > 0);
    assert_int_equal(esp_http_client_get_chunk_length(client, NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_http_client_flush_response(client, NULL), ESP_OK);

    assert_int_equal(esp_http_client_delete_header(client, "Accept-Encoding"), ESP_OK);
    assert_int_equal(esp_http_client_perform(client), ESP_OK); /* plain, with a Content-Length */
    assert_int_equal(esp_http_client_get_chunk_length(client, &chunk), ESP_FAIL);
    assert_int_equal(esp_http_client_get_response_header(client, "Content-Encoding", &value), ESP_ERR_NOT_FOUND);
    assert_int_equal(esp_http_client_get_response_header(client, "Content-Length", &value), ESP_OK);
    assert_string_equal(value, "1048593"); /* NGINX_BIG_LEN */
    esp_http_client_cleanup(client);
}

/* The config's transport carries every request: a TLS transport of the caller's serves an http
 * URL (aimed at nginx's TLS port), and stays the caller's after cleanup. */
static void test_custom_transport(void **state)
{
    (void)state;
    esp_transport_handle_t tls = esp_transport_ssl_init();
    assert_non_null(tls);
    int ca_len = 0;
    const char *ca = pki_pem("ca.pem", &ca_len);
    esp_transport_ssl_set_cert_data(tls, ca, ca_len);
    char url[96];
    snprintf(url, sizeof(url), "http://localhost:%d/hello.txt", nginx_group.https_port);
    seen_t seen = { 0 };
    esp_http_client_config_t cfg = { .url = url, .transport = tls, .event_handler = on_event, .user_data = &seen };
    esp_http_client_handle_t client = esp_http_client_init(&cfg);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 200);
    assert_string_equal(seen.body, "hello from nginx\n");
    assert_int_equal(esp_http_client_cleanup(client), ESP_OK);
    assert_int_equal(esp_transport_destroy(tls), ESP_OK);
}

/* open() in its steps: prepare, then request_send on the open connection, twice over one
 * keep-alive connection; clear_response_buffer() drops what the first response left. */
static void test_prepare_and_request_send(void **state)
{
    (void)state;
    esp_http_client_handle_t client = client_for("/hello.txt", true, &(seen_t){ 0 });
    assert_int_equal(esp_http_client_request_send(client, 0), ESP_ERR_INVALID_STATE); /* not connected */
    assert_int_equal(esp_http_client_open(client, 0), ESP_OK);
    assert_int_equal(esp_http_client_fetch_headers(client), 17);
    char buf[32] = { 0 };
    assert_int_equal(esp_http_client_read(client, buf, 5), 5);
    assert_int_equal(esp_http_client_clear_response_buffer(client), ESP_OK);
    assert_true(esp_http_client_is_complete_data_received(client)); /* nginx sent it all at once */
    assert_int_equal(esp_http_client_read(client, buf, sizeof(buf)), 0); /* the rest is gone */

    assert_int_equal(esp_http_client_prepare(client), ESP_OK);
    assert_int_equal(esp_http_client_get_status_code(client), 0); /* the last response is forgotten */
    assert_int_equal(esp_http_client_request_send(client, 0), ESP_OK);
    assert_int_equal(esp_http_client_fetch_headers(client), 17);
    assert_int_equal(esp_http_client_read_response(client, buf, sizeof(buf) - 1), 17);
    assert_string_equal(buf, "hello from nginx\n");
    assert_int_equal(esp_http_client_prepare(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_http_client_clear_response_buffer(NULL), ESP_ERR_INVALID_ARG);
    esp_http_client_cleanup(client);
}

/* What the default event loop delivered (on its own thread). */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int count[HTTP_EVENT_REDIRECT + 1];
    int64_t data_process;
    esp_http_client_handle_t client;
} loop_seen = { .lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER };

static void on_loop_event(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)arg;
    assert_ptr_equal(base, ESP_HTTP_CLIENT_EVENT);
    pthread_mutex_lock(&loop_seen.lock);
    if (id == HTTP_EVENT_ON_DATA) {
        const esp_http_client_on_data_t *d = data;
        loop_seen.client = d->client;
        loop_seen.data_process = d->data_process;
    } else {
        loop_seen.client = *(esp_http_client_handle_t *)data;
    }
    loop_seen.count[id]++;
    pthread_cond_broadcast(&loop_seen.changed);
    pthread_mutex_unlock(&loop_seen.lock);
}

/* As in ESP-IDF, the events also reach the default loop, under ESP_HTTP_CLIENT_EVENT. */
static void test_default_loop_events(void **state)
{
    (void)state;
    assert_int_equal(esp_event_loop_create_default(), ESP_OK);
    assert_int_equal(esp_event_handler_register(ESP_HTTP_CLIENT_EVENT, ESP_EVENT_ANY_ID, on_loop_event, NULL), ESP_OK);
    esp_http_client_handle_t client = client_for("/hello.txt", true, &(seen_t){ 0 });
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    pthread_mutex_lock(&loop_seen.lock);
    while (loop_seen.count[HTTP_EVENT_ON_FINISH] == 0) {
        pthread_cond_wait(&loop_seen.changed, &loop_seen.lock);
    }
    assert_ptr_equal(loop_seen.client, client);
    assert_int_equal(loop_seen.data_process, 17);
    assert_int_equal(loop_seen.count[HTTP_EVENT_ON_CONNECTED], 1);
    assert_int_equal(loop_seen.count[HTTP_EVENT_HEADERS_SENT], 1);
    assert_true(loop_seen.count[HTTP_EVENT_ON_HEADER] >= 4);
    assert_int_equal(loop_seen.count[HTTP_EVENT_ON_DATA], 1);
    pthread_mutex_unlock(&loop_seen.lock);
    esp_http_client_cleanup(client);
    assert_int_equal(esp_event_loop_delete_default(), ESP_OK);
}

/* ESP-IDF's esp_http_client example handler, as an ESP-IDF program has it (written here from its
 * documented behaviour): it logs each event, and on HTTP_EVENT_DISCONNECTED reads the last ESP-TLS
 * error from the event's data and logs it when there is one. It also notes what it read. */
static const char *TAG = "HTTP_CLIENT";
static struct {
    int disconnects;
    esp_err_t err;
    int mbedtls_err;
} example_read;

static esp_err_t _http_event_handler(esp_http_client_event_t *evt)
{
    if (evt->event_id == HTTP_EVENT_ON_HEADER) {
        ESP_LOGD(TAG, "HTTP_EVENT_ON_HEADER, key=%s, value=%s", evt->header_key, evt->header_value);
    } else if (evt->event_id == HTTP_EVENT_ON_DATA) {
        ESP_LOGD(TAG, "HTTP_EVENT_ON_DATA, len=%d", evt->data_len);
    } else if (evt->event_id == HTTP_EVENT_DISCONNECTED) {
        ESP_LOGI(TAG, "HTTP_EVENT_DISCONNECTED");
        int mbedtls_err = 0;
        esp_err_t err = esp_tls_get_and_clear_last_error((esp_tls_error_handle_t)evt->data, &mbedtls_err, NULL);
        if (err != 0) {
            ESP_LOGI(TAG, "Last esp error code: 0x%x", err);
            ESP_LOGI(TAG, "Last mbedtls failure: 0x%x", mbedtls_err);
        }
        example_read.disconnects++;
        example_read.err = err;
        example_read.mbedtls_err = mbedtls_err;
    } else {
        ESP_LOGD(TAG, "HTTP event %d", (int)evt->event_id);
    }
    return ESP_OK;
}

/* A TLS server on a thread that, once the handshake is done and a request came, sends a record
 * that does not decrypt (a forged application_data record), then waits for the client to go. */
typedef struct {
    int listen_fd;
    int port;
    pthread_t thread;
} forger_t;

static void *forge(void *arg)
{
    forger_t *f = arg;
    int fd = accept(f->listen_fd, NULL, NULL);
    esp_tls_cfg_server_t cfg = server_cfg();
    esp_tls_t *tls = esp_tls_init();
    char buf[1024];
    if (fd >= 0 && tls != NULL && esp_tls_server_session_create(&cfg, fd, tls) == 0 &&
        esp_tls_conn_read(tls, buf, sizeof(buf)) > 0) {
        static const unsigned char forged[5 + 32] = { 0x17, 0x03, 0x03, 0x00, 0x20 }; /* a zero AEAD tag */
        send(fd, forged, sizeof(forged), MSG_NOSIGNAL);
        peer_drain(fd); /* until the client closes */
    }
    esp_tls_server_session_delete(tls);
    close(fd);
    return NULL;
}

/* HTTP_EVENT_DISCONNECTED carries the transport's error record, as in ESP-IDF, so the example's
 * handler reads "no error" after a good request and the real one after a failed read (a record
 * whose MAC is wrong): not the ESP_ERR_INVALID_STATE of a NULL handle. */
static void test_example_handler_reads_the_tls_error(void **state)
{
    (void)state;
    char url[96];
    url_of(url, sizeof(url), true, "/hello.txt");
    esp_http_client_config_t cfg = { .url = url, .cert_pem = (const char *)pki("ca.pem")->data,
                                     .event_handler = _http_event_handler };
    esp_http_client_handle_t client = esp_http_client_init(&cfg);
    assert_int_equal(esp_http_client_perform(client), ESP_OK);
    esp_http_client_cleanup(client);
    assert_int_equal(example_read.disconnects, 1);
    assert_int_equal(example_read.err, ESP_OK);

    forger_t f = { .listen_fd = peer_listen_loopback(&f.port) };
    assert_true(f.listen_fd >= 0);
    assert_int_equal(pthread_create(&f.thread, NULL, forge, &f), 0);
    snprintf(url, sizeof(url), "https://localhost:%d/", f.port);
    client = esp_http_client_init(&cfg);
    assert_int_equal(esp_http_client_perform(client), ESP_ERR_HTTP_FETCH_HEADER);
    assert_int_equal(example_read.disconnects, 2);
    assert_int_equal(example_read.err, ESP_ERR_MBEDTLS_SSL_READ_FAILED);
    assert_int_equal(example_read.mbedtls_err, -MBEDTLS_ERR_SSL_INVALID_MAC);
    esp_http_client_cleanup(client);
    assert_int_equal(example_read.disconnects, 2); /* closed already */
    pthread_join(f.thread, NULL);
    close(f.listen_fd);

    /* A connect that fails: its close says so too, as ESP-IDF's close does after any failure, and
     * the handler reads why (ESP-IDF's example logs "Last esp error code: 0x8001" for a name that
     * does not resolve). */
    int port;
    close(peer_listen_loopback(&port)); /* nothing listens there now */
    snprintf(url, sizeof(url), "https://localhost:%d/", port);
    client = esp_http_client_init(&cfg);
    assert_int_equal(esp_http_client_perform(client), ESP_ERR_HTTP_CONNECT);
    assert_int_equal(example_read.disconnects, 3);
    assert_int_equal(example_read.err, ESP_ERR_ESP_TLS_FAILED_CONNECT_TO_HOST);
    esp_http_client_cleanup(client);
    assert_int_equal(example_read.disconnects, 3); /* closed already */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutual_tls),
        cmocka_unit_test(test_redirect_chain),
        cmocka_unit_test(test_large_download_sha256),
        cmocka_unit_test(test_response_headers_and_chunks),
        cmocka_unit_test(test_custom_transport),
        cmocka_unit_test(test_prepare_and_request_send),
        cmocka_unit_test(test_default_loop_events),
        cmocka_unit_test(test_example_handler_reads_the_tls_error),
    };
    return cmocka_run_group_tests(tests, nginx_group_setup, nginx_group_teardown);
}
