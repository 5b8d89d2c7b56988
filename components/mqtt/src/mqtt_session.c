/*
 * The client's thread: it connects (CONNECT, then CONNACK), reads and handles the broker's
 * packets, keeps the connection alive with PINGREQs, sends and resends the outbox, drops what
 * expired there, and reconnects. It holds the API lock except while it waits: on the socket (at
 * most POLL_MS at a time, so that timers and queued messages are served), on the client's
 * condition, and while it connects (DNS, TCP, TLS, CONNECT and the wait for CONNACK), so that no
 * API call waits for a broker.
 *
 * A failure is noted in client->error where it happens; the ERROR event goes out once, where the
 * connection is ended (connection_failed()).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#ifdef __linux__
#include <linux/sockios.h> /* SIOCOUTQ */
#endif

#include "esp_log.h"
#include "esp_tls.h"
#include "mqtt_client_private.h"

static const char *TAG = "mqtt_session";

#define POLL_MS 50
#define LOOKUP_STEP_MS 5

/* ---- errors and closing ---- */

/* mqtt_client.h: the error codes begin with ESP-TLS's record, so ESP-IDF code may hand
 * event->error_handle to esp_tls_get_and_clear_last_error(). */
_Static_assert(offsetof(esp_mqtt_error_codes_t, esp_tls_last_esp_err) == offsetof(esp_tls_last_error_t, last_error) &&
                   offsetof(esp_mqtt_error_codes_t, esp_tls_stack_err) == offsetof(esp_tls_last_error_t, esp_tls_error_code) &&
                   offsetof(esp_mqtt_error_codes_t, esp_tls_cert_verify_flags) == offsetof(esp_tls_last_error_t, esp_tls_flags),
               "esp_mqtt_error_codes_t starts with esp_tls_last_error_t's fields");

int mqtt_note_transport_error(esp_mqtt_client_handle_t client, esp_transport_handle_t t, esp_err_t fallback)
{
    int code = 0, flags = 0;
    int sock_errno = esp_transport_get_errno(t);
    esp_tls_error_handle_t h = esp_transport_get_error_handle(t);
    esp_err_t err = h != NULL ? esp_tls_get_and_clear_last_error(h, &code, &flags) : ESP_OK;
    if (err == ESP_OK) {
        err = sock_errno > 0 ? ESP_ERR_TCP_TRANSPORT_CONNECTION_FAILED : fallback;
    }
    client->error = (esp_mqtt_error_codes_t){ .error_type = MQTT_ERROR_TYPE_TCP_TRANSPORT, .esp_tls_last_esp_err = err,
                                              .esp_tls_stack_err = code, .esp_tls_cert_verify_flags = flags,
                                              .esp_transport_sock_errno = sock_errno > 0 ? sock_errno : 0 };
    return -1;
}

/* What esp_transport_read()'s result r <= 0 means, as an esp_err_t for when nothing else says. */
static esp_err_t read_failure(int r)
{
    if (r == ERR_TCP_TRANSPORT_CONNECTION_CLOSED_BY_FIN) {
        return ESP_ERR_ESP_TLS_TCP_CLOSED_FIN;
    }
    return r == ERR_TCP_TRANSPORT_CONNECTION_TIMEOUT ? ESP_ERR_ESP_TLS_CONNECTION_TIMEOUT
                                                     : ESP_ERR_TCP_TRANSPORT_CONNECTION_FAILED;
}

static void dispatch_error(esp_mqtt_client_handle_t client)
{
    ESP_LOGE(TAG, "error: type %d, %s, TLS stack -0x%04x, verify flags 0x%x, errno %d, connect return code %d",
             client->error.error_type, esp_err_to_name(client->error.esp_tls_last_esp_err),
             (unsigned)client->error.esp_tls_stack_err, (unsigned)client->error.esp_tls_cert_verify_flags,
             client->error.esp_transport_sock_errno, client->error.connect_return_code);
    mqtt_dispatch_simple(client, MQTT_EVENT_ERROR, 0);
}

void mqtt_close(esp_mqtt_client_handle_t client, mqtt_state_t next)
{
    client->closing = true;
    while (client->polling) {
        pthread_cond_wait(&client->wake, &client->lock); /* the thread lets go within POLL_MS */
    }
    bool was_open = client->transport != NULL;
    if (was_open) {
        esp_transport_close(client->transport);
        client->transport = NULL;
    }
    client->broken = false;
    client->ping_outstanding = false;
    client->state = next;
    client->reconnect_at = esp_deadline_in_ms(client->config.reconnect_ms);
    outbox_requeue_all(&client->outbox);
    client->closing = false;
    pthread_cond_broadcast(&client->wake);
    if (was_open) {
        mqtt_dispatch_simple(client, MQTT_EVENT_DISCONNECTED, 0);
    }
}

/* PINGREQ or DISCONNECT: a fixed header alone. @return as mqtt_write(). */
static int send_empty(esp_mqtt_client_handle_t client, mqtt_packet_type_t type)
{
    uint8_t packet[2];
    return mqtt_write(client, packet, mqtt_encode_empty(packet, sizeof(packet), type));
}

void mqtt_end(esp_mqtt_client_handle_t client, mqtt_state_t next)
{
    if (mqtt_can_write(client)) {
        send_empty(client, MQTT_DISCONNECT); /* the broker then drops the last will */
    }
    mqtt_close(client, next);
}

/* The connection failed: ERROR with what client->error says, DISCONNECTED, then reconnect later
 * (or wait for reconnect()). */
static void connection_failed(esp_mqtt_client_handle_t client)
{
    dispatch_error(client);
    bool auto_reconnect = !client->config.c.network.disable_auto_reconnect;
    mqtt_close(client, auto_reconnect ? MQTT_STATE_WAIT_RECONNECT : MQTT_STATE_DISCONNECTED);
}

/* The broker broke the protocol (ESP_ERR_INVALID_RESPONSE). @return -1. */
static int protocol_error(esp_mqtt_client_handle_t client, const char *what)
{
    ESP_LOGE(TAG, "the broker sent %s: closing the connection", what);
    client->error = (esp_mqtt_error_codes_t){ .error_type = MQTT_ERROR_TYPE_TCP_TRANSPORT,
                                              .esp_tls_last_esp_err = ESP_ERR_INVALID_RESPONSE };
    return -1;
}

static int out_of_memory(esp_mqtt_client_handle_t client)
{
    client->error = (esp_mqtt_error_codes_t){ .error_type = MQTT_ERROR_TYPE_TCP_TRANSPORT,
                                              .esp_tls_last_esp_err = ESP_ERR_NO_MEM };
    return -1;
}

/* ---- reading packets ---- */

/* Exactly len bytes within the network timeout. A read that returns nothing (a WebSocket control
 * frame the transport answered itself) is tried again until then. @return 0, or -1 (noted). */
static int read_exact(esp_mqtt_client_handle_t client, uint8_t *buf, size_t len)
{
    esp_deadline_t deadline = esp_deadline_in_ms(client->timeout_ms);
    while (len > 0) {
        int left = esp_deadline_ms_left(deadline);
        int n = left != 0 ? esp_transport_read(client->transport, (char *)buf, (int)len, left) : 0;
        if (n < 0 || (n == 0 && left == 0)) {
            ESP_LOGE(TAG, "%s while reading from the broker", n == 0 ? "timeout" : "failure or close");
            return mqtt_note_transport_error(client, client->transport, read_failure(n));
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The fixed header into the receive buffer, after the first have bytes already there, a byte
 * at a time. @return 0, or -1. */
static int read_fixed_header(esp_mqtt_client_handle_t client, size_t have, mqtt_fixed_header_t *h)
{
    for (size_t len = have + 1; len <= MQTT_MAX_FIXED_HEADER; len++) {
        if (read_exact(client, client->in + len - 1, 1) != 0) {
            return -1;
        }
        mqtt_msg_status_t st = mqtt_decode_fixed_header(client->in, len, h);
        if (st == MQTT_MSG_OK) {
            return mqtt_flags_valid(h) ? 0 : protocol_error(client, "a packet of a type or flags a server never sends");
        }
        if (st == MQTT_MSG_MALFORMED) {
            break;
        }
    }
    return protocol_error(client, "a malformed remaining length");
}

static int send_ack(esp_mqtt_client_handle_t client, mqtt_packet_type_t type, uint16_t id)
{
    uint8_t ack[4];
    return mqtt_write(client, ack, mqtt_encode_ack(ack, sizeof(ack), type, id));
}

/* QoS 2: was a PUBLISH with this id received (and PUBREC'd) and not yet released? */
static size_t qos2_index(const esp_mqtt_client_handle_t client, uint16_t id)
{
    size_t i = 0;
    while (i < client->qos2_count && client->qos2_ids[i] != id) {
        i++;
    }
    return i;
}

static bool qos2_remember(esp_mqtt_client_handle_t client, uint16_t id)
{
    uint16_t *grown = realloc(client->qos2_ids, (client->qos2_count + 1) * sizeof(*grown));
    if (grown == NULL) {
        return false;
    }
    client->qos2_ids = grown;
    client->qos2_ids[client->qos2_count++] = id;
    return true;
}

static void qos2_forget(esp_mqtt_client_handle_t client, uint16_t id)
{
    size_t i = qos2_index(client, id);
    if (i < client->qos2_count) {
        client->qos2_ids[i] = client->qos2_ids[--client->qos2_count];
    }
}

/* The payload after the first piece, a buffer at a time, each piece a DATA event. */
static int deliver_rest(esp_mqtt_client_handle_t client, esp_mqtt_event_t *ev, size_t total, bool deliver)
{
    size_t offset = (size_t)ev->data_len;
    while (offset < total) {
        size_t n = total - offset < client->in_size ? total - offset : client->in_size;
        if (read_exact(client, client->in, n) != 0) {
            return -1;
        }
        *ev = (esp_mqtt_event_t){ .event_id = MQTT_EVENT_DATA, .data = (char *)client->in, .data_len = (int)n,
                                  .current_data_offset = (int)offset, .total_data_len = (int)total,
                                  .msg_id = ev->msg_id, .qos = ev->qos, .retain = ev->retain, .dup = ev->dup };
        if (deliver) {
            mqtt_dispatch(client, ev);
        }
        offset += n;
    }
    return 0;
}

/* The answer to a PUBLISH that was delivered (or, a QoS 2 duplicate, skipped): PUBACK for QoS 1,
 * PUBREC for QoS 2 once its id is remembered. @return 0, or -1 (noted). */
static int acknowledge_publish(esp_mqtt_client_handle_t client, const mqtt_publish_t *p, bool duplicate)
{
    if (p->qos == 0) {
        return 0;
    }
    if (p->qos == 1) {
        return send_ack(client, MQTT_PUBACK, p->msg_id);
    }
    if (!duplicate && !qos2_remember(client, p->msg_id)) {
        return out_of_memory(client);
    }
    return send_ack(client, MQTT_PUBREC, p->msg_id);
}

static int handle_publish(esp_mqtt_client_handle_t client, const mqtt_fixed_header_t *h)
{
    size_t first = h->remaining < client->in_size ? h->remaining : client->in_size;
    mqtt_publish_t p;
    if (read_exact(client, client->in, first) != 0) {
        return -1;
    }
    mqtt_msg_status_t st = mqtt_decode_publish(h, client->in, first, &p);
    if (st != MQTT_MSG_OK) {
        return protocol_error(client, st == MQTT_MSG_INCOMPLETE ? "a PUBLISH whose topic is longer than the receive buffer"
                                                                : "a malformed PUBLISH");
    }
    bool duplicate = p.qos == 2 && qos2_index(client, p.msg_id) < client->qos2_count; /* PUBREC'd before */
    esp_mqtt_event_t ev = { .event_id = MQTT_EVENT_DATA, .topic = (char *)p.topic, .topic_len = p.topic_len,
                            .data = (char *)client->in + p.payload_offset, .data_len = (int)(first - p.payload_offset),
                            .total_data_len = (int)p.payload_len, .msg_id = p.msg_id, .qos = p.qos,
                            .retain = p.retain, .dup = p.dup };
    if (!duplicate) {
        mqtt_dispatch(client, &ev);
    }
    if (deliver_rest(client, &ev, p.payload_len, !duplicate) != 0) {
        return -1;
    }
    return acknowledge_publish(client, &p, duplicate);
}

/* PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK. */
static int handle_ack(esp_mqtt_client_handle_t client, const mqtt_fixed_header_t *h)
{
    uint16_t id;
    if (mqtt_decode_ack(h, client->in, &id) != MQTT_MSG_OK) {
        return protocol_error(client, "a malformed acknowledgement");
    }
    outbox_item_t *item = outbox_find(&client->outbox, id, h->type == MQTT_PUBCOMP ? MQTT_PUBREL : MQTT_PUBLISH);
    switch (h->type) {
    case MQTT_PUBREC:
        if (item != NULL && item->qos == 2) {
            outbox_to_pubrel(&client->outbox, item);
            return mqtt_send_item(client, item);
        }
        return send_ack(client, MQTT_PUBREL, id); /* a PUBREC again: our PUBREL was lost */
    case MQTT_PUBREL:
        qos2_forget(client, id);
        return send_ack(client, MQTT_PUBCOMP, id);
    case MQTT_UNSUBACK:
        mqtt_dispatch_simple(client, MQTT_EVENT_UNSUBSCRIBED, id);
        return 0;
    default: /* PUBACK (QoS 1) or PUBCOMP (QoS 2): delivered */
        if (item != NULL && (h->type == MQTT_PUBCOMP || item->qos == 1)) {
            outbox_remove(&client->outbox, item);
            mqtt_dispatch_simple(client, MQTT_EVENT_PUBLISHED, id);
        }
        return 0;
    }
}

static int handle_suback(esp_mqtt_client_handle_t client, const mqtt_fixed_header_t *h)
{
    uint16_t id;
    const uint8_t *codes;
    size_t count;
    if (mqtt_decode_suback(h, client->in, &id, &codes, &count) != MQTT_MSG_OK) {
        return protocol_error(client, "a malformed SUBACK");
    }
    client->error = (esp_mqtt_error_codes_t){ 0 };
    if (memchr(codes, 0x80, count) != NULL) {
        client->error.error_type = MQTT_ERROR_TYPE_SUBSCRIBE_FAILED;
    }
    esp_mqtt_event_t ev = { .event_id = MQTT_EVENT_SUBSCRIBED, .msg_id = id, .data = (char *)codes,
                            .data_len = (int)count, .error_handle = &client->error };
    mqtt_dispatch(client, &ev);
    return 0;
}

/* A packet other than PUBLISH, its body read whole into client->in. */
static int handle_whole_packet(esp_mqtt_client_handle_t client, const mqtt_fixed_header_t *h)
{
    switch (h->type) {
    case MQTT_SUBACK:
        return handle_suback(client, h);
    case MQTT_PINGRESP:
        client->ping_outstanding = false;
        return h->remaining == 0 ? 0 : protocol_error(client, "a PINGRESP with a body");
    case MQTT_CONNACK:
        return protocol_error(client, "a second CONNACK");
    default:
        return handle_ack(client, h);
    }
}

int mqtt_read_packet(esp_mqtt_client_handle_t client)
{
    int first = esp_transport_read(client->transport, (char *)client->in, 1, 0);
    if (first <= 0) { /* nothing: what came was not for us (a WebSocket ping) */
        return first == 0 ? 0 : mqtt_note_transport_error(client, client->transport, read_failure(first));
    }
    mqtt_fixed_header_t h;
    if (read_fixed_header(client, 1, &h) != 0) {
        return -1;
    }
    if (h.type == MQTT_PUBLISH) {
        return handle_publish(client, &h);
    }
    if (h.remaining > client->in_size) {
        return protocol_error(client, "a packet longer than the receive buffer");
    }
    if (read_exact(client, client->in, h.remaining) != 0) {
        return -1;
    }
    return handle_whole_packet(client, &h);
}

/* ---- connecting, without the lock ---- */

/* What the unlocked connect needs, copied from the config (which set_config() may replace). */
typedef struct {
    esp_transport_handle_t t;
    char *host;
    int port, timeout_ms;
    bool async;
    uint8_t *connect; /* the CONNECT packet */
    size_t connect_len;
} connect_plan_t;

typedef enum {
    STEP_DONE,
    STEP_ABANDONED, /* stop, or another thread closes the connection */
    STEP_FAILED,    /* noted in client->error */
} step_t;

static uint8_t *encode_connect(const mqtt_config_t *cfg, size_t *len)
{
    const struct last_will_t *w = &cfg->c.session.last_will;
    mqtt_connect_t c = { .client_id = cfg->client_id, .username = cfg->username, .password = cfg->password,
                         .password_len = cfg->password != NULL ? strlen(cfg->password) : 0,
                         .will_topic = cfg->will_topic, .will_msg = cfg->will_msg, .will_msg_len = (size_t)w->msg_len,
                         .will_qos = w->qos, .will_retain = w->retain != 0,
                         .clean_session = !cfg->c.session.disable_clean_session, .keepalive_s = (uint16_t)cfg->keepalive_s,
                         .protocol_v31 = cfg->c.session.protocol_ver == MQTT_PROTOCOL_V_3_1 };
    size_t cap = 64 + strlen(c.client_id) + (c.username ? strlen(c.username) : 0) + c.password_len +
                 (c.will_topic ? strlen(c.will_topic) : 0) + c.will_msg_len;
    uint8_t *packet = malloc(cap);
    *len = packet != NULL ? mqtt_encode_connect(packet, cap, &c) : 0;
    return packet;
}

static void plan_free(connect_plan_t *plan)
{
    free(plan->host);
    free(plan->connect);
}

/* The transport for the broker's scheme: the one made before, unless the config changed or the
 * list lacks this scheme (esp_mqtt_client_set_uri() may change it); else the list is made again.
 * NULL when out of memory. */
static esp_transport_handle_t scheme_transport(esp_mqtt_client_handle_t client)
{
    esp_transport_handle_t t = client->transports_stale ? NULL : mqtt_transport_for(client);
    if (t != NULL) {
        return t;
    }
    if (mqtt_transports_create(client) != ESP_OK) {
        return NULL;
    }
    client->transports_stale = false;
    return mqtt_transport_for(client);
}

/* The transport, the address and the CONNECT packet, with the lock held. @return 0, or -1 (out
 * of memory; noted). */
static int plan_connect(esp_mqtt_client_handle_t client, connect_plan_t *plan)
{
    const mqtt_config_t *cfg = &client->config;
    *plan = (connect_plan_t){ .t = scheme_transport(client), .host = strdup(cfg->host), .port = cfg->port,
                              .timeout_ms = cfg->timeout_ms, .async = mqtt_transport_is_async(client) };
    plan->connect = encode_connect(cfg, &plan->connect_len);
    if (plan->t == NULL || plan->host == NULL || plan->connect_len == 0) {
        plan_free(plan);
        return out_of_memory(client);
    }
    return 0;
}

/* Whether the connect must stop: stop() was called, or another thread closes the connection. */
static bool abandoned(esp_mqtt_client_handle_t client)
{
    pthread_mutex_lock(&client->lock);
    bool gone = client->stop_requested || client->closing;
    pthread_mutex_unlock(&client->lock);
    return gone;
}

/* Waits (at most POLL_MS) until a connect in progress can go on: the socket writable while TCP
 * connects, readable while the TLS handshake waits for the broker. A socket that is writable
 * gets one more step at once first (the TCP connect may have just finished). Before there is a
 * socket, the name lookup runs on ESP-TLS's own sockets: a short sleep between its steps. */
static void wait_for_progress(esp_transport_handle_t t, bool *stepped_again)
{
    int writable = esp_transport_poll_write(t, 0);
    if (writable < 0) {
        nanosleep(&(struct timespec){ .tv_nsec = LOOKUP_STEP_MS * 1000000L }, NULL);
    } else if (writable == 0) {
        esp_transport_poll_write(t, POLL_MS);
        *stepped_again = false;
    } else if (!*stepped_again) {
        *stepped_again = true;
    } else {
        esp_transport_poll_read(t, POLL_MS);
        *stepped_again = false;
    }
}

/* DNS, TCP and TLS (or the WebSocket upgrade): step by step where the transport allows, so that
 * a stop is seen within POLL_MS; in one call otherwise. */
static step_t open_transport(esp_mqtt_client_handle_t client, const connect_plan_t *plan)
{
    int rc;
    if (!plan->async) {
        rc = esp_transport_connect(plan->t, plan->host, plan->port, plan->timeout_ms) == 0 ? 1 : -1;
    } else {
        bool stepped_again = false;
        rc = esp_transport_connect_async(plan->t, plan->host, plan->port, plan->timeout_ms);
        while (rc == 0 && !abandoned(client)) {
            wait_for_progress(plan->t, &stepped_again);
            rc = esp_transport_connect_async(plan->t, plan->host, plan->port, plan->timeout_ms);
        }
    }
    if (rc < 0) {
        mqtt_note_transport_error(client, plan->t, ESP_ERR_TCP_TRANSPORT_CONNECTION_FAILED);
    }
    return rc == 1 ? STEP_DONE : rc == 0 ? STEP_ABANDONED : STEP_FAILED;
}

/* CONNECT, then the wait until the broker's answer is there, POLL_MS at a time. */
static step_t send_connect(esp_mqtt_client_handle_t client, const connect_plan_t *plan)
{
    int len = (int)plan->connect_len;
    if (esp_transport_write_all(plan->t, (const char *)plan->connect, len, plan->timeout_ms) != len) {
        mqtt_note_transport_error(client, plan->t, ESP_ERR_ESP_TLS_CONNECTION_TIMEOUT);
        return STEP_FAILED;
    }
    esp_deadline_t deadline = esp_deadline_in_ms(plan->timeout_ms);
    int rc = 0;
    for (int left = plan->timeout_ms; rc == 0 && left != 0; left = esp_deadline_ms_left(deadline)) {
        if (abandoned(client)) {
            return STEP_ABANDONED;
        }
        rc = esp_transport_poll_read(plan->t, left < POLL_MS ? left : POLL_MS);
    }
    if (rc > 0) {
        return STEP_DONE;
    }
    ESP_LOGE(TAG, "%s before a CONNACK (network timeout %d ms)", rc < 0 ? "the connection failed" : "timeout",
             plan->timeout_ms);
    mqtt_note_transport_error(client, plan->t, ESP_ERR_ESP_TLS_CONNECTION_TIMEOUT);
    return STEP_FAILED;
}

/* CONNACK, which is there. @return its return code (0 accepted), or -1 (noted). */
static int read_connack(esp_mqtt_client_handle_t client, bool *session_present)
{
    mqtt_fixed_header_t h;
    uint8_t code;
    if (read_fixed_header(client, 0, &h) != 0) {
        return -1;
    }
    if (h.type != MQTT_CONNACK || h.remaining != 2) {
        return protocol_error(client, "something else than a CONNACK first");
    }
    if (read_exact(client, client->in, 2) != 0) {
        return -1;
    }
    return mqtt_decode_connack(&h, client->in, session_present, &code) == MQTT_MSG_OK
               ? code
               : protocol_error(client, "a malformed CONNACK");
}

/* Transport, CONNECT and CONNACK, unlocked. @return the CONNACK's return code; -1 failed
 * (noted); -2 abandoned. */
static int establish(esp_mqtt_client_handle_t client, const connect_plan_t *plan, bool *session_present)
{
    step_t st = open_transport(client, plan);
    if (st == STEP_DONE && !mqtt_make_buffers(client)) {
        ESP_LOGE(TAG, "no memory for the client's buffers (%zu + %zu bytes)", client->in_size, client->out_size);
        return -1;
    }
    if (st == STEP_DONE) {
        st = send_connect(client, plan);
    }
    if (st != STEP_DONE) {
        return st == STEP_ABANDONED ? -2 : -1;
    }
    return read_connack(client, session_present);
}

static int send_queued(esp_mqtt_client_handle_t client);

static void connected(esp_mqtt_client_handle_t client, bool session_present)
{
    client->state = MQTT_STATE_CONNECTED;
    client->connected_at_ms = client->last_sent_ms = esp_deadline_now_ms();
    client->ping_outstanding = false;
    if (!client->config.c.session.disable_clean_session) {
        client->qos2_count = 0; /* a clean session starts without the broker's unreleased messages */
    }
    esp_mqtt_event_t ev = { .event_id = MQTT_EVENT_CONNECTED, .session_present = session_present,
                            .error_handle = &client->error };
    mqtt_dispatch(client, &ev);
    if (client->state == MQTT_STATE_CONNECTED && send_queued(client) != 0) {
        connection_failed(client);
    }
}

static void connect_to_broker(esp_mqtt_client_handle_t client)
{
    mqtt_dispatch_simple(client, MQTT_EVENT_BEFORE_CONNECT, 0);
    if (client->state != MQTT_STATE_CONNECT || client->stop_requested) {
        return; /* a handler disconnected or stopped the client */
    }
    connect_plan_t plan;
    client->error = (esp_mqtt_error_codes_t){ 0 };
    if (plan_connect(client, &plan) != 0) {
        connection_failed(client);
        return;
    }
    client->transport = plan.t; /* from here on mqtt_close() closes it, after waiting for polling */
    client->timeout_ms = plan.timeout_ms;
    client->state = MQTT_STATE_CONNECTING;
    client->polling = true;
    pthread_mutex_unlock(&client->lock);
    bool session_present = false;
    int code = establish(client, &plan, &session_present);
    pthread_mutex_lock(&client->lock);
    client->polling = false;
    pthread_cond_broadcast(&client->wake);
    plan_free(&plan);
    if (code == -2 || client->closing || client->stop_requested) {
        return; /* mqtt_close() ends it: the closing thread's, or the stop's */
    }
    if (code > 0) {
        client->error = (esp_mqtt_error_codes_t){ .error_type = MQTT_ERROR_TYPE_CONNECTION_REFUSED,
                                                  .connect_return_code = (esp_mqtt_connect_return_code_t)code };
    }
    if (code != 0) {
        connection_failed(client);
        return;
    }
    connected(client, session_present);
}

/* ---- the outbox's expiry, and waiting ---- */

/* As esp-mqtt, in every state: what stayed in the outbox longer than OUTBOX_EXPIRED_TIMEOUT_MS
 * since it was queued, or since it was first sent, leaves it with MQTT_EVENT_DELETED. */
static void delete_expired(esp_mqtt_client_handle_t client)
{
    outbox_item_t *item;
    while ((item = outbox_expired(&client->outbox, esp_deadline_now_ms(), OUTBOX_EXPIRED_TIMEOUT_MS)) != NULL) {
        int id = item->msg_id;
        ESP_LOGW(TAG, "message %d expired in the outbox after %d ms", id, OUTBOX_EXPIRED_TIMEOUT_MS);
        outbox_remove(&client->outbox, item);
        mqtt_dispatch_simple(client, MQTT_EVENT_DELETED, id);
    }
}

/* Waits on the client's condition until deadline, or the outbox's next expiry if sooner. */
static void wait_until(esp_mqtt_client_handle_t client, esp_deadline_t deadline)
{
    int64_t oldest = outbox_oldest_tick(&client->outbox);
    if (oldest >= 0) {
        int64_t left = oldest + OUTBOX_EXPIRED_TIMEOUT_MS + 1 - esp_deadline_now_ms();
        esp_deadline_t expiry = esp_deadline_in_ms(left > 0 ? left : 0);
        deadline = expiry.at_us < deadline.at_us ? expiry : deadline;
    }
    esp_deadline_cond_wait(&client->wake, &client->lock, deadline);
}

/* ---- while connected: the outbox, keepalive, refresh ---- */

/* Sends what is queued and resends what waited too long. @return 0, or -1. */
static int send_queued(esp_mqtt_client_handle_t client)
{
    int64_t now = esp_deadline_now_ms();
    for (outbox_item_t *item = client->outbox.head, *next; item != NULL; item = next) {
        next = item->next;
        bool due = item->state == OUTBOX_QUEUED || now - item->sent_ms >= client->config.retransmit_ms;
        if (due && mqtt_send_item(client, item) != 0) {
            return -1;
        }
    }
    return 0;
}

/* A PINGREQ once half the keepalive passed without a packet from us; the connection goes when
 * its PINGRESP has not come within another half. @return 0, or -1. */
static int keep_alive(esp_mqtt_client_handle_t client, int64_t now)
{
    int64_t half = (int64_t)client->config.keepalive_s * 500;
    if (half == 0) {
        return 0;
    }
    if (client->ping_outstanding) {
        if (now - client->ping_sent_ms < half) {
            return 0;
        }
        ESP_LOGE(TAG, "no PINGRESP within %lld ms: the broker is gone", (long long)half);
        client->error = (esp_mqtt_error_codes_t){ .error_type = MQTT_ERROR_TYPE_TCP_TRANSPORT,
                                                  .esp_tls_last_esp_err = ESP_ERR_ESP_TLS_CONNECTION_TIMEOUT };
        return -1;
    }
    if (now - client->last_sent_ms < half) {
        return 0;
    }
    client->ping_outstanding = true;
    client->ping_sent_ms = now;
    return send_empty(client, MQTT_PINGREQ);
}

/* What came (poll result polled), the outbox and keepalive. @return 0, or -1 (noted). */
static int serve_connection(esp_mqtt_client_handle_t client, int polled)
{
    if (polled < 0) {
        return mqtt_note_transport_error(client, client->transport, ESP_ERR_TCP_TRANSPORT_CONNECTION_FAILED);
    }
    if (polled > 0 && mqtt_read_packet(client) != 0) {
        return -1;
    }
    if (client->state != MQTT_STATE_CONNECTED) {
        return 0; /* a handler disconnected */
    }
    return send_queued(client) == 0 ? keep_alive(client, esp_deadline_now_ms()) : -1;
}

/* Bytes the kernel still holds for the broker on t's socket (0 where that cannot be known). */
static int unsent_bytes(esp_transport_handle_t t)
{
#ifdef __linux__
    int fd = esp_transport_get_socket(t), n = 0;
    return fd >= 0 && ioctl(fd, SIOCOUTQ, &n) == 0 ? n : 0;
#else
    (void)t;
    return 0;
#endif
}

/* A write failed, so nothing more is written on this connection. It ends once the broker has
 * read what the kernel holds for it, or a network timeout later: closed at once, a socket the
 * broker does not read loses that data (Linux drops such an orphan within a probe or two), and
 * with it QoS 0 messages whose publish succeeded. */
static void end_broken(esp_mqtt_client_handle_t client)
{
    if (unsent_bytes(client->transport) > 0 && !esp_deadline_expired(client->broken_until)) {
        wait_until(client, esp_deadline_in_ms(POLL_MS));
        return;
    }
    connection_failed(client);
}

/* Waits (at most POLL_MS) for the broker without the lock, the poll's result into *rc.
 * @return whether the connection is still the thread's to serve (not closed, closing, stopping). */
static bool poll_broker(esp_mqtt_client_handle_t client, int *rc)
{
    esp_transport_handle_t t = client->transport;
    client->polling = true;
    pthread_mutex_unlock(&client->lock);
    *rc = esp_transport_poll_read(t, POLL_MS);
    pthread_mutex_lock(&client->lock);
    client->polling = false;
    pthread_cond_broadcast(&client->wake);
    return client->state == MQTT_STATE_CONNECTED && !client->closing && !client->stop_requested;
}

/* refresh_connection_after_ms: the connection has lived that long. */
static bool refresh_due(const esp_mqtt_client_handle_t client)
{
    int refresh = client->config.c.network.refresh_connection_after_ms;
    return refresh > 0 && esp_deadline_now_ms() - client->connected_at_ms >= refresh;
}

static void run_connected(esp_mqtt_client_handle_t client)
{
    int rc;
    if (client->closing) {
        pthread_cond_wait(&client->wake, &client->lock); /* another thread closes the connection */
        return;
    }
    if (client->broken) {
        end_broken(client);
        return;
    }
    if (!poll_broker(client, &rc)) {
        return;
    }
    bool failed = serve_connection(client, rc) != 0;
    if (client->state != MQTT_STATE_CONNECTED || client->broken) {
        return; /* a handler disconnected; or a write failed: end_broken() next */
    }
    if (failed) {
        connection_failed(client);
    } else if (refresh_due(client)) {
        mqtt_close(client, MQTT_STATE_CONNECT); /* a new connection now */
    }
}

static void wait_for_reconnect(esp_mqtt_client_handle_t client)
{
    if (esp_deadline_expired(client->reconnect_at)) {
        client->state = MQTT_STATE_CONNECT;
        return;
    }
    wait_until(client, client->reconnect_at);
}

static void dispatch_custom_events(esp_mqtt_client_handle_t client)
{
    while (client->custom_events != NULL) {
        custom_event_t *c = client->custom_events;
        client->custom_events = c->next;
        client->custom_count--;
        mqtt_dispatch(client, &c->event);
        free(c);
    }
}

void *mqtt_thread(void *arg)
{
    esp_mqtt_client_handle_t client = arg;
    pthread_mutex_lock(&client->lock);
    while (!client->stop_requested) {
        delete_expired(client);
        switch (client->state) {
        case MQTT_STATE_CONNECT: connect_to_broker(client); break;
        case MQTT_STATE_CONNECTED: run_connected(client); break;
        case MQTT_STATE_WAIT_RECONNECT: wait_for_reconnect(client); break;
        case MQTT_STATE_CONNECTING: pthread_cond_wait(&client->wake, &client->lock); break; /* until closed */
        default: wait_until(client, esp_deadline_in_ms(-1)); break;
        }
        dispatch_custom_events(client);
    }
    mqtt_end(client, MQTT_STATE_IDLE); /* a clean stop: no will */
    pthread_mutex_unlock(&client->lock);
    return NULL;
}
