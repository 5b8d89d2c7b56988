/*
 * The client's configuration: validation, the client's copies of the strings, the broker URI
 * (through esp_url, which is http_parser's URL parser underneath, as in esp-mqtt), and the
 * transports it calls for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef __linux__ /* a port supplies another source of random bytes for getrandom() */
#error "getrandom() (<sys/random.h>) is Linux's"
#endif
#include <sys/random.h>

#include "esp_log.h"
#include "esp_transport_ssl.h"
#include "esp_transport_tcp.h"
#include "esp_transport_ws.h"
#include "esp_url.h"
#include "mqtt_client_private.h"

static const char *TAG = "mqtt_config";

#define DEFAULT_KEEPALIVE_S 120
#define DEFAULT_RECONNECT_MS 10000
#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_RETRANSMIT_MS 1000

static const struct {
    const char *scheme;
    esp_mqtt_transport_t transport;
    int port;
} schemes[] = {
    { MQTT_OVER_TCP_SCHEME, MQTT_TRANSPORT_OVER_TCP, 1883 },
    { MQTT_OVER_SSL_SCHEME, MQTT_TRANSPORT_OVER_SSL, 8883 },
    { MQTT_OVER_WS_SCHEME, MQTT_TRANSPORT_OVER_WS, 80 },
    { MQTT_OVER_WSS_SCHEME, MQTT_TRANSPORT_OVER_WSS, 443 },
};

static int scheme_index(esp_mqtt_transport_t transport)
{
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        if (schemes[i].transport == transport) {
            return (int)i;
        }
    }
    return -1;
}

/* *slot = a copy of value (NULL stays NULL). @return false when out of memory. */
static bool copy(char **slot, const char *value)
{
    free(*slot);
    *slot = value != NULL ? strdup(value) : NULL;
    return value == NULL || *slot != NULL;
}

/* user[:password] from the URI become the credentials. */
static bool take_userinfo(mqtt_config_t *cfg, char *info)
{
    char *colon = strchr(info, ':');
    if (colon != NULL) {
        *colon = '\0';
    }
    return copy(&cfg->username, info) && (colon == NULL || copy(&cfg->password, colon + 1));
}

/* The transport the URI's scheme names, or -1. */
static int scheme_of(const esp_url_t *u)
{
    for (size_t i = 0; u->scheme != NULL && i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        if (strcmp(u->scheme, schemes[i].scheme) == 0) { /* esp_url lowers the scheme */
            return (int)i;
        }
    }
    return -1;
}

/* The URI's parts into cfg: host, path (none when empty), credentials and port. */
static bool take_uri(mqtt_config_t *cfg, esp_url_t *u, int index, int default_port)
{
    cfg->transport = schemes[index].transport;
    cfg->port = u->port != 0 ? u->port : default_port > 0 ? default_port : schemes[index].port;
    return copy(&cfg->host, u->host) && copy(&cfg->path, u->path[0] != '\0' ? u->path : NULL) &&
           (u->userinfo == NULL || take_userinfo(cfg, u->userinfo));
}

esp_err_t mqtt_config_set_uri(mqtt_config_t *cfg, const char *uri, int default_port)
{
    esp_url_t u;
    esp_err_t err = esp_url_parse(uri, &u);
    if (err == ESP_ERR_NO_MEM) {
        return err;
    }
    if (err != ESP_OK || u.host == NULL) {
        ESP_LOGE(TAG, "not a broker URI: %s", uri != NULL ? uri : "(null)");
        esp_url_free(&u);
        return ESP_FAIL;
    }
    int index = scheme_of(&u);
    bool ok = index >= 0 && take_uri(cfg, &u, index, default_port);
    esp_url_free(&u);
    if (index < 0) {
        ESP_LOGE(TAG, "no transport for the scheme of %s (mqtt, mqtts, ws or wss)", uri);
        return ESP_FAIL;
    }
    return ok ? ESP_OK : ESP_ERR_NO_MEM;
}

static esp_err_t check(const esp_mqtt_client_config_t *c)
{
    const struct authentication_t *a = &c->credentials.authentication;
    if (a->use_secure_element || a->ds_data != NULL || a->use_ecdsa_peripheral) {
        ESP_LOGE(TAG, "a secure element, the DS peripheral or an eFuse key is chip hardware: none on a host");
        return ESP_ERR_NOT_SUPPORTED;
    }
    if (c->session.protocol_ver == MQTT_PROTOCOL_V_5) {
        ESP_LOGE(TAG, "MQTT 5 is not supported: use 3.1.1");
        return ESP_ERR_NOT_SUPPORTED;
    }
    if ((a->certificate == NULL) != (a->key == NULL)) {
        ESP_LOGE(TAG, "a client certificate and its key go together");
        return ESP_ERR_INVALID_ARG;
    }
    const struct last_will_t *w = &c->session.last_will;
    if (w->topic != NULL && (w->qos < 0 || w->qos > 2 || (w->msg == NULL && w->msg_len > 0))) {
        ESP_LOGE(TAG, "bad last will (QoS %d)", w->qos);
        return ESP_ERR_INVALID_ARG;
    }
    if (c->broker.address.uri == NULL && (c->broker.address.hostname == NULL || scheme_index(c->broker.address.transport) < 0)) {
        ESP_LOGE(TAG, "the config needs broker.address.uri, or hostname and transport");
        return ESP_ERR_INVALID_ARG;
    }
    return c->buffer.size < 0 || c->buffer.out_size < 0 ? ESP_ERR_INVALID_ARG : ESP_OK;
}

/* The broker's address from uri, with port and path filling in what it lacks (as esp-mqtt),
 * else from hostname, transport, port and path. */
static esp_err_t take_address(mqtt_config_t *cfg, const struct address_t *a)
{
    if (a->uri != NULL) {
        esp_err_t err = mqtt_config_set_uri(cfg, a->uri, (int)a->port);
        if (err != ESP_OK) {
            return err == ESP_FAIL ? ESP_ERR_INVALID_ARG : err;
        }
        return cfg->path != NULL || a->path == NULL || copy(&cfg->path, a->path) ? ESP_OK : ESP_ERR_NO_MEM;
    }
    cfg->transport = a->transport;
    cfg->port = a->port != 0 ? (int)a->port : schemes[scheme_index(a->transport)].port;
    return copy(&cfg->host, a->hostname) && copy(&cfg->path, a->path) ? ESP_OK : ESP_ERR_NO_MEM;
}

/* "ESP32_" and six hex digits: ESP-IDF uses the MAC's last three bytes; a host has no such
 * thing, and clients of one process must not share an id (the broker would drop one). */
static bool default_client_id(mqtt_config_t *cfg)
{
    uint8_t r[3] = { 0 };
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
        return false;
    }
    char id[16];
    snprintf(id, sizeof(id), "ESP32_%02X%02X%02X", r[0], r[1], r[2]);
    return copy(&cfg->client_id, id);
}

static esp_err_t take_strings(mqtt_config_t *cfg, const esp_mqtt_client_config_t *c)
{
    const struct credentials_t *cr = &c->credentials;
    bool ok = (cr->username == NULL || copy(&cfg->username, cr->username)) &&
              (cr->authentication.password == NULL || copy(&cfg->password, cr->authentication.password)) &&
              copy(&cfg->will_topic, c->session.last_will.topic);
    const struct last_will_t *w = &c->session.last_will;
    size_t will_len = w->msg_len > 0 ? (size_t)w->msg_len : w->msg != NULL ? strlen(w->msg) : 0;
    free(cfg->will_msg);
    cfg->will_msg = malloc(will_len + 1);
    ok = ok && cfg->will_msg != NULL;
    if (ok) {
        memcpy(cfg->will_msg, w->msg != NULL ? w->msg : "", will_len);
        cfg->will_msg[will_len] = '\0';
        cfg->c.session.last_will.msg_len = (int)will_len;
    }
    if (ok && cr->set_null_client_id) {
        ok = copy(&cfg->client_id, "");
    } else if (ok) {
        ok = cr->client_id != NULL ? copy(&cfg->client_id, cr->client_id) : default_client_id(cfg);
    }
    return ok ? ESP_OK : ESP_ERR_NO_MEM;
}

static int or_default(int value, int fallback)
{
    return value > 0 ? value : fallback;
}

esp_err_t mqtt_config_set(mqtt_config_t *dst, const esp_mqtt_client_config_t *src)
{
    if (src == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = check(src);
    mqtt_config_t cfg = { .c = *src };
    if (err == ESP_OK) {
        err = take_address(&cfg, &src->broker.address);
    }
    if (err == ESP_OK) {
        err = take_strings(&cfg, src);
    }
    if (err != ESP_OK) {
        mqtt_config_free(&cfg);
        return err;
    }
    cfg.keepalive_s = src->session.disable_keepalive ? 0 : or_default(src->session.keepalive, DEFAULT_KEEPALIVE_S);
    cfg.reconnect_ms = or_default(src->network.reconnect_timeout_ms, DEFAULT_RECONNECT_MS);
    cfg.timeout_ms = or_default(src->network.timeout_ms, DEFAULT_TIMEOUT_MS);
    cfg.retransmit_ms = or_default(src->session.message_retransmit_timeout, DEFAULT_RETRANSMIT_MS);
    mqtt_config_free(dst);
    *dst = cfg;
    return ESP_OK;
}

void mqtt_config_free(mqtt_config_t *cfg)
{
    free(cfg->uri);
    free(cfg->host);
    free(cfg->path);
    free(cfg->username);
    free(cfg->password);
    free(cfg->client_id);
    free(cfg->will_topic);
    free(cfg->will_msg);
    *cfg = (mqtt_config_t){ 0 };
}

/* ---- transports ---- */

/* PEM buffers go to the ssl setters without their NUL; DER ones with their length. */
static void set_pem_or_der(esp_transport_handle_t t, const char *data, size_t len,
                           void (*pem)(esp_transport_handle_t, const char *, int),
                           void (*der)(esp_transport_handle_t, const char *, int))
{
    if (data != NULL) {
        len == 0 ? pem(t, data, (int)strlen(data)) : der(t, data, (int)len);
    }
}

static void configure_tls(esp_transport_handle_t ssl, const esp_mqtt_client_config_t *c)
{
    const struct verification_t *v = &c->broker.verification;
    const struct authentication_t *a = &c->credentials.authentication;
    set_pem_or_der(ssl, v->certificate, v->certificate_len, esp_transport_ssl_set_cert_data,
                   esp_transport_ssl_set_cert_data_der);
    set_pem_or_der(ssl, a->certificate, a->certificate_len, esp_transport_ssl_set_client_cert_data,
                   esp_transport_ssl_set_client_cert_data_der);
    set_pem_or_der(ssl, a->key, a->key_len, esp_transport_ssl_set_client_key_data,
                   esp_transport_ssl_set_client_key_data_der);
    if (a->key_password != NULL) {
        esp_transport_ssl_set_client_key_password(ssl, a->key_password, a->key_password_len);
    }
    if (v->crt_bundle_attach != NULL) {
        esp_transport_ssl_crt_bundle_attach(ssl, v->crt_bundle_attach);
    }
    if (v->use_global_ca_store) {
        esp_transport_ssl_enable_global_ca_store(ssl);
    }
    bool verified = v->certificate != NULL || v->crt_bundle_attach != NULL || v->use_global_ca_store;
    if (v->psk_hint_key != NULL && !verified) {
        esp_transport_ssl_set_psk_key_hint(ssl, v->psk_hint_key);
    }
    if (v->skip_cert_common_name_check) {
        esp_transport_ssl_skip_common_name_check(ssl);
    }
    esp_transport_ssl_set_common_name(ssl, v->common_name);
    esp_transport_ssl_set_alpn_protocol(ssl, v->alpn_protos);
    esp_transport_ssl_set_ciphersuites_list(ssl, v->ciphersuites_list);
}

/* Keep-alive and interface, for the TCP and the TLS transport alike (one implementation). */
static void configure_tcp(esp_transport_handle_t t, const esp_mqtt_client_config_t *c)
{
    esp_transport_keep_alive_t ka = c->network.tcp_keep_alive_cfg;
    if (ka.keep_alive_enable) {
        esp_transport_ssl_set_keep_alive(t, &ka);
    }
    if (c->network.if_name != NULL) {
        esp_transport_ssl_set_interface_name(t, c->network.if_name);
    }
}

/* WebSocket over parent, speaking the "mqtt" subprotocol (MQTT 3.1.1, 6). */
static esp_transport_handle_t ws_over(esp_transport_handle_t parent, const char *path)
{
    esp_transport_handle_t ws = esp_transport_ws_init(parent);
    if (ws != NULL) {
        esp_transport_ws_set_subprotocol(ws, "mqtt");
        esp_transport_ws_set_path(ws, path != NULL ? path : "/");
    }
    return ws;
}

/* Adds t to the list under scheme; on failure t is destroyed. */
static esp_err_t add_transport(esp_transport_list_handle_t list, esp_transport_handle_t t, const char *scheme)
{
    if (t != NULL && esp_transport_list_add(list, t, scheme) == ESP_OK) {
        return ESP_OK;
    }
    esp_transport_destroy(t);
    return ESP_ERR_NO_MEM;
}

/* Only what the broker's scheme needs (esp-mqtt makes all four up front): TCP or TLS, and
 * WebSocket over it for ws and wss. Another scheme's are made at the connect that needs them. */
static esp_err_t add_scheme_transports(esp_mqtt_client_handle_t client)
{
    const esp_mqtt_client_config_t *c = &client->config.c;
    esp_mqtt_transport_t scheme = client->config.transport;
    bool secure = scheme == MQTT_TRANSPORT_OVER_SSL || scheme == MQTT_TRANSPORT_OVER_WSS;
    esp_transport_handle_t base = secure ? esp_transport_ssl_init() : esp_transport_tcp_init();
    if (base != NULL && secure) {
        configure_tls(base, c);
    }
    if (base != NULL) {
        configure_tcp(base, c);
    }
    esp_err_t err = add_transport(client->transports, base, schemes[secure ? 1 : 0].scheme);
    if (err != ESP_OK || (scheme != MQTT_TRANSPORT_OVER_WS && scheme != MQTT_TRANSPORT_OVER_WSS)) {
        return err;
    }
    return add_transport(client->transports, ws_over(base, client->config.path), schemes[scheme_index(scheme)].scheme);
}

esp_err_t mqtt_transports_create(esp_mqtt_client_handle_t client)
{
    const esp_mqtt_client_config_t *c = &client->config.c;
    if (client->transports != NULL && c->network.transport != NULL) {
        return ESP_OK; /* the caller's own transport: configured by the caller */
    }
    esp_transport_list_destroy(client->transports);
    client->transports = esp_transport_list_init();
    if (client->transports == NULL) {
        return ESP_ERR_NO_MEM;
    }
    if (c->network.transport != NULL) {
        return esp_transport_list_add(client->transports, c->network.transport, "custom");
    }
    return add_scheme_transports(client);
}

esp_transport_handle_t mqtt_transport_for(esp_mqtt_client_handle_t client)
{
    esp_transport_list_handle_t list = client->transports;
    if (client->config.c.network.transport != NULL) {
        return esp_transport_list_get_transport(list, "custom");
    }
    esp_transport_handle_t t = esp_transport_list_get_transport(list, schemes[scheme_index(client->config.transport)].scheme);
    if (client->config.transport == MQTT_TRANSPORT_OVER_WS || client->config.transport == MQTT_TRANSPORT_OVER_WSS) {
        esp_transport_ws_set_path(t, client->config.path != NULL ? client->config.path : "/"); /* set_uri may change it */
    }
    return t;
}

bool mqtt_transport_is_async(esp_mqtt_client_handle_t client)
{
    esp_mqtt_transport_t t = client->config.transport;
    return client->config.c.network.transport == NULL && (t == MQTT_TRANSPORT_OVER_TCP || t == MQTT_TRANSPORT_OVER_SSL);
}
