/* The MQTT client against a real mosquitto broker (tests/support/mosquitto.h), with
 * mosquitto_pub and mosquitto_sub on the other side: mutual TLS, QoS 0/1/2 both ways, retained
 * messages, the last will, large messages, keepalive against a frozen broker, the outbox across
 * a broker restart, WebSockets, a refused connection and bad arguments. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mqtt_test_client.h"
#include "tls_test.h"

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static esp_mqtt_client_config_t mtls_config(const char *uri, const char *client)
{
    char cert[32], key[32];
    snprintf(cert, sizeof(cert), "%s.pem", client);
    snprintf(key, sizeof(key), "%s.key", client);
    esp_mqtt_client_config_t cfg = { .broker.address.uri = uri,
                                     .broker.verification.certificate = (const char *)pki("ca.pem")->data,
                                     .network.disable_auto_reconnect = true };
    if (client[0] != '\0') {
        cfg.credentials.authentication.certificate = (const char *)pki(cert)->data;
        cfg.credentials.authentication.key = (const char *)pki(key)->data;
    }
    return cfg;
}

/* With the test CA's client certificate the broker lets us in; without one, or with another
 * CA's, the ERROR event carries ESP-TLS's codes. */
static void test_mutual_auth(void **state)
{
    (void)state;
    char uri[64];
    broker_uri(uri, sizeof(uri), "mqtts", mosquitto_group.mtls_port);
    recorder_t r;
    recorder_init(&r);
    esp_mqtt_client_config_t cfg = mtls_config(uri, "client");
    esp_mqtt_client_handle_t client = esp_mqtt_client_init(&cfg);
    recorder_attach(&r, client);
    assert_int_equal(esp_mqtt_client_start(client), ESP_OK);
    assert_true(recorder_wait(&r, MQTT_EVENT_CONNECTED, 1));
    assert_true(esp_mqtt_client_subscribe(client, "mtls/echo", 1) > 0);
    assert_true(recorder_wait(&r, MQTT_EVENT_SUBSCRIBED, 1));
    assert_true(esp_mqtt_client_publish(client, "mtls/echo", "over mutual TLS", 0, 1, 0) > 0);
    assert_true(recorder_wait(&r, MQTT_EVENT_DATA, 1));
    assert_string_equal(r.messages[0].data, "over mutual TLS");
    assert_int_equal(esp_mqtt_client_destroy(client), ESP_OK);
    assert_int_equal(r.count[MQTT_EVENT_DISCONNECTED], 1);
    recorder_free(&r);

    const char *strangers[] = { "", "client_other" };
    for (int i = 0; i < 2; i++) {
        recorder_init(&r);
        cfg = mtls_config(uri, strangers[i]);
        client = esp_mqtt_client_init(&cfg);
        recorder_attach(&r, client);
        assert_int_equal(esp_mqtt_client_start(client), ESP_OK);
        assert_true(recorder_wait(&r, MQTT_EVENT_ERROR, 1));
        assert_int_equal(r.count[MQTT_EVENT_CONNECTED], 0);
        assert_int_equal(r.error.error_type, MQTT_ERROR_TYPE_TCP_TRANSPORT);
        print_message("%s: %s, mbedTLS -0x%04x, errno %d\n", strangers[i][0] ? strangers[i] : "no certificate",
                      esp_err_to_name(r.error.esp_tls_last_esp_err), (unsigned)r.error.esp_tls_stack_err,
                      r.error.esp_transport_sock_errno);
        /* the broker's alert as ESP-TLS and mbedTLS reported it, or (when the broker's reset
         * came first) the socket's errno, as ESP-IDF's transport reports a failed poll */
        bool tls_codes = r.error.esp_tls_last_esp_err != ESP_OK && r.error.esp_tls_stack_err != 0;
        assert_true(tls_codes || r.error.esp_transport_sock_errno != 0);
        esp_mqtt_client_destroy(client);
        recorder_free(&r);
    }
}

/* mosquitto_pub at each QoS to a client subscribed at QoS 2: each message arrives at its QoS. */
static void test_qos_from_broker(void **state)
{
    (void)state;
    char uri[64];
    broker_uri(uri, sizeof(uri), "mqtt", mosquitto_group.tcp_port);
    recorder_t r;
    recorder_init(&r);
    esp_mqtt_client_handle_t client = connected_client(uri, &r);
    assert_true(esp_mqtt_client_subscribe(client, "in/#", 2) > 0);
    assert_true(recorder_wait(&r, MQTT_EVENT_SUBSCRIBED, 1));
    for (int qos = 0; qos <= 2; qos++) {
        char q[12], text[48];
        snprintf(q, sizeof(q), "%d", qos);
        snprintf(text, sizeof(text), "from mosquitto at QoS %d", qos);
        mosquitto_pub((const char *[]){ "-t", "in/qos", "-q", q, "-m", text, NULL });
        assert_true(recorder_wait(&r, MQTT_EVENT_DATA, qos + 1));
        assert_string_equal(r.messages[qos].data, text);
        assert_string_equal(r.messages[qos].topic, "in/qos");
        assert_int_equal(r.messages[qos].qos, qos);
    }
    esp_mqtt_client_destroy(client);
    recorder_free(&r);
}

/* The client publishes at each QoS to mosquitto_sub; QoS 1 and 2 end with PUBLISHED. */
static void test_qos_to_broker(void **state)
{
    (void)state;
    char uri[64];
    broker_uri(uri, sizeof(uri), "mqtt", mosquitto_group.tcp_port);
    recorder_t r;
    recorder_init(&r);
    esp_mqtt_client_handle_t client = connected_client(uri, &r);
    for (int qos = 0; qos <= 2; qos++) {
        peer_t sub;
        const char *out = "/tmp/portls-mqtt-sub-qos";
        mosquitto_sub_start(&sub, out, "out/qos", 2, 1);
        char text[32], flags[32];
        snprintf(text, sizeof(text), "from portls at QoS %d", qos);
        int id = esp_mqtt_client_publish(client, "out/qos", text, 0, qos, 0);
        assert_true(qos == 0 ? id == 0 : id > 0);
        const char *seen = mosquitto_sub_finish(&sub, out);
        snprintf(flags, sizeof(flags), "received PUBLISH (d0, q%d, r0", qos);
        assert_non_null(strstr(seen, flags));
        assert_non_null(strstr(seen, text));
        if (qos > 0) {
            assert_true(recorder_wait(&r, MQTT_EVENT_PUBLISHED, qos));
            assert_int_equal(r.last_msg_id, id);
        }
    }
    assert_int_equal(esp_mqtt_client_get_outbox_size(client), 0); /* all acknowledged */
    esp_mqtt_client_destroy(client);
    recorder_free(&r);
}

static void test_retained_message(void **state)
{
    (void)state;
    mosquitto_pub((const char *[]){ "-t", "kept/state", "-r", "-q", "1", "-m", "on", NULL });
    char uri[64];
    broker_uri(uri, sizeof(uri), "mqtt", mosquitto_group.tcp_port);
    recorder_t r;
    recorder_init(&r);
    esp_mqtt_client_handle_t client = connected_client(uri, &r);
    assert_true(esp_mqtt_client_subscribe(client, "kept/state", 1) > 0);
    assert_true(recorder_wait(&r, MQTT_EVENT_DATA, 1));
    assert_string_equal(r.messages[0].data, "on");
    assert_true(r.messages[0].retain);
    assert_true(esp_mqtt_client_publish(client, "kept/state", NULL, 0, 1, 1) > 0); /* empty + retain: cleared */
    assert_true(recorder_wait(&r, MQTT_EVENT_PUBLISHED, 1));
    esp_mqtt_client_destroy(client);
    recorder_free(&r);
}

/* A child process connects with a last will and is killed: the broker publishes the will. */
static void test_last_will(void **state)
{
    (void)state;
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        char uri[64];
        broker_uri(uri, sizeof(uri), "mqtt", mosquitto_group.tcp_port);
        esp_mqtt_client_config_t cfg = { .broker.address.uri = uri, .session.last_will = { .topic = "will/portls",
                                         .msg = "connection lost", .qos = 1 } };
        recorder_t r;
        recorder_init(&r);
        esp_mqtt_client_handle_t client = esp_mqtt_client_init(&cfg);
        recorder_attach(&r, client);
        esp_mqtt_client_start(client);
        char ok = recorder_wait(&r, MQTT_EVENT_CONNECTED, 1) ? '1' : '0';
        (void)!write(ready[1], &ok, 1);
        pause(); /* until killed: no DISCONNECT is ever sent */
        _exit(1);
    }
    peer_t sub;
    const char *out = "/tmp/portls-mqtt-sub-will";
    mosquitto_sub_start(&sub, out, "will/portls", 1, 1);
    char ok = 0;
    assert_int_equal(read(ready[0], &ok, 1), 1);
    assert_int_equal(ok, '1');
    assert_int_equal(kill(child, SIGKILL), 0);
    assert_int_equal(waitpid(child, NULL, 0), child);
    assert_non_null(strstr(mosquitto_sub_finish(&sub, out), "connection lost"));
    close(ready[0]);
    close(ready[1]);
}

/* 1 byte, 64 KiB and 1 MiB through the broker and back, in pieces of the 1 KiB buffer; and
 * 1 MiB from mosquitto_pub. */
static void test_message_sizes(void **state)
{
    (void)state;
    char uri[64];
    broker_uri(uri, sizeof(uri), "mqtt", mosquitto_group.tcp_port);
    recorder_t r;
    recorder_init(&r);
    esp_mqtt_client_handle_t client = connected_client(uri, &r);
    assert_true(esp_mqtt_client_subscribe(client, "size/#", 1) > 0);
    assert_true(recorder_wait(&r, MQTT_EVENT_SUBSCRIBED, 1));
    const int sizes[] = { 1, 64 * 1024, 1024 * 1024 };
    char *payload = malloc(1024 * 1024);
    for (int i = 0; i < 1024 * 1024; i++) {
        payload[i] = (char)('a' + i % 23);
    }
    for (int i = 0; i < 3; i++) {
        assert_true(esp_mqtt_client_publish(client, "size/loop", payload, sizes[i], 1, 0) > 0);
        assert_true(recorder_wait(&r, MQTT_EVENT_DATA, i + 1));
        assert_int_equal(r.messages[i].total, sizes[i]);
        assert_memory_equal(r.messages[i].data, payload, (size_t)sizes[i]);
        assert_true(r.messages[i].pieces >= sizes[i] / 1024); /* the 1 KiB receive buffer at a time */
    }
    const char *file = "/tmp/portls-mqtt-1mib";
    FILE *f = fopen(file, "wb");
    assert_int_equal(fwrite(payload, 1, 1024 * 1024, f), 1024 * 1024);
    fclose(f);
    mosquitto_pub((const char *[]){ "-t", "size/file", "-q", "1", "-f", file, NULL });
    assert_true(recorder_wait(&r, MQTT_EVENT_DATA, 4));
    assert_int_equal(r.messages[3].total, 1024 * 1024);
    assert_memory_equal(r.messages[3].data, payload, 1024 * 1024);
    unlink(file);
    free(payload);
    esp_mqtt_client_destroy(client);
    recorder_free(&r);
}

/* A frozen broker answers no PINGREQ: the client gives up within 1.5 x keepalive. */
static void test_keepalive_detects_frozen_broker(void **state)
{
    (void)state;
    char uri[64];
    broker_uri(uri, sizeof(uri), "mqtt", mosquitto_group.tcp_port);
    esp_mqtt_client_config_t cfg = { .broker.address.uri = uri, .session.keepalive = 2,
                                     .network.disable_auto_reconnect = true };
    recorder_t r;
    recorder_init(&r);
    esp_mqtt_client_handle_t client = esp_mqtt_client_init(&cfg);
    recorder_attach(&r, client);
    assert_int_equal(esp_mqtt_client_start(client), ESP_OK);
    assert_true(recorder_wait(&r, MQTT_EVENT_CONNECTED, 1));
    mosquitto_pause(&mosquitto_group, true);
    int64_t frozen = now_ms();
    bool gone = recorder_wait(&r, MQTT_EVENT_DISCONNECTED, 1);
    int64_t took = now_ms() - frozen;
    mosquitto_pause(&mosquitto_group, false);
    assert_true(gone);
    print_message("disconnect detected %lld ms after the broker froze (keepalive 2000 ms)\n", (long long)took);
    assert_true(took <= 3000);
    assert_int_equal(r.count[MQTT_EVENT_ERROR], 1);
    esp_mqtt_client_destroy(client);
    recorder_free(&r);
}

/* QoS 1 and 2 messages published while the broker is down wait in the outbox and arrive after
 * the restart: none lost, and no QoS 2 one twice. */
static void test_outbox_across_broker_restart(void **state)
{
    (void)state;
    enum { N = 20 };
    char uri[64];
    broker_uri(uri, sizeof(uri), "mqtt", mosquitto_group.tcp_port);
    recorder_t sub_seen, pub_seen;
    recorder_init(&sub_seen);
    recorder_init(&pub_seen);
    sub_seen.subscribe_on_connect = "restart/#";
    esp_mqtt_client_config_t sub_cfg = { .broker.address.uri = uri, .network.reconnect_timeout_ms = 200 };
    esp_mqtt_client_handle_t sub = esp_mqtt_client_init(&sub_cfg);
    recorder_attach(&sub_seen, sub);
    esp_mqtt_client_config_t pub_cfg = { .broker.address.uri = uri, .network.reconnect_timeout_ms = 600000 };
    esp_mqtt_client_handle_t pub = esp_mqtt_client_init(&pub_cfg);
    recorder_attach(&pub_seen, pub);
    assert_int_equal(esp_mqtt_client_start(sub), ESP_OK);
    assert_int_equal(esp_mqtt_client_start(pub), ESP_OK);
    assert_true(recorder_wait(&sub_seen, MQTT_EVENT_SUBSCRIBED, 1));
    assert_true(recorder_wait(&pub_seen, MQTT_EVENT_CONNECTED, 1));

    peer_stop(&mosquitto_group.peer); /* the broker goes away */
    assert_true(recorder_wait(&pub_seen, MQTT_EVENT_DISCONNECTED, 1));
    for (int i = 0; i < N; i++) {
        char text[32];
        snprintf(text, sizeof(text), "q1 #%d", i);
        assert_true(esp_mqtt_client_publish(pub, "restart/q1", text, 0, 1, 0) > 0);
        snprintf(text, sizeof(text), "q2 #%d", i);
        assert_true(esp_mqtt_client_publish(pub, "restart/q2", text, 0, 2, 0) > 0);
    }
    assert_int_equal(esp_mqtt_client_publish(pub, "restart/q0", "lost", 0, 0, 0), -1); /* QoS 0 needs a connection */
    assert_true(esp_mqtt_client_get_outbox_size(pub) > 0);

    mosquitto_restart(&mosquitto_group);
    assert_true(recorder_wait(&sub_seen, MQTT_EVENT_SUBSCRIBED, 2)); /* reconnected by itself, subscribed again */
    assert_int_equal(esp_mqtt_client_reconnect(pub), ESP_OK);
    assert_true(recorder_wait(&sub_seen, MQTT_EVENT_DATA, 2 * N));
    assert_true(recorder_wait(&pub_seen, MQTT_EVENT_PUBLISHED, 2 * N));
    int q1[N] = { 0 }, q2[N] = { 0 };
    for (int i = 0; i < sub_seen.message_count; i++) {
        int n = atoi(strchr(sub_seen.messages[i].data, '#') + 1);
        (strcmp(sub_seen.messages[i].topic, "restart/q1") == 0 ? q1 : q2)[n]++;
    }
    for (int i = 0; i < N; i++) {
        assert_true(q1[i] >= 1);   /* QoS 1: at least once */
        assert_int_equal(q2[i], 1); /* QoS 2: exactly once */
    }
    assert_int_equal(esp_mqtt_client_get_outbox_size(pub), 0);
    esp_mqtt_client_destroy(pub);
    esp_mqtt_client_destroy(sub);
    recorder_free(&sub_seen);
    recorder_free(&pub_seen);
}

/* ws:// and wss:// (verified) to mosquitto's WebSocket listeners, a message there and back. */
static void test_websockets(void **state)
{
    (void)state;
    const struct {
        const char *scheme;
        int port;
    } cases[] = { { "ws", mosquitto_group.ws_port }, { "wss", mosquitto_group.wss_port } };
    for (int i = 0; i < 2; i++) {
        char uri[96];
        snprintf(uri, sizeof(uri), "%s://localhost:%d/mqtt", cases[i].scheme, cases[i].port);
        recorder_t r;
        recorder_init(&r);
        esp_mqtt_client_handle_t client = connected_client(uri, &r);
        assert_true(esp_mqtt_client_subscribe(client, "ws/echo", 2) > 0);
        assert_true(recorder_wait(&r, MQTT_EVENT_SUBSCRIBED, 1));
        assert_true(esp_mqtt_client_publish(client, "ws/echo", cases[i].scheme, 0, 2, 0) > 0);
        assert_true(recorder_wait(&r, MQTT_EVENT_DATA, 1));
        assert_string_equal(r.messages[0].data, cases[i].scheme);
        esp_mqtt_client_destroy(client);
        recorder_free(&r);
    }
}

/* An empty client id without a clean session is refused by the broker (MQTT 3.1.1, 3.1.3.3). */
static void test_connection_refused(void **state)
{
    (void)state;
    char uri[64];
    broker_uri(uri, sizeof(uri), "mqtt", mosquitto_group.tcp_port);
    esp_mqtt_client_config_t cfg = { .broker.address.uri = uri, .credentials.set_null_client_id = true,
                                     .session.disable_clean_session = true, .network.disable_auto_reconnect = true };
    recorder_t r;
    recorder_init(&r);
    esp_mqtt_client_handle_t client = esp_mqtt_client_init(&cfg);
    recorder_attach(&r, client);
    assert_int_equal(esp_mqtt_client_start(client), ESP_OK);
    assert_true(recorder_wait(&r, MQTT_EVENT_ERROR, 1));
    assert_int_equal(r.error.error_type, MQTT_ERROR_TYPE_CONNECTION_REFUSED);
    assert_int_equal(r.error.connect_return_code, MQTT_CONNECTION_REFUSE_ID_REJECTED);
    assert_true(recorder_wait(&r, MQTT_EVENT_DISCONNECTED, 1));
    assert_int_equal(esp_mqtt_client_reconnect(client), ESP_OK); /* waits for reconnect(): auto is off */
    assert_true(recorder_wait(&r, MQTT_EVENT_ERROR, 2));
    esp_mqtt_client_destroy(client);
    recorder_free(&r);
}

static void test_api_arguments(void **state)
{
    (void)state;
    assert_null(esp_mqtt_client_init(NULL));
    esp_mqtt_client_config_t cfg = { 0 };
    assert_null(esp_mqtt_client_init(&cfg)); /* no broker */
    cfg.broker.address.uri = "http://127.0.0.1/";
    assert_null(esp_mqtt_client_init(&cfg)); /* not an MQTT scheme */
    cfg.broker.address.uri = "mqtt://127.0.0.1:1";
    cfg.session.protocol_ver = MQTT_PROTOCOL_V_5;
    assert_null(esp_mqtt_client_init(&cfg));
    cfg.session.protocol_ver = MQTT_PROTOCOL_V_3_1_1;
    cfg.credentials.authentication.certificate = "x";
    assert_null(esp_mqtt_client_init(&cfg)); /* a certificate without its key */
    cfg.credentials.authentication.certificate = NULL;
    cfg.credentials.authentication.ds_data = &cfg;
    assert_null(esp_mqtt_client_init(&cfg)); /* chip hardware */
    cfg.credentials.authentication.ds_data = NULL;
    cfg.outbox.limit = 100;
    esp_mqtt_client_handle_t client = esp_mqtt_client_init(&cfg);
    assert_non_null(client);
    assert_int_equal(esp_mqtt_client_publish(client, "t", "qos0", 0, 0, 0), -1); /* not connected */
    assert_true(esp_mqtt_client_publish(client, "t", "queued", 0, 1, 0) > 0);
    assert_true(esp_mqtt_client_get_outbox_size(client) > 0);
    char big[128] = { 0 };
    memset(big, 'x', sizeof(big) - 1);
    assert_int_equal(esp_mqtt_client_publish(client, "t", big, 0, 1, 0), -2); /* over the outbox limit */
    assert_int_equal(esp_mqtt_client_subscribe(client, "t", 0), -1); /* not connected */
    assert_int_equal(esp_mqtt_client_publish(client, "t", "x", 0, 3, 0), -1);
    assert_int_equal(esp_mqtt_client_publish(client, NULL, "x", 0, 0, 0), -1);
    assert_int_equal(esp_mqtt_client_stop(client), ESP_FAIL); /* not started */
    assert_int_equal(esp_mqtt_client_reconnect(client), ESP_FAIL);
    assert_int_equal(esp_mqtt_client_set_uri(client, "ftp://x"), ESP_FAIL);
    assert_int_equal(esp_mqtt_client_set_uri(client, "mqtts://127.0.0.1:8883"), ESP_OK);
    assert_int_equal(esp_mqtt_client_destroy(client), ESP_OK);
    assert_int_equal(esp_mqtt_client_destroy(NULL), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_mqtt_client_publish(NULL, "t", "x", 0, 0, 0), -1);
    assert_int_equal(esp_mqtt_client_get_outbox_size(NULL), 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutual_auth),
        cmocka_unit_test(test_qos_from_broker),
        cmocka_unit_test(test_qos_to_broker),
        cmocka_unit_test(test_retained_message),
        cmocka_unit_test(test_last_will),
        cmocka_unit_test(test_message_sizes),
        cmocka_unit_test(test_keepalive_detects_frozen_broker),
        cmocka_unit_test(test_outbox_across_broker_restart),
        cmocka_unit_test(test_websockets),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_api_arguments),
    };
    return cmocka_run_group_tests(tests, mosquitto_group_setup, mosquitto_group_teardown);
}
