#include "mqtt_test_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tls_test.h"

void recorder_init(recorder_t *r)
{
    *r = (recorder_t){ 0 };
    pthread_mutex_init(&r->lock, NULL);
    assert_int_equal(esp_deadline_cond_init(&r->changed), 0);
}

void recorder_free(recorder_t *r)
{
    assert_int_equal(r->violations, 0); /* what the handler saw go wrong, on the client's thread */
    for (int i = 0; i < RECORDED_MESSAGES; i++) {
        free(r->messages[i].data);
    }
    pthread_cond_destroy(&r->changed);
    pthread_mutex_destroy(&r->lock);
}

/* A DATA event: a message's first piece starts it, the others fill it in at their offsets. */
static void record_data(recorder_t *r, const esp_mqtt_event_t *ev)
{
    if (r->message_count == RECORDED_MESSAGES) {
        return;
    }
    recorded_message_t *m = &r->messages[r->message_count];
    if (ev->current_data_offset == 0) {
        free(m->data);
        *m = (recorded_message_t){ .total = ev->total_data_len, .qos = ev->qos, .msg_id = ev->msg_id,
                                   .retain = ev->retain, .dup = ev->dup, .data = calloc(1, (size_t)ev->total_data_len + 1) };
        snprintf(m->topic, sizeof(m->topic), "%.*s", ev->topic_len, ev->topic);
        r->filled = 0;
    }
    if (ev->current_data_offset != r->filled || ev->current_data_offset + ev->data_len > m->total) {
        r->violations++; /* pieces come in order, within the total */
        return;
    }
    memcpy(m->data + ev->current_data_offset, ev->data, (size_t)ev->data_len);
    r->filled += ev->data_len;
    m->pieces++;
    if (r->filled == m->total) {
        r->message_count++;
    }
}

static void on_event(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    recorder_t *r = arg;
    esp_mqtt_event_handle_t ev = data;
    pthread_mutex_lock(&r->lock);
    r->violations += base != MQTT_EVENTS || ev->event_id != id || ev->client == NULL;
    if (id == MQTT_EVENT_DATA) {
        record_data(r, ev);
    } else if (id == MQTT_EVENT_ERROR) {
        r->error = *ev->error_handle;
    } else if (id == MQTT_EVENT_PUBLISHED || id == MQTT_EVENT_SUBSCRIBED || id == MQTT_EVENT_UNSUBSCRIBED ||
               id == MQTT_EVENT_DELETED) {
        r->last_msg_id = ev->msg_id;
    }
    if (id == MQTT_EVENT_CONNECTED && r->subscribe_on_connect != NULL) {
        r->violations += esp_mqtt_client_subscribe(ev->client, r->subscribe_on_connect, 2) <= 0; /* from the handler */
    }
    r->count[id]++;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
}

void recorder_attach(recorder_t *r, esp_mqtt_client_handle_t client)
{
    assert_int_equal(esp_mqtt_client_register_event(client, MQTT_EVENT_ANY, on_event, r), ESP_OK);
}

bool recorder_wait(recorder_t *r, esp_mqtt_event_id_t id, int count)
{
    esp_deadline_t deadline = esp_deadline_in_ms(20000);
    pthread_mutex_lock(&r->lock);
    int rc = 0;
    while ((id == MQTT_EVENT_DATA ? r->message_count : r->count[id]) < count && rc != ETIMEDOUT) {
        rc = esp_deadline_cond_wait(&r->changed, &r->lock, deadline);
    }
    bool reached = (id == MQTT_EVENT_DATA ? r->message_count : r->count[id]) >= count;
    pthread_mutex_unlock(&r->lock);
    return reached;
}

void broker_uri(char *out, size_t len, const char *scheme, int port)
{
    snprintf(out, len, "%s://127.0.0.1:%d", scheme, port);
}

esp_mqtt_client_handle_t started_client(const esp_mqtt_client_config_t *cfg, recorder_t *r)
{
    esp_mqtt_client_handle_t client = esp_mqtt_client_init(cfg);
    assert_non_null(client);
    recorder_attach(r, client);
    assert_int_equal(esp_mqtt_client_start(client), ESP_OK);
    return client;
}

esp_mqtt_client_handle_t connected_client(const char *uri, recorder_t *r)
{
    esp_mqtt_client_config_t cfg = { .broker.address.uri = uri,
                                     .broker.verification.certificate = (const char *)pki("ca.pem")->data };
    esp_mqtt_client_handle_t client = started_client(&cfg, r);
    assert_true(recorder_wait(r, MQTT_EVENT_CONNECTED, 1));
    return client;
}

esp_mqtt_client_handle_t connected_tcp_client(recorder_t *r)
{
    char uri[64];
    broker_uri(uri, sizeof(uri), "mqtt", mosquitto_group.tcp_port);
    recorder_init(r);
    return connected_client(uri, r);
}

void mosquitto_pub(const char *const extra[])
{
    char port[16];
    snprintf(port, sizeof(port), "%d", mosquitto_group.tcp_port);
    const char *argv[24] = { "mosquitto_pub", "-h", "127.0.0.1", "-p", port };
    int n = 5;
    for (int i = 0; extra[i] != NULL && n < 23; i++) {
        argv[n++] = extra[i];
    }
    char out[1024];
    assert_int_equal(run_program(argv, NULL, out, sizeof(out)), 0);
}

static bool file_contains(const char *path, const char *text)
{
    static char buf[1 << 20];
    FILE *f = fopen(path, "r");
    size_t n = f != NULL ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    buf[n] = '\0';
    if (f != NULL) {
        fclose(f);
    }
    return strstr(buf, text) != NULL;
}

void mosquitto_sub_start(peer_t *sub, const char *output, const char *topic, int qos, int count)
{
    char port[16], q[12], c[16];
    snprintf(port, sizeof(port), "%d", mosquitto_group.tcp_port);
    snprintf(q, sizeof(q), "%d", qos);
    snprintf(c, sizeof(c), "%d", count);
    /* stdbuf: its output goes to a file, which stdio would buffer until the end */
    const char *argv[] = { "stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-t", topic, "-q", q, "-C", c, "-W", "30",
                           "-d", NULL };
    assert_int_equal(peer_spawn(sub, argv, output), 0);
    wait_for_output(output, "received SUBACK");
}

void wait_for_output(const char *output, const char *text)
{
    for (int waited = 0; !file_contains(output, text) && waited < 10000; waited += 20) {
        sleep_ms(20);
    }
    assert_true(file_contains(output, text));
}

const char *spawned_finish(peer_t *p, const char *output)
{
    static char out[1 << 20];
    int status = peer_wait(p);
    FILE *f = fopen(output, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    fclose(f);
    unlink(output);
    if (status != 0) {
        print_message("the program exited with %d:\n%s\n", status, out);
    }
    assert_int_equal(status, 0);
    return out;
}
