/*
 * Fault injection through the MQTT client's round trip: the k-th allocation of mbedTLS and
 * ESP-TLS (portls_heap_fail_nth()) on the client's thread fails, for k = 1, 2, ... until a round
 * trip reaches no k-th allocation. The round trip is ESP-IDF's mqtt/ssl_mutual_auth one: connect
 * to mosquitto with a client certificate (TLS 1.3), subscribe, publish at QoS 1, receive. The
 * injection is armed by the first MQTT_EVENT_BEFORE_CONNECT (on the client's thread) and disarmed
 * by the next: a failure in the handshake, or in a record buffer later, fails that connection,
 * the client reconnects untouched, and the round trip must still complete. After each destroy
 * the process's account is back where it was: nothing leaks.
 *
 * A whole walk is 9,929 round trips (8.7 minutes here): make test walks the first 100
 * allocations (the connection's setup) and then every 25th; PORTLS_WALK_STRIDE=1 walks every
 * one (it passed so). test_esp_tls_heap_walk_client walks every allocation of a handshake itself.
 *
 * Not covered: the MQTT client's and the transports' own allocations (malloc, not counted by
 * esp_tls_heap.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "esp_tls_heap.h"
#include "mosquitto_broker.h"
#include "mqtt_client.h"
#include "tls_test.h"

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    unsigned long fail_at;
    int attempts, data;
} walk_run_t;

static void on_event(void *arg, esp_event_base_t base, int32_t id, void *event_data)
{
    (void)base;
    walk_run_t *run = arg;
    esp_mqtt_event_handle_t event = event_data;
    if (id == MQTT_EVENT_BEFORE_CONNECT) {
        pthread_mutex_lock(&run->lock);
        portls_heap_fail_nth(++run->attempts == 1 ? run->fail_at : 0);
        pthread_mutex_unlock(&run->lock);
    } else if (id == MQTT_EVENT_CONNECTED) {
        esp_mqtt_client_subscribe(event->client, "/walk/qos1", 1);
    } else if (id == MQTT_EVENT_SUBSCRIBED) {
        esp_mqtt_client_publish(event->client, "/walk/qos1", "data", 0, 1, 0);
    } else if (id == MQTT_EVENT_DATA) {
        pthread_mutex_lock(&run->lock);
        run->data++;
        pthread_cond_broadcast(&run->changed);
        pthread_mutex_unlock(&run->lock);
    }
}

static void wait_for_data(walk_run_t *run)
{
    pthread_mutex_lock(&run->lock);
    while (run->data == 0) {
        pthread_cond_wait(&run->changed, &run->lock); /* CTest's timeout bounds a hang */
    }
    pthread_mutex_unlock(&run->lock);
}

/* One round trip with the fail_at-th allocation failing. @return whether it failed one. */
static bool round_trip(const char *uri, unsigned long fail_at)
{
    esp_tls_heap_stats_t stats;
    portls_heap_get_stats(&stats);
    unsigned long failures_before = stats.failures;
    walk_run_t run = { .lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER, .fail_at = fail_at };
    const esp_mqtt_client_config_t cfg = {
        .broker = { .address.uri = uri, .verification.certificate = (const char *)pki("ca.pem")->data },
        .credentials.authentication = { .certificate = (const char *)pki("client.pem")->data,
                                        .key = (const char *)pki("client.key")->data },
        .network.reconnect_timeout_ms = 10,
    };
    esp_mqtt_client_handle_t client = esp_mqtt_client_init(&cfg);
    assert_non_null(client);
    assert_int_equal(esp_mqtt_client_register_event(client, MQTT_EVENT_ANY, on_event, &run), ESP_OK);
    assert_int_equal(esp_mqtt_client_start(client), ESP_OK);
    wait_for_data(&run);
    assert_int_equal(esp_mqtt_client_destroy(client), ESP_OK);
    portls_heap_get_stats(&stats);
    return stats.failures != failures_before;
}

static void test_walk_round_trip_allocations(void **state)
{
    (void)state;
    char uri[64];
    snprintf(uri, sizeof(uri), "mqtts://localhost:%d", mosquitto_group.mtls_port);
    round_trip(uri, 0); /* PSA's globals and its key store grow on the first connection and stay */
    esp_tls_heap_stats_t stats;
    portls_heap_get_stats(&stats);
    size_t before = stats.current;
    const char *setting = getenv("PORTLS_WALK_STRIDE");
    unsigned long stride = setting != NULL && atol(setting) > 0 ? (unsigned long)atol(setting) : 25, runs = 0, k = 1;
    while (round_trip(uri, k)) {
        portls_heap_get_stats(&stats);
        assert_int_equal(stats.current, before);
        runs++;
        k += k < 100 ? 1 : stride;
    }
    assert_true(k > 100);
    print_message("mqtt/ssl_mutual_auth round trip: %lu of its first %lu allocations failed in turn (every one to "
                  "100, then every %lu-th), all recovered\n", runs, k - 1, stride);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_round_trip_allocations),
    };
    return cmocka_run_group_tests(tests, mosquitto_group_setup, mosquitto_group_teardown);
}
