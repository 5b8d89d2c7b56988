/* The outbox's expiry, as esp-mqtt has it, on the client built with OUTBOX_EXPIRED_TIMEOUT_MS of
 * 1 s (CMakeLists.txt): a message queued while no broker can be reached, and one sent to a broker
 * that never acknowledges it, each leave the outbox with MQTT_EVENT_DELETED a second after they
 * were queued or sent, while the client waits to reconnect or stays connected. */
#include <signal.h>
#include <stdio.h>

#include "mqtt_test_client.h"
#include "tls_test.h"

#define EXPIRY_MS 1000

/* Waits for the DELETED event of the message published now, and checks it came after the expiry. */
static void expect_deleted(recorder_t *r, esp_mqtt_client_handle_t client, int id, int64_t published)
{
    assert_true(id > 0);
    assert_true(recorder_wait(r, MQTT_EVENT_DELETED, 1));
    int64_t took = esp_deadline_now_ms() - published;
    print_message("deleted %lld ms after it was published (expiry %d ms)\n", (long long)took, EXPIRY_MS);
    assert_true(took >= EXPIRY_MS);
    assert_int_equal(r->last_msg_id, id);
    assert_int_equal(esp_mqtt_client_get_outbox_size(client), 0);
}

/* No broker: the client waits 10 minutes to reconnect, and the message expires meanwhile. */
static void test_queued_offline_expires(void **state)
{
    (void)state;
    esp_mqtt_client_config_t cfg = { .broker.address.uri = "mqtt://127.0.0.1:1",
                                     .network.reconnect_timeout_ms = 600000 };
    recorder_t r;
    recorder_init(&r);
    esp_mqtt_client_handle_t client = started_client(&cfg, &r);
    assert_true(recorder_wait(&r, MQTT_EVENT_DISCONNECTED, 1)); /* refused: waiting to reconnect */
    int64_t published = esp_deadline_now_ms();
    expect_deleted(&r, client, esp_mqtt_client_publish(client, "expiry/offline", "never sent", 0, 1, 0), published);
    esp_mqtt_client_destroy(client);
    recorder_free(&r);
}

/* A broker frozen after the connect: the message goes out, its PUBACK never comes. */
static void test_unacknowledged_expires(void **state)
{
    (void)state;
    char uri[64];
    broker_uri(uri, sizeof(uri), "mqtt", mosquitto_group.tcp_port);
    esp_mqtt_client_config_t cfg = { .broker.address.uri = uri, .session.message_retransmit_timeout = 600000 };
    recorder_t r;
    recorder_init(&r);
    esp_mqtt_client_handle_t client = started_client(&cfg, &r);
    assert_true(recorder_wait(&r, MQTT_EVENT_CONNECTED, 1));
    mosquitto_pause(&mosquitto_group, true);
    int64_t published = esp_deadline_now_ms();
    int id = esp_mqtt_client_publish(client, "expiry/sent", "unacknowledged", 0, 1, 0);
    expect_deleted(&r, client, id, published);
    mosquitto_pause(&mosquitto_group, false);
    assert_int_equal(r.count[MQTT_EVENT_DISCONNECTED], 0); /* it stayed connected */
    esp_mqtt_client_destroy(client);
    recorder_free(&r);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queued_offline_expires),
        cmocka_unit_test(test_unacknowledged_expires),
    };
    return cmocka_run_group_tests(tests, mosquitto_group_setup, mosquitto_group_teardown);
}
