/* The MQTT client handle, shared by the files of this component. Not public. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "esp_deadline.h"
#include "mqtt_client.h"
#include "mqtt_msg.h"
#include "mqtt_outbox.h"
#include "sdkconfig.h"

/* esp-mqtt's name for CONFIG_MQTT_OUTBOX_EXPIRED_TIMEOUT_MS. A test builds the component again
 * with a shorter one, to see messages expire within seconds. */
#ifndef OUTBOX_EXPIRED_TIMEOUT_MS
#define OUTBOX_EXPIRED_TIMEOUT_MS CONFIG_MQTT_OUTBOX_EXPIRED_TIMEOUT_MS
#endif

typedef enum {
    MQTT_STATE_IDLE,           /* not started, or stopped */
    MQTT_STATE_CONNECT,        /* to connect now */
    MQTT_STATE_CONNECTING,     /* the thread connects, without the lock (polling is set) */
    MQTT_STATE_CONNECTED,
    MQTT_STATE_WAIT_RECONNECT, /* until reconnect_at */
    MQTT_STATE_DISCONNECTED,   /* until esp_mqtt_client_reconnect() */
} mqtt_state_t;

/* The configuration: c is the caller's, with its strings replaced by the client's own copies. */
typedef struct {
    esp_mqtt_client_config_t c;
    char *uri, *host, *path, *username, *password, *client_id, *will_topic, *will_msg;
    esp_mqtt_transport_t transport;
    int port;
    int keepalive_s;              /* 0: none */
    int reconnect_ms, timeout_ms, retransmit_ms;
} mqtt_config_t;

/* A user event waiting for the client's thread (esp_mqtt_dispatch_custom_event()). */
typedef struct custom_event {
    esp_mqtt_event_t event;
    struct custom_event *next;
} custom_event_t;

struct esp_mqtt_client {
    pthread_mutex_t lock;   /* recursive: the API, from any thread and from the handlers */
    pthread_cond_t wake;    /* a state change the thread or a waiting caller must see */
    pthread_t thread;
    bool started, stop_requested;
    bool polling; /* the thread uses the connection unlocked: it waits on the socket, or connects */
    bool closing; /* another thread closes the connection: the thread must not poll */
    bool broken;  /* a write failed: nothing more may be written; the thread ends the connection */
    esp_deadline_t broken_until; /* when the broken connection ends, unsent bytes or not */
    bool transports_stale; /* esp_mqtt_set_config() replaced the config: new transports before the next connect */
    mqtt_state_t state;
    mqtt_config_t config;
    esp_transport_list_handle_t transports;
    esp_transport_handle_t transport; /* the connection's, from the connect on */
    int timeout_ms;                   /* the connection's network timeout (the thread reads it unlocked) */
    esp_event_loop_handle_t events;
    custom_event_t *custom_events;
    int custom_count;
    uint8_t *in, *out;
    size_t in_size, out_size;
    outbox_t outbox;
    uint16_t last_msg_id;
    uint16_t *qos2_ids; /* QoS 2 messages received and PUBREC'd, until their PUBREL */
    size_t qos2_count;
    esp_deadline_t reconnect_at;
    int64_t connected_at_ms, last_sent_ms, ping_sent_ms; /* esp_deadline_now_ms() */
    bool ping_outstanding;
    esp_mqtt_error_codes_t error;
};

/* ---- configuration (mqtt_config.c) ---- */

/* Validates src and makes dst from it (dst's old strings are freed on success). @return ESP_OK;
 * ESP_ERR_INVALID_ARG (the log says why); ESP_ERR_NOT_SUPPORTED; ESP_ERR_NO_MEM. */
esp_err_t mqtt_config_set(mqtt_config_t *dst, const esp_mqtt_client_config_t *src);
void mqtt_config_free(mqtt_config_t *cfg);

/* Takes the broker address from uri; without a port in it, default_port (0: the scheme's).
 * @return ESP_OK; ESP_FAIL (not a URI of ours); ESP_ERR_NO_MEM. */
esp_err_t mqtt_config_set_uri(mqtt_config_t *cfg, const char *uri, int default_port);

/* The transports, configured from the client's config: those the broker's scheme needs ("mqtt"
 * or "mqtts", and "ws" or "wss" over it), or the custom one. Those made before (not a custom
 * one) are destroyed first: every TLS, TCP and WebSocket setting of the config applies to the
 * next connect. @return ESP_OK, or ESP_ERR_NO_MEM. */
esp_err_t mqtt_transports_create(esp_mqtt_client_handle_t client);

/* The receive and send buffers (buffer.size, buffer.out_size), allocated by the first connection
 * that reaches the broker, after its TLS handshake (whose heap peak they would add to), and kept
 * until destroy. Called by the client's thread before CONNECT; API calls use the send buffer only
 * while connected. @return false if there is no memory for them. */
bool mqtt_make_buffers(esp_mqtt_client_handle_t client);

/* Whether the configured broker's transport connects step by step (TCP and TLS), so that the
 * thread can give up between steps; WebSocket and a custom transport connect in one call. */
bool mqtt_transport_is_async(esp_mqtt_client_handle_t client);

/* The transport for the configured broker: the custom one, or the list's for its scheme. */
esp_transport_handle_t mqtt_transport_for(esp_mqtt_client_handle_t client);

/* ---- the client (mqtt_client.c) ---- */

/* Hands ev to the registered handlers, now, on the calling thread (the API lock held). */
void mqtt_dispatch(esp_mqtt_client_handle_t client, esp_mqtt_event_t *ev);
void mqtt_dispatch_simple(esp_mqtt_client_handle_t client, esp_mqtt_event_id_t id, int msg_id);

/* Writes all of packet within the network timeout, on any thread (the lock held). A failed or
 * timed-out write may leave part of a packet (or of a TLS record) on the way, so it marks the
 * connection broken: no further write goes out on it, and the thread ends it (ERROR, then
 * DISCONNECTED) once the broker has taken what the socket holds, or after another network
 * timeout; QoS 1 and 2 messages stay in the outbox for the next connection.
 * @return 0, or -1 (the error is noted in client->error). */
int mqtt_write(esp_mqtt_client_handle_t client, const uint8_t *packet, size_t len);

/* Whether the API may write now: connected, and no write failed on this connection. */
bool mqtt_can_write(const esp_mqtt_client_handle_t client);

/* Notes t's failure in client->error: ESP-TLS's record and errno, or, when the transport
 * recorded no code, ESP_ERR_TCP_TRANSPORT_CONNECTION_FAILED (with an errno) or fallback. So an
 * ERROR event never says ESP_OK. @return -1. */
int mqtt_note_transport_error(esp_mqtt_client_handle_t client, esp_transport_handle_t t, esp_err_t fallback);

/* Sends an outbox item now (connected). @return 0, or -1. */
int mqtt_send_item(esp_mqtt_client_handle_t client, outbox_item_t *item);

/* Closes the connection: DISCONNECTED, then the next state. Waits for the thread to leave its
 * poll first, when called from another thread. */
void mqtt_close(esp_mqtt_client_handle_t client, mqtt_state_t next);

/* A clean end: DISCONNECT when connected (so the broker drops the last will), then mqtt_close(). */
void mqtt_end(esp_mqtt_client_handle_t client, mqtt_state_t next);

/* ---- the connection's thread (mqtt_session.c) ---- */

void *mqtt_thread(void *arg);

/* Reads and handles one packet from the broker (the connection is readable; connected, lock
 * held): events, acknowledgements, the outbox. @return 0; -1 when the connection must go (the
 * error noted in client->error). */
int mqtt_read_packet(esp_mqtt_client_handle_t client);
