/* What the MQTT client tests share: an event recorder that reassembles messages, waits on it,
 * clients for the shared broker (mosquitto_group), and mosquitto_pub / mosquitto_sub. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mosquitto_broker.h"
#include "mqtt_client.h"

#define RECORDED_MESSAGES 128

typedef struct {
    char topic[96];
    char *data; /* total bytes, NUL-terminated */
    int total, pieces, qos, msg_id;
    bool retain, dup;
} recorded_message_t;

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int count[MQTT_USER_EVENT + 1];
    esp_mqtt_error_codes_t error;  /* of the last ERROR */
    int last_msg_id;               /* of the last PUBLISHED, SUBSCRIBED, UNSUBSCRIBED or DELETED */
    recorded_message_t messages[RECORDED_MESSAGES];
    int message_count;             /* complete messages */
    int filled;                    /* bytes of the message being reassembled */
    const char *subscribe_on_connect; /* subscribed to (QoS 2) on each CONNECTED */
    int violations;                /* events that broke a rule (checked by recorder_free) */
} recorder_t;

void recorder_init(recorder_t *r);
/* Asserts that no event broke a rule, and frees the messages. */
void recorder_free(recorder_t *r);

/* Registers the recorder for every event of client. */
void recorder_attach(recorder_t *r, esp_mqtt_client_handle_t client);

/* Waits until the recorder counted at least count events of id (or messages, for DATA), up to
 * 20 s. @return whether it did. */
bool recorder_wait(recorder_t *r, esp_mqtt_event_id_t id, int count);

/* A client for cfg, recording into r, started (asserted). */
esp_mqtt_client_handle_t started_client(const esp_mqtt_client_config_t *cfg, recorder_t *r);

/* A client for uri ("mqtt://127.0.0.1:%d" etc.), trusting the test CA, recording into r,
 * started and connected (asserted). */
esp_mqtt_client_handle_t connected_client(const char *uri, recorder_t *r);

/* recorder_init(r), then connected_client() on the broker's plain TCP listener. */
esp_mqtt_client_handle_t connected_tcp_client(recorder_t *r);

/* "scheme://127.0.0.1:port" into out. */
void broker_uri(char *out, size_t len, const char *scheme, int port);

/* mosquitto_pub on the broker's TCP listener with extra arguments (NULL-terminated; asserted). */
void mosquitto_pub(const char *const extra[]);

/* mosquitto_sub in the background (-d: it prints what it receives, with its flags), returning
 * once it is subscribed; it exits after count messages. */
void mosquitto_sub_start(peer_t *sub, const char *output, const char *topic, int qos, int count);

/* Waits (up to 10 s) until the file output contains text (asserted). */
void wait_for_output(const char *output, const char *text);

/* Waits for a program started with peer_spawn() to exit with status 0 (asserted).
 * @return its output (a static buffer); the file is removed. */
const char *spawned_finish(peer_t *p, const char *output);
