#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tls_test.h"

#define PKI_SLOTS 32

static struct {
    char name[64];
    cert_file_t file;
} loaded[PKI_SLOTS];
static int loaded_count;

static void pki_free(void)
{
    for (int i = 0; i < loaded_count; i++) {
        cert_file_free(&loaded[i].file);
    }
}

const cert_file_t *pki(const char *name)
{
    for (int i = 0; i < loaded_count; i++) {
        if (strcmp(loaded[i].name, name) == 0) {
            return &loaded[i].file;
        }
    }
    assert_true(loaded_count < PKI_SLOTS);
    if (loaded_count == 0) {
        atexit(pki_free);
    }
    assert_int_equal(cert_file_load(cert_path(name), &loaded[loaded_count].file), 0);
    strncpy(loaded[loaded_count].name, name, sizeof(loaded[0].name) - 1);
    return &loaded[loaded_count++].file;
}

const char *pki_pem(const char *name, int *len)
{
    const cert_file_t *f = pki(name);
    *len = (int)f->len - 1;
    return (const char *)f->data;
}

void start_www_peer(peer_t *p)
{
    const char *extra[] = { "-www", NULL };
    assert_int_equal(peer_start_s_server(p, "server_ec.pem", "server_ec.key", extra), 0);
}

esp_tls_t *connect_www_peer(peer_t *p)
{
    start_www_peer(p);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000 };
    cfg_trust(&cfg, "ca.pem");
    esp_tls_t *tls;
    assert_int_equal(connect_peer(p, "localhost", &cfg, &tls), 1);
    return tls;
}

void cfg_trust(esp_tls_cfg_t *cfg, const char *ca_name)
{
    const cert_file_t *ca = pki(ca_name);
    cfg->cacert_buf = ca->data;
    cfg->cacert_bytes = ca->len;
}

void cfg_client_cert(esp_tls_cfg_t *cfg, const char *cert_name, const char *key_name)
{
    const cert_file_t *cert = pki(cert_name);
    const cert_file_t *key = pki(key_name);
    cfg->clientcert_buf = cert->data;
    cfg->clientcert_bytes = cert->len;
    cfg->clientkey_buf = key->data;
    cfg->clientkey_bytes = key->len;
}

int connect_peer(const peer_t *p, const char *host, const esp_tls_cfg_t *cfg, esp_tls_t **out)
{
    *out = esp_tls_init();
    assert_non_null(*out);
    return esp_tls_conn_new_sync(host, (int)strlen(host), p->port, cfg, *out);
}

esp_err_t take_error(esp_tls_t *tls, int *code, int *flags)
{
    esp_tls_error_handle_t h;
    assert_int_equal(esp_tls_get_error_handle(tls, &h), ESP_OK);
    return esp_tls_get_and_clear_last_error(h, code, flags);
}

esp_err_t take_error_errno(esp_tls_t *tls, int *sys_errno)
{
    esp_tls_error_handle_t h;
    assert_int_equal(esp_tls_get_error_handle(tls, &h), ESP_OK);
    assert_int_equal(esp_tls_get_and_clear_error_type(h, ESP_TLS_ERR_TYPE_SYSTEM, sys_errno), ESP_OK);
    return esp_tls_get_and_clear_last_error(h, NULL, NULL);
}

ssize_t www_get(esp_tls_t *tls, char *buf, size_t len)
{
    static const char request[] = "GET / HTTP/1.0\r\n\r\n";
    ssize_t n = esp_tls_conn_write(tls, request, sizeof(request) - 1);
    if (n != (ssize_t)sizeof(request) - 1) {
        return n;
    }
    size_t got = 0;
    while (got < len - 1) {
        n = esp_tls_conn_read(tls, buf + got, len - 1 - got);
        if (n <= 0) {
            break;
        }
        got += (size_t)n;
    }
    buf[got] = '\0';
    return got > 0 ? (ssize_t)got : n;
}

int run_program(const char *const argv[], const char *input, char *out, size_t out_len)
{
    char path[] = "/tmp/portls-output-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    peer_t p;
    assert_int_equal(peer_spawn(&p, argv, path), 0);
    if (input != NULL) {
        assert_int_equal(write(p.stdin_fd, input, strlen(input)), (ssize_t)strlen(input));
    }
    int status = peer_wait(&p);
    FILE *f = fopen(path, "r");
    size_t got = f ? fread(out, 1, out_len - 1, f) : 0;
    out[got] = '\0';
    if (f != NULL) {
        fclose(f);
    }
    unlink(path);
    return status;
}

int run_s_client(int port, const char *const extra[], const char *input, char *out, size_t out_len)
{
    char connect[32];
    snprintf(connect, sizeof(connect), "127.0.0.1:%d", port);
    const char *argv[40] = { "openssl", "s_client", "-connect", connect, "-ign_eof" };
    int n = 5;
    for (int i = 0; extra != NULL && extra[i] != NULL && n < 39; i++) {
        argv[n++] = extra[i];
    }
    argv[n] = NULL;
    return run_program(argv, input, out, out_len);
}
