/*
 * The client handle and its API: configuration, events, publishing and subscribing. The thread
 * that keeps the connection is in mqtt_session.c. Every call takes the API lock, which is
 * recursive, so that event handlers (run on the client's thread, lock held) can call the API.
 */
#include <stdlib.h>
#include <string.h>

#include "esp_log.h"
#include "mqtt_client_private.h"

static const char *TAG = "mqtt_client";

ESP_EVENT_DEFINE_BASE(MQTT_EVENTS);

#define DEFAULT_BUFFER_SIZE 1024
#define MAX_CUSTOM_EVENTS 16

static void lock(esp_mqtt_client_handle_t client)
{
    pthread_mutex_lock(&client->lock);
}

static void unlock(esp_mqtt_client_handle_t client)
{
    pthread_mutex_unlock(&client->lock);
}

static bool on_client_thread(const esp_mqtt_client_handle_t client)
{
    return client->started && pthread_equal(pthread_self(), client->thread);
}

/* ---- events ---- */

void mqtt_dispatch(esp_mqtt_client_handle_t client, esp_mqtt_event_t *ev)
{
    ev->client = client;
    ev->protocol_ver = client->config.c.session.protocol_ver == MQTT_PROTOCOL_V_3_1 ? MQTT_PROTOCOL_V_3_1
                                                                                    : MQTT_PROTOCOL_V_3_1_1;
    /* The loop has no thread: posting and running it here calls the handlers at once, so the
     * pointers in the event (into the receive buffer) are still good. */
    if (esp_event_post_to(client->events, MQTT_EVENTS, ev->event_id, ev, sizeof(*ev), 0) == ESP_OK) {
        esp_event_loop_run(client->events, 0);
    }
}

void mqtt_dispatch_simple(esp_mqtt_client_handle_t client, esp_mqtt_event_id_t id, int msg_id)
{
    esp_mqtt_event_t ev = { .event_id = id, .msg_id = msg_id, .error_handle = &client->error };
    mqtt_dispatch(client, &ev);
}

esp_err_t esp_mqtt_client_register_event(esp_mqtt_client_handle_t client, esp_mqtt_event_id_t event,
                                         esp_event_handler_t event_handler, void *event_handler_arg)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    return esp_event_handler_register_with(client->events, MQTT_EVENTS, event, event_handler, event_handler_arg);
}

esp_err_t esp_mqtt_client_unregister_event(esp_mqtt_client_handle_t client, esp_mqtt_event_id_t event,
                                           esp_event_handler_t event_handler)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    return esp_event_handler_unregister_with(client->events, MQTT_EVENTS, event, event_handler);
}

esp_err_t esp_mqtt_dispatch_custom_event(esp_mqtt_client_handle_t client, esp_mqtt_event_t *event)
{
    if (client == NULL || event == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    custom_event_t *c = malloc(sizeof(*c));
    if (c == NULL) {
        return ESP_ERR_NO_MEM;
    }
    *c = (custom_event_t){ .event = *event };
    c->event.event_id = MQTT_USER_EVENT;
    lock(client);
    esp_err_t err = client->custom_count < MAX_CUSTOM_EVENTS ? ESP_OK : ESP_ERR_TIMEOUT;
    if (err == ESP_OK) {
        custom_event_t **end = &client->custom_events;
        while (*end != NULL) {
            end = &(*end)->next;
        }
        *end = c;
        client->custom_count++;
        pthread_cond_broadcast(&client->wake);
    }
    unlock(client);
    if (err != ESP_OK) {
        free(c);
    }
    return err;
}

/* ---- init and destroy ---- */

/* The buffers' sizes; mqtt_make_buffers() allocates them once a connection is up. */
static void size_buffers(esp_mqtt_client_handle_t client)
{
    const struct buffer_t *b = &client->config.c.buffer;
    client->in_size = (size_t)(b->size > 0 ? b->size : DEFAULT_BUFFER_SIZE);
    client->out_size = b->out_size > 0 ? (size_t)b->out_size : client->in_size;
}

bool mqtt_make_buffers(esp_mqtt_client_handle_t client)
{
    if (client->in == NULL) {
        client->in = malloc(client->in_size);
    }
    if (client->out == NULL) {
        client->out = malloc(client->out_size);
    }
    return client->in != NULL && client->out != NULL;
}

static esp_err_t make_sync(esp_mqtt_client_handle_t client)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&client->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    esp_deadline_cond_init(&client->wake); /* the thread waits for deadlines on it */
    esp_event_loop_args_t args = { .queue_size = 4 }; /* no task: mqtt_dispatch() runs it */
    return esp_event_loop_create(&args, &client->events);
}

esp_mqtt_client_handle_t esp_mqtt_client_init(const esp_mqtt_client_config_t *config)
{
    esp_mqtt_client_handle_t client = calloc(1, sizeof(*client));
    if (client == NULL) {
        return NULL;
    }
    esp_err_t err = make_sync(client);
    if (err == ESP_OK) {
        err = mqtt_config_set(&client->config, config);
    }
    if (err == ESP_OK) {
        size_buffers(client);
        err = mqtt_transports_create(client);
    }
    if (err != ESP_OK) {
        ESP_LOGE(TAG, "init failed: %s", esp_err_to_name(err));
        esp_mqtt_client_destroy(client);
        return NULL;
    }
    return client;
}

esp_err_t esp_mqtt_client_destroy(esp_mqtt_client_handle_t client)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (client->started) {
        esp_mqtt_client_stop(client);
    }
    esp_transport_list_destroy(client->transports); /* the custom transport too, as esp-mqtt */
    if (client->events != NULL) {
        esp_event_loop_delete(client->events);
    }
    while (client->custom_events != NULL) {
        custom_event_t *gone = client->custom_events;
        client->custom_events = gone->next;
        free(gone);
    }
    outbox_clear(&client->outbox);
    mqtt_config_free(&client->config);
    free(client->qos2_ids);
    free(client->in);
    free(client->out);
    pthread_cond_destroy(&client->wake);
    pthread_mutex_destroy(&client->lock);
    free(client);
    return ESP_OK;
}

esp_err_t esp_mqtt_set_config(esp_mqtt_client_handle_t client, const esp_mqtt_client_config_t *config)
{
    if (client == NULL || config == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    lock(client);
    mqtt_config_t next = { 0 };
    esp_err_t err = mqtt_config_set(&next, config);
    bool same_transport = (next.c.network.transport == NULL) == (client->config.c.network.transport == NULL);
    if (err == ESP_OK && !same_transport) {
        ESP_LOGE(TAG, "a custom transport cannot be added or removed by esp_mqtt_set_config()");
        err = ESP_ERR_INVALID_ARG;
    }
    if (err == ESP_OK) {
        mqtt_config_free(&client->config);
        client->config = next;
        client->transports_stale = true; /* TLS, TCP and WebSocket settings: at the next connect */
    } else {
        mqtt_config_free(&next);
    }
    unlock(client);
    return err;
}

esp_err_t esp_mqtt_client_set_uri(esp_mqtt_client_handle_t client, const char *uri)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    lock(client);
    esp_err_t err = mqtt_config_set_uri(&client->config, uri, 0);
    unlock(client);
    return err == ESP_OK ? ESP_OK : ESP_FAIL;
}

/* ---- start, stop, disconnect, reconnect ---- */

esp_err_t esp_mqtt_client_start(esp_mqtt_client_handle_t client)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    lock(client);
    esp_err_t err = ESP_FAIL;
    if (!client->started) {
        client->stop_requested = false;
        client->state = MQTT_STATE_CONNECT;
        client->started = pthread_create(&client->thread, NULL, mqtt_thread, client) == 0;
        err = client->started ? ESP_OK : ESP_FAIL;
    }
    unlock(client);
    return err;
}

esp_err_t esp_mqtt_client_initiate_stop(esp_mqtt_client_handle_t client)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    lock(client);
    esp_err_t err = client->started ? ESP_OK : ESP_FAIL;
    client->stop_requested = true;
    pthread_cond_broadcast(&client->wake);
    unlock(client);
    return err;
}

bool esp_mqtt_client_is_stopped(esp_mqtt_client_handle_t client)
{
    if (client == NULL) {
        return true;
    }
    lock(client);
    bool stopped = client->state == MQTT_STATE_IDLE;
    unlock(client);
    return stopped;
}

esp_err_t esp_mqtt_client_stop(esp_mqtt_client_handle_t client)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (!client->started || on_client_thread(client)) {
        ESP_LOGE(TAG, "stop: %s", client->started ? "not from an event handler" : "the client is not started");
        return ESP_FAIL;
    }
    esp_mqtt_client_initiate_stop(client);
    pthread_join(client->thread, NULL);
    client->started = false;
    return ESP_OK;
}

esp_err_t esp_mqtt_client_disconnect(esp_mqtt_client_handle_t client)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    lock(client);
    esp_err_t err = client->started ? ESP_OK : ESP_FAIL;
    if (client->started) {
        mqtt_end(client, MQTT_STATE_DISCONNECTED);
    }
    unlock(client);
    return err;
}

esp_err_t esp_mqtt_client_reconnect(esp_mqtt_client_handle_t client)
{
    if (client == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    lock(client);
    bool waiting = client->state == MQTT_STATE_WAIT_RECONNECT || client->state == MQTT_STATE_DISCONNECTED;
    if (client->started && waiting) {
        client->state = MQTT_STATE_CONNECT;
        pthread_cond_broadcast(&client->wake);
    }
    unlock(client);
    return client->started && waiting ? ESP_OK : ESP_FAIL;
}

/* ---- sending ---- */

bool mqtt_can_write(const esp_mqtt_client_handle_t client)
{
    return client->state == MQTT_STATE_CONNECTED && client->transport != NULL && !client->broken;
}

int mqtt_write(esp_mqtt_client_handle_t client, const uint8_t *packet, size_t len)
{
    if (!mqtt_can_write(client)) {
        return -1;
    }
    if (esp_transport_write_all(client->transport, (const char *)packet, (int)len, client->config.timeout_ms) != (int)len) {
        ESP_LOGE(TAG, "writing to the broker failed: the connection must go (part of a packet may be on its way)");
        mqtt_note_transport_error(client, client->transport, ESP_ERR_ESP_TLS_CONNECTION_TIMEOUT);
        client->broken = true;
        client->broken_until = esp_deadline_in_ms(client->timeout_ms);
        pthread_cond_broadcast(&client->wake);
        return -1;
    }
    client->last_sent_ms = esp_deadline_now_ms();
    return 0;
}

int mqtt_send_item(esp_mqtt_client_handle_t client, outbox_item_t *item)
{
    if (mqtt_write(client, item->packet, item->len) != 0) {
        return -1;
    }
    outbox_sent(item, esp_deadline_now_ms());
    if (item->qos == 0) {
        outbox_remove(&client->outbox, item); /* a stored QoS 0 message: sent is done */
    }
    return 0;
}

/* The next packet identifier: not 0, and not one of a message still in the outbox.
 * @return it, or 0 when all 65,535 are taken (said in the log). */
static uint16_t next_msg_id(esp_mqtt_client_handle_t client)
{
    uint16_t id = outbox_next_id(&client->outbox, &client->last_msg_id);
    if (id == 0) {
        ESP_LOGE(TAG, "all 65,535 packet identifiers are held by unacknowledged messages in the outbox: "
                      "wait for acknowledgements (MQTT_EVENT_PUBLISHED) or for them to expire");
    }
    return id;
}

/* A PUBLISH's header in a buffer of its own (a topic may be longer than the send buffer). */
static uint8_t *publish_header(const char *topic, size_t payload_len, int qos, int retain, uint16_t id, size_t *len)
{
    size_t cap = MQTT_MAX_FIXED_HEADER + 2 + strlen(topic) + 2;
    uint8_t *header = malloc(cap);
    if (header != NULL) {
        *len = mqtt_encode_publish_header(header, cap, topic, payload_len, qos, retain != 0, false, id);
    }
    if (header != NULL && *len == 0) {
        free(header);
        header = NULL;
    }
    return header;
}

/* QoS 0 straight to the connection: in one write (one TLS record) when it fits in the send
 * buffer, else the header and then the caller's data, uncopied. @return 0, or -1. */
static int publish_now(esp_mqtt_client_handle_t client, const uint8_t *header, size_t header_len, const char *data,
                       size_t len)
{
    if (!mqtt_can_write(client)) {
        return -1;
    }
    if (header_len + len <= client->out_size) {
        memcpy(client->out, header, header_len);
        if (len > 0) {
            memcpy(client->out + header_len, data, len); /* data may be NULL for an empty message */
        }
        return mqtt_write(client, client->out, header_len + len);
    }
    return mqtt_write(client, header, header_len) == 0 && mqtt_write(client, (const uint8_t *)data, len) == 0 ? 0 : -1;
}

/* Into the outbox, and (send_now and connected) on the wire. @return the msg_id, or -1. */
static int publish_kept(esp_mqtt_client_handle_t client, const uint8_t *header, size_t header_len, const char *data,
                        size_t len, int qos, uint16_t id, bool send_now)
{
    outbox_item_t *item = outbox_add(&client->outbox, id, qos, header, header_len, data, len, esp_deadline_now_ms());
    if (item == NULL) {
        return -1;
    }
    if (send_now && mqtt_can_write(client)) {
        mqtt_send_item(client, item); /* a failed write leaves it queued for the next connection */
    } else {
        pthread_cond_broadcast(&client->wake);
    }
    return id;
}

typedef enum {
    SEND_NOW,       /* esp_mqtt_client_publish(): written on the caller's thread when connected */
    ENQUEUE,        /* esp_mqtt_client_enqueue(): the client's thread sends it */
    ENQUEUE_STORED, /* ... store = true: a QoS 0 message too waits in the outbox while disconnected */
} publish_mode_t;

/* esp-mqtt's outbox.limit rule: publish() counts QoS 1 and 2 messages only, enqueue() all; the
 * payload's length plus what the outbox holds must not exceed the limit. */
static bool over_limit(const esp_mqtt_client_handle_t client, size_t payload_len, int qos, publish_mode_t mode)
{
    uint64_t limit = client->config.c.outbox.limit;
    if (limit == 0 || (qos == 0 && mode == SEND_NOW) || payload_len + client->outbox.bytes <= limit) {
        return false;
    }
    ESP_LOGW(TAG, "the outbox is full (%zu of %llu bytes)", client->outbox.bytes, (unsigned long long)limit);
    return true;
}

/* Whether the message goes into the outbox: QoS 1 and 2; and from enqueue(), which never writes
 * on the caller's thread, QoS 0 too (without store, only while connected: it is not kept). */
static bool kept_in_outbox(const esp_mqtt_client_handle_t client, int qos, publish_mode_t mode)
{
    if (qos > 0 || mode == ENQUEUE_STORED) {
        return true;
    }
    return mode == ENQUEUE && client->state == MQTT_STATE_CONNECTED;
}

/* The message, with the lock held. @return the msg_id (0 for QoS 0), -1 or -2. */
static int publish_locked(esp_mqtt_client_handle_t client, const char *topic, const char *data, size_t len, int qos,
                          int retain, publish_mode_t mode)
{
    if (over_limit(client, len, qos, mode)) {
        return -2;
    }
    uint16_t id = qos > 0 ? next_msg_id(client) : 0;
    size_t header_len = 0;
    uint8_t *header = qos > 0 && id == 0 ? NULL : publish_header(topic, len, qos, retain, id, &header_len);
    if (header == NULL) {
        return -1;
    }
    int rc = -1;
    if (kept_in_outbox(client, qos, mode)) {
        rc = publish_kept(client, header, header_len, data, len, qos, id, mode == SEND_NOW);
    } else if (mode == SEND_NOW) {
        rc = publish_now(client, header, header_len, data, len);
    }
    free(header);
    return rc;
}

static int publish(esp_mqtt_client_handle_t client, const char *topic, const char *data, int len, int qos, int retain,
                   publish_mode_t mode)
{
    if (client == NULL || topic == NULL || qos < 0 || qos > 2 || len < 0) {
        return -1;
    }
    const char *problem = mqtt_topic_problem(topic, false);
    if (problem != NULL) {
        ESP_LOGE(TAG, "cannot publish to \"%s\": %s", topic, problem);
        return -1;
    }
    size_t data_len = len > 0 ? (size_t)len : data != NULL ? strlen(data) : 0;
    lock(client);
    int rc = publish_locked(client, topic, data, data_len, qos, retain, mode);
    unlock(client);
    return rc;
}

int esp_mqtt_client_publish(esp_mqtt_client_handle_t client, const char *topic, const char *data, int len, int qos,
                            int retain)
{
    return publish(client, topic, data, len, qos, retain, SEND_NOW);
}

int esp_mqtt_client_enqueue(esp_mqtt_client_handle_t client, const char *topic, const char *data, int len, int qos,
                            int retain, bool store)
{
    return publish(client, topic, data, len, qos, retain, store ? ENQUEUE_STORED : ENQUEUE);
}

typedef struct {
    const mqtt_subscription_t *subs;
    int count;
} subscribe_t;

typedef size_t (*encode_fn)(esp_mqtt_client_handle_t client, uint16_t id, const void *arg);

static size_t encode_subscribe(esp_mqtt_client_handle_t client, uint16_t id, const void *arg)
{
    const subscribe_t *s = arg;
    return mqtt_encode_subscribe(client->out, client->out_size, id, s->subs, s->count);
}

static size_t encode_unsubscribe(esp_mqtt_client_handle_t client, uint16_t id, const void *arg)
{
    return mqtt_encode_unsubscribe(client->out, client->out_size, id, arg);
}

/* SUBSCRIBE or UNSUBSCRIBE, encoded into the send buffer, when connected. @return the msg_id, or -1. */
static int send_request(esp_mqtt_client_handle_t client, encode_fn encode, const void *arg)
{
    lock(client);
    int rc = -1;
    uint16_t id = mqtt_can_write(client) ? next_msg_id(client) : 0;
    if (id != 0) {
        size_t len = encode(client, id, arg);
        if (len == 0) {
            ESP_LOGE(TAG, "the request does not fit in the send buffer (%zu bytes)", client->out_size);
        }
        rc = len > 0 && mqtt_write(client, client->out, len) == 0 ? id : -1;
    }
    unlock(client);
    return rc;
}

/* esp-mqtt refuses a SUBSCRIBE (-2) while the outbox holds more than its limit. */
static bool outbox_over_limit(esp_mqtt_client_handle_t client)
{
    lock(client);
    uint64_t limit = client->config.c.outbox.limit;
    bool over = limit > 0 && client->outbox.bytes > limit;
    unlock(client);
    return over;
}

/* A filter the broker would take (it closes the connection over one it does not). */
static bool filter_valid(const char *filter, int qos)
{
    const char *problem = filter != NULL ? mqtt_topic_problem(filter, true) : "no filter";
    if (problem != NULL) {
        ESP_LOGE(TAG, "\"%s\" is not a topic filter: %s", filter != NULL ? filter : "(null)", problem);
    }
    return problem == NULL && qos >= 0 && qos <= 2;
}

int esp_mqtt_client_subscribe_multiple(esp_mqtt_client_handle_t client, const esp_mqtt_topic_t *topic_list, int size)
{
    if (client == NULL || topic_list == NULL || size < 1) {
        return -1;
    }
    mqtt_subscription_t *subs = calloc((size_t)size, sizeof(*subs));
    if (subs == NULL) {
        return -1;
    }
    bool valid = true;
    for (int i = 0; i < size && valid; i++) {
        subs[i] = (mqtt_subscription_t){ topic_list[i].filter, topic_list[i].qos };
        valid = filter_valid(subs[i].filter, subs[i].qos);
    }
    subscribe_t request = { subs, size };
    int rc = !valid ? -1 : outbox_over_limit(client) ? -2 : send_request(client, encode_subscribe, &request);
    free(subs);
    return rc;
}

int esp_mqtt_client_subscribe_single(esp_mqtt_client_handle_t client, const char *topic, int qos)
{
    esp_mqtt_topic_t one = { .filter = topic, .qos = qos };
    return esp_mqtt_client_subscribe_multiple(client, &one, 1);
}

int esp_mqtt_client_unsubscribe(esp_mqtt_client_handle_t client, const char *topic)
{
    if (client == NULL || !filter_valid(topic, 0)) {
        return -1;
    }
    return send_request(client, encode_unsubscribe, topic);
}

int esp_mqtt_client_get_outbox_size(esp_mqtt_client_handle_t client)
{
    if (client == NULL) {
        return 0;
    }
    lock(client);
    int size = (int)client->outbox.bytes;
    unlock(client);
    return size;
}
