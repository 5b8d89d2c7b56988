/* The MQTT client against a real mosquitto broker (tests/support/mosquitto.h), with
 * mosquitto_pub and mosquitto_sub on the other side: mutual TLS, QoS 0/1/2 both ways, retained
 * messages, the last will, large messages, keepalive against a frozen broker, the outbox across
 * a broker restart, WebSockets, a refused connection, a broker that stops reading mid-write, one
 * that never answers, set_config()'s TLS settings, enqueue's thread, packet identifiers running
 * out, and bad arguments. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "esp_transport_tcp.h"
#include "mbedtls/x509.h"
#include "mqtt_test_client.h"
#include "tls_test.h"

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
    esp_mqtt_client_handle_t client = started_client(&cfg, &r);
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
        client = started_client(&cfg, &r);
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
        assert_int_not_equal(r.error.esp_tls_last_esp_err, ESP_OK); /* a code, also with only an errno */
        esp_mqtt_client_destroy(client);
        recorder_free(&r);
    }
}

/* mosquitto_pub at each QoS to a client subscribed at QoS 2: each message arrives at its QoS. */
static void test_qos_from_broker(void **state)
{
    (void)state;
    recorder_t r;
    esp_mqtt_client_handle_t client = connected_tcp_client(&r);
    esp_mqtt_topic_t topics[] = { { "in/#", 2 }, { "other/+", 0 } };
    assert_true(esp_mqtt_client_subscribe(client, topics, 2) > 0); /* the macro picks subscribe_multiple */
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
    recorder_t r;
    esp_mqtt_client_handle_t client = connected_tcp_client(&r);
    for (int qos = 0; qos <= 2; qos++) {
        peer_t sub;
        const char *out = "/tmp/portls-mqtt-sub-qos";
        mosquitto_sub_start(&sub, out, "out/qos", 2, 1);
        char text[32], flags[32];
        snprintf(text, sizeof(text), "from portls at QoS %d", qos);
        int id = esp_mqtt_client_publish(client, "out/qos", text, 0, qos, 0);
        assert_true(qos == 0 ? id == 0 : id > 0);
        const char *seen = spawned_finish(&sub, out);
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
    recorder_t r;
    esp_mqtt_client_handle_t client = connected_tcp_client(&r);
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
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test, whatever fails there */
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
    assert_non_null(strstr(spawned_finish(&sub, out), "connection lost"));
    close(ready[0]);
    close(ready[1]);
}

/* 1 byte, 64 KiB and 1 MiB through the broker and back, in pieces of the 1 KiB buffer; and
 * 1 MiB from mosquitto_pub. */
static void test_message_sizes(void **state)
{
    (void)state;
    recorder_t r;
    esp_mqtt_client_handle_t client = connected_tcp_client(&r);
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

/* A frozen broker answers no PINGREQ: the client gives up within 2 x keepalive (it should take
 * about one; the bound leaves room for a loaded machine). */
static void test_keepalive_detects_frozen_broker(void **state)
{
    (void)state;
    char uri[64];
    broker_uri(uri, sizeof(uri), "mqtt", mosquitto_group.tcp_port);
    esp_mqtt_client_config_t cfg = { .broker.address.uri = uri, .session.keepalive = 2,
                                     .network.disable_auto_reconnect = true };
    recorder_t r;
    recorder_init(&r);
    esp_mqtt_client_handle_t client = started_client(&cfg, &r);
    assert_true(recorder_wait(&r, MQTT_EVENT_CONNECTED, 1));
    mosquitto_pause(&mosquitto_group, true);
    int64_t frozen = esp_deadline_now_ms();
    bool gone = recorder_wait(&r, MQTT_EVENT_DISCONNECTED, 1);
    int64_t took = esp_deadline_now_ms() - frozen;
    mosquitto_pause(&mosquitto_group, false);
    assert_true(gone);
    print_message("disconnect detected %lld ms after the broker froze (keepalive 2000 ms)\n", (long long)took);
    assert_true(took <= 2 * 2000);
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

/* The broker's address three ways: a URI whose port comes from address.port, hostname +
 * transport + port, and a URI replaced with set_uri() before the start. */
static void test_address_forms(void **state)
{
    (void)state;
    char wrong[64], right[64];
    broker_uri(wrong, sizeof(wrong), "mqtt", 1);
    broker_uri(right, sizeof(right), "mqtt", mosquitto_group.tcp_port);
    esp_mqtt_client_config_t configs[] = {
        { .broker.address = { .uri = "mqtt://127.0.0.1", .port = (uint32_t)mosquitto_group.tcp_port } },
        { .broker.address = { .hostname = "localhost", .transport = MQTT_TRANSPORT_OVER_TCP,
                              .port = (uint32_t)mosquitto_group.tcp_port } },
        { .broker.address.uri = wrong },
    };
    for (int i = 0; i < 3; i++) {
        recorder_t r;
        recorder_init(&r);
        esp_mqtt_client_handle_t client = esp_mqtt_client_init(&configs[i]);
        assert_non_null(client);
        if (i == 2) {
            assert_int_equal(esp_mqtt_client_set_uri(client, right), ESP_OK);
        }
        recorder_attach(&r, client);
        assert_int_equal(esp_mqtt_client_start(client), ESP_OK);
        assert_true(recorder_wait(&r, MQTT_EVENT_CONNECTED, 1));
        esp_mqtt_client_destroy(client);
        recorder_free(&r);
    }
}

/* refresh_connection_after_ms: the client drops its connection and makes a new one by itself. */
static void test_refresh_connection(void **state)
{
    (void)state;
    char uri[64];
    broker_uri(uri, sizeof(uri), "mqtt", mosquitto_group.tcp_port);
    esp_mqtt_client_config_t cfg = { .broker.address.uri = uri, .network.refresh_connection_after_ms = 300,
                                     .network.reconnect_timeout_ms = 600000 };
    recorder_t r;
    recorder_init(&r);
    esp_mqtt_client_handle_t client = started_client(&cfg, &r);
    assert_true(recorder_wait(&r, MQTT_EVENT_CONNECTED, 3)); /* no reconnect timeout waited for */
    assert_true(r.count[MQTT_EVENT_DISCONNECTED] >= 2);
    assert_int_equal(r.count[MQTT_EVENT_ERROR], 0);
    esp_mqtt_client_destroy(client);
    recorder_free(&r);
}

/* MQTT 3.1 ("MQIsdp", level 3), which mosquitto still speaks. */
static void test_protocol_3_1(void **state)
{
    (void)state;
    char uri[64];
    broker_uri(uri, sizeof(uri), "mqtt", mosquitto_group.tcp_port);
    esp_mqtt_client_config_t cfg = { .broker.address.uri = uri, .session.protocol_ver = MQTT_PROTOCOL_V_3_1 };
    recorder_t r;
    recorder_init(&r);
    esp_mqtt_client_handle_t client = started_client(&cfg, &r);
    assert_true(recorder_wait(&r, MQTT_EVENT_CONNECTED, 1));
    assert_true(esp_mqtt_client_subscribe(client, "v31", 1) > 0);
    assert_true(recorder_wait(&r, MQTT_EVENT_SUBSCRIBED, 1));
    assert_true(esp_mqtt_client_publish(client, "v31", "old but fine", 0, 1, 0) > 0);
    assert_true(recorder_wait(&r, MQTT_EVENT_DATA, 1));
    assert_string_equal(r.messages[0].data, "old but fine");
    esp_mqtt_client_destroy(client);
    recorder_free(&r);
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
    esp_mqtt_client_handle_t client = started_client(&cfg, &r);
    assert_true(recorder_wait(&r, MQTT_EVENT_ERROR, 1));
    assert_int_equal(r.error.error_type, MQTT_ERROR_TYPE_CONNECTION_REFUSED);
    assert_int_equal(r.error.connect_return_code, MQTT_CONNECTION_REFUSE_ID_REJECTED);
    assert_true(recorder_wait(&r, MQTT_EVENT_DISCONNECTED, 1));
    assert_int_equal(esp_mqtt_client_reconnect(client), ESP_OK); /* waits for reconnect(): auto is off */
    assert_true(recorder_wait(&r, MQTT_EVENT_ERROR, 2));
    esp_mqtt_client_destroy(client);
    recorder_free(&r);
}

/* A "broker" on a thread that accepts one client, answers its CONNECT with a CONNACK, then sends
 * a packet no broker may send. */
typedef struct {
    int listen_fd, port;
    const uint8_t *bad;
    size_t bad_len;
    pthread_t thread;
} bad_broker_t;

static void *serve_bad_packet(void *arg)
{
    bad_broker_t *b = arg;
    int fd = accept(b->listen_fd, NULL, NULL);
    uint8_t connect[256];
    if (fd >= 0 && read(fd, connect, sizeof(connect)) > 0) {
        static const uint8_t connack[] = { 0x20, 0x02, 0x00, 0x00 };
        (void)!write(fd, connack, sizeof(connack));
        (void)!write(fd, b->bad, b->bad_len);
    }
    if (fd >= 0) {
        peer_close_gently(fd); /* the client closes over the bad packet */
    }
    return NULL;
}

/* Each malformed packet ends the connection with an ERROR (ESP_ERR_INVALID_RESPONSE). */
static void test_malformed_packets_from_broker(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        uint8_t bytes[8];
        size_t len;
    } cases[] = {
        { "reserved type", { 0xF0, 0x00 }, 2 },
        { "CONNECT from a server", { 0x10, 0x00 }, 2 },
        { "five length bytes", { 0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, 6 },
        { "topic beyond the packet", { 0x30, 0x03, 0x00, 0x05, 'a' }, 5 },
        { "QoS 3", { 0x36, 0x05, 0x00, 0x01, 't', 0x00, 0x01 }, 7 },
        { "PUBACK of 3 bytes", { 0x40, 0x03, 0x00, 0x01, 0x00 }, 5 },
        { "SUBACK code 5", { 0x90, 0x03, 0x00, 0x01, 0x05 }, 5 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        print_message("broker sends: %s\n", cases[i].what);
        bad_broker_t b = { .bad = cases[i].bytes, .bad_len = cases[i].len };
        b.listen_fd = peer_listen_loopback(&b.port);
        assert_true(b.listen_fd >= 0);
        assert_int_equal(pthread_create(&b.thread, NULL, serve_bad_packet, &b), 0);
        char uri[64];
        broker_uri(uri, sizeof(uri), "mqtt", b.port);
        esp_mqtt_client_config_t cfg = { .broker.address.uri = uri, .network.disable_auto_reconnect = true };
        recorder_t r;
        recorder_init(&r);
        esp_mqtt_client_handle_t client = started_client(&cfg, &r);
        assert_true(recorder_wait(&r, MQTT_EVENT_DISCONNECTED, 1));
        assert_int_equal(r.count[MQTT_EVENT_CONNECTED], 1);
        assert_int_equal(r.count[MQTT_EVENT_ERROR], 1);
        assert_int_equal(r.error.esp_tls_last_esp_err, ESP_ERR_INVALID_RESPONSE);
        esp_mqtt_client_destroy(client);
        pthread_join(b.thread, NULL);
        close(b.listen_fd);
        recorder_free(&r);
    }
}

/* The msg_id of the last user event, set on the client's thread. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int value;
} user_seen_t;

static void on_user_event(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)base;
    (void)id;
    user_seen_t *u = arg;
    pthread_mutex_lock(&u->lock);
    u->value = ((const esp_mqtt_event_t *)data)->msg_id; /* what the caller put in it */
    pthread_cond_broadcast(&u->changed);
    pthread_mutex_unlock(&u->lock);
}

static int wait_for_user_value(user_seen_t *u, int value)
{
    pthread_mutex_lock(&u->lock);
    while (u->value != value) {
        pthread_cond_wait(&u->changed, &u->lock);
    }
    int seen = u->value;
    pthread_mutex_unlock(&u->lock);
    return seen;
}

typedef struct {
    esp_mqtt_client_config_t cfg;
    int applied; /* set_config() calls that succeeded */
} reconfig_t;

static void before_connect_reconfigures(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)base;
    (void)id;
    esp_mqtt_event_handle_t ev = data;
    reconfig_t *re = arg;
    re->applied += esp_mqtt_set_config(ev->client, &re->cfg) == ESP_OK;
}

/* enqueue() leaves the sending to the client's thread; custom events reach the handlers on it;
 * set_config() from BEFORE_CONNECT takes effect; disconnect() holds until reconnect(); a
 * handler unregistered gets nothing more. */
static void test_enqueue_custom_events_and_config(void **state)
{
    (void)state;
    char uri[64];
    broker_uri(uri, sizeof(uri), "mqtt", mosquitto_group.tcp_port);
    reconfig_t re = { .cfg = { .broker.address.uri = uri, .credentials.client_id = "portls-config-test" } };
    recorder_t r;
    recorder_init(&r);
    esp_mqtt_client_handle_t client = esp_mqtt_client_init(&re.cfg);
    recorder_attach(&r, client);
    user_seen_t user = { .lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER };
    assert_int_equal(esp_mqtt_client_register_event(client, MQTT_USER_EVENT, on_user_event, &user), ESP_OK);
    assert_int_equal(esp_mqtt_client_register_event(client, MQTT_EVENT_BEFORE_CONNECT, before_connect_reconfigures,
                                                    &re), ESP_OK);
    assert_int_equal(esp_mqtt_client_start(client), ESP_OK);
    assert_int_equal(esp_mqtt_client_start(client), ESP_FAIL); /* started already */
    assert_true(recorder_wait(&r, MQTT_EVENT_CONNECTED, 1));
    assert_int_equal(re.applied, 1); /* set_config() from BEFORE_CONNECT succeeded */

    assert_true(esp_mqtt_client_subscribe(client, "queued/#", 1) > 0);
    assert_true(recorder_wait(&r, MQTT_EVENT_SUBSCRIBED, 1));
    assert_true(esp_mqtt_client_enqueue(client, "queued/q1", "later", 0, 1, 0, false) > 0);
    assert_int_equal(esp_mqtt_client_enqueue(client, "queued/q0", "stored", 0, 0, 0, true), 0);
    assert_true(recorder_wait(&r, MQTT_EVENT_DATA, 2));

    esp_mqtt_event_t custom = { .msg_id = 4242 };
    assert_int_equal(esp_mqtt_dispatch_custom_event(client, &custom), ESP_OK);
    assert_int_equal(wait_for_user_value(&user, 4242), 4242);

    assert_int_equal(esp_mqtt_client_disconnect(client), ESP_OK);
    assert_true(recorder_wait(&r, MQTT_EVENT_DISCONNECTED, 1));
    assert_int_equal(esp_mqtt_client_unregister_event(client, MQTT_USER_EVENT, on_user_event), ESP_OK);
    assert_int_equal(esp_mqtt_client_reconnect(client), ESP_OK);
    assert_true(recorder_wait(&r, MQTT_EVENT_CONNECTED, 2));
    assert_int_equal(esp_mqtt_client_reconnect(client), ESP_FAIL); /* connected */
    assert_int_equal(esp_mqtt_dispatch_custom_event(client, &(esp_mqtt_event_t){ .msg_id = 7 }), ESP_OK);
    assert_true(recorder_wait(&r, MQTT_USER_EVENT, 2));
    assert_int_equal(esp_mqtt_client_stop(client), ESP_OK); /* the thread is gone: its handlers ran */
    assert_int_equal(user.value, 4242);                     /* unregistered: not called again */
    assert_true(esp_mqtt_client_is_stopped(client));
    esp_mqtt_client_destroy(client);
    recorder_free(&r);
}

/* ---- a broker that stops reading ---- */

#define STALL_MAX 1000        /* messages at most while the broker is frozen */
#define STALL_PAYLOAD 32768   /* bytes each: the socket buffers fill after a few hundred */
#define STALL_AFTER 6         /* messages published once the broker reads again */
#define STALL_TIMEOUT_MS 5000 /* the publisher's network timeout: also how long the broker has to read again */

/* What a subscriber got of the numbered messages ("q<qos> #<n>" first in each payload). */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int seen[2][STALL_MAX + 2 * STALL_AFTER];
} tally_t;

static void on_tally(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)base;
    tally_t *t = arg;
    esp_mqtt_event_handle_t ev = data;
    char head[24] = { 0 };
    int qos, n;
    if (id != MQTT_EVENT_DATA || ev->current_data_offset != 0) {
        return;
    }
    memcpy(head, ev->data, ev->data_len < (int)sizeof(head) - 1 ? (size_t)ev->data_len : sizeof(head) - 1);
    if (sscanf(head, "q%d #%d", &qos, &n) == 2 && qos >= 0 && qos <= 1 && n >= 0 &&
        n < STALL_MAX + 2 * STALL_AFTER) {
        pthread_mutex_lock(&t->lock);
        t->seen[qos][n]++;
        pthread_cond_broadcast(&t->changed);
        pthread_mutex_unlock(&t->lock);
    }
}

/* Message n, at QoS n % 2. @return what publish returned. */
static int publish_numbered(esp_mqtt_client_handle_t client, char *payload, int n)
{
    int qos = n % 2;
    int len = snprintf(payload, 24, "q%d #%d", qos, n);
    memset(payload + len, '.', STALL_PAYLOAD - (size_t)len);
    return esp_mqtt_client_publish(client, "stall/n", payload, STALL_PAYLOAD, qos, 0);
}

/* Waits (up to 30 s) until the subscriber saw every message whose result says it went out.
 * @return the first missing one, or -1. */
static int first_missing(tally_t *t, const int *result, int count)
{
    esp_deadline_t deadline = esp_deadline_in_ms(30000);
    pthread_mutex_lock(&t->lock);
    int missing = 0;
    while (missing >= 0) {
        missing = -1;
        for (int n = 0; n < count && missing < 0; n++) {
            missing = result[n] >= 0 && t->seen[n % 2][n] == 0 ? n : -1; /* QoS 1: msg_id; QoS 0: 0 */
        }
        if (missing >= 0 && esp_deadline_cond_wait(&t->changed, &t->lock, deadline) != 0) {
            break;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return missing;
}

/* The broker stops reading (SIGSTOP) while QoS 0 and QoS 1 messages are published from this
 * thread over TLS: the socket buffers fill and a write times out half-way through a record. That
 * connection must go: on it, the next write would first finish the old record and count it as
 * the new data. After the broker reads again, every QoS 1 message arrives and so does every
 * QoS 0 one whose publish reported it sent. */
static void test_stalled_broker_loses_nothing(void **state)
{
    (void)state;
    char sub_uri[64], pub_uri[64];
    broker_uri(sub_uri, sizeof(sub_uri), "mqtt", mosquitto_group.tcp_port);
    snprintf(pub_uri, sizeof(pub_uri), "mqtts://localhost:%d", mosquitto_group.tls_port);
    static tally_t tally = { .lock = PTHREAD_MUTEX_INITIALIZER };
    assert_int_equal(esp_deadline_cond_init(&tally.changed), 0);
    recorder_t sub_seen, pub_seen;
    recorder_init(&sub_seen);
    recorder_init(&pub_seen);
    esp_mqtt_client_handle_t sub = connected_client(sub_uri, &sub_seen);
    assert_int_equal(esp_mqtt_client_register_event(sub, MQTT_EVENT_DATA, on_tally, &tally), ESP_OK);
    assert_true(esp_mqtt_client_subscribe(sub, "stall/#", 1) > 0);
    assert_true(recorder_wait(&sub_seen, MQTT_EVENT_SUBSCRIBED, 1));
    esp_mqtt_client_config_t cfg = { .broker.address.uri = pub_uri,
                                     .broker.verification.certificate = (const char *)pki("ca.pem")->data,
                                     .network = { .timeout_ms = STALL_TIMEOUT_MS, .reconnect_timeout_ms = 200 },
                                     .session.message_retransmit_timeout = 60000 };
    esp_mqtt_client_handle_t pub = started_client(&cfg, &pub_seen);
    assert_true(recorder_wait(&pub_seen, MQTT_EVENT_CONNECTED, 1));

    static int result[STALL_MAX + 2 * STALL_AFTER];
    char *payload = malloc(STALL_PAYLOAD);
    mosquitto_pause(&mosquitto_group, true);
    int n = 0;
    bool stalled = false;
    while (n < STALL_MAX && !stalled) {
        int64_t start = esp_deadline_now_ms();
        result[n] = publish_numbered(pub, payload, n);
        stalled = result[n] < 0 || esp_deadline_now_ms() - start >= STALL_TIMEOUT_MS; /* a write ran out of time */
        n++;
    }
    assert_true(stalled);
    for (int end = n + STALL_AFTER; n < end; n++) {
        result[n] = publish_numbered(pub, payload, n); /* QoS 0 fails now, QoS 1 is kept */
    }
    print_message("the broker's buffers filled after %d messages\n", n - STALL_AFTER);
    mosquitto_pause(&mosquitto_group, false);
    result[n] = publish_numbered(pub, payload, n); /* at once: must not report a lost message as sent */
    n++;
    assert_true(recorder_wait(&pub_seen, MQTT_EVENT_CONNECTED, 2)); /* the failed write ended that connection */
    assert_int_equal(pub_seen.count[MQTT_EVENT_ERROR], 1);
    assert_int_equal(pub_seen.error.esp_tls_last_esp_err, ESP_ERR_ESP_TLS_CONNECTION_TIMEOUT); /* not ESP_OK */
    for (int end = n + STALL_AFTER - 1; n < end; n++) {
        result[n] = publish_numbered(pub, payload, n);
        assert_true(result[n] >= 0);
    }
    int missing = first_missing(&tally, result, n);
    if (missing >= 0) {
        print_message("message %d (QoS %d, publish returned %d) never arrived\n", missing, missing % 2, result[missing]);

    }
    assert_int_equal(missing, -1);
    int kept = 0;
    for (int i = 1; i < n; i += 2) {
        kept += result[i] > 0;
    }
    assert_int_equal(kept, n / 2); /* every QoS 1 message was accepted, and arrived */
    free(payload);
    esp_mqtt_client_destroy(pub);
    esp_mqtt_client_destroy(sub);
    recorder_free(&pub_seen);
    recorder_free(&sub_seen);
}

/* ---- the API while the client connects ---- */

/* A listener that accepts TCP (the kernel does) and never says a word: over mqtt:// the CONNACK
 * never comes, over mqtts:// the TLS handshake never ends. publish, subscribe and stop must not
 * wait for it (the network timeout is 30 s). */
static void test_api_does_not_wait_for_a_silent_broker(void **state)
{
    (void)state;
    peer_t silent;
    assert_int_equal(peer_listen_silent(&silent), 0);
    const char *schemes[] = { "mqtt", "mqtts" };
    for (int i = 0; i < 2; i++) {
        char uri[64];
        snprintf(uri, sizeof(uri), "%s://localhost:%d", schemes[i], silent.port);
        esp_mqtt_client_config_t cfg = { .broker.address.uri = uri,
                                         .broker.verification.certificate = (const char *)pki("ca.pem")->data,
                                         .network = { .timeout_ms = 30000, .disable_auto_reconnect = true } };
        recorder_t r;
        recorder_init(&r);
        esp_mqtt_client_handle_t client = started_client(&cfg, &r);
        assert_true(recorder_wait(&r, MQTT_EVENT_BEFORE_CONNECT, 1));
        sleep_ms(300); /* well into the connect */
        int64_t start = esp_deadline_now_ms();
        assert_true(esp_mqtt_client_publish(client, "silent", "queued", 0, 1, 0) > 0);
        assert_int_equal(esp_mqtt_client_subscribe(client, "silent", 1), -1); /* not connected */
        assert_int_equal(esp_mqtt_client_stop(client), ESP_OK);
        int64_t took = esp_deadline_now_ms() - start;
        print_message("%s: publish, subscribe and stop took %lld ms\n", schemes[i], (long long)took);
        assert_true(took < 5000);
        assert_int_equal(r.count[MQTT_EVENT_CONNECTED], 0);
        esp_mqtt_client_destroy(client);
        recorder_free(&r);
    }
    peer_stop(&silent);
}

/* ---- enqueue ---- */

/* A transport over TCP that counts the writes made on the test's own thread. */
typedef struct {
    esp_transport_handle_t inner;
    pthread_t test_thread;
    int writes_on_test_thread;
} spy_t;

static spy_t *spy_of(esp_transport_handle_t t)
{
    return esp_transport_get_context_data(t);
}

static int spy_connect(esp_transport_handle_t t, const char *host, int port, int timeout_ms)
{
    return esp_transport_connect(spy_of(t)->inner, host, port, timeout_ms);
}

static int spy_read(esp_transport_handle_t t, char *buffer, int len, int timeout_ms)
{
    return esp_transport_read(spy_of(t)->inner, buffer, len, timeout_ms);
}

static int spy_write(esp_transport_handle_t t, const char *buffer, int len, int timeout_ms)
{
    spy_t *spy = spy_of(t);
    spy->writes_on_test_thread += pthread_equal(pthread_self(), spy->test_thread) != 0;
    return esp_transport_write(spy->inner, buffer, len, timeout_ms);
}

static int spy_close(esp_transport_handle_t t)
{
    return esp_transport_close(spy_of(t)->inner);
}

static int spy_poll_read(esp_transport_handle_t t, int timeout_ms)
{
    return esp_transport_poll_read(spy_of(t)->inner, timeout_ms);
}

static int spy_poll_write(esp_transport_handle_t t, int timeout_ms)
{
    return esp_transport_poll_write(spy_of(t)->inner, timeout_ms);
}

static int spy_destroy(esp_transport_handle_t t)
{
    return esp_transport_destroy(spy_of(t)->inner);
}

/* enqueue() writes nothing on the caller's thread, QoS 0 without store included: the client's
 * thread sends the message. */
static void test_enqueue_never_writes_on_the_callers_thread(void **state)
{
    (void)state;
    spy_t spy = { .inner = esp_transport_tcp_init(), .test_thread = pthread_self() };
    esp_transport_handle_t t = esp_transport_init();
    assert_non_null(t);
    esp_transport_set_context_data(t, &spy);
    esp_transport_set_func(t, spy_connect, spy_read, spy_write, spy_close, spy_poll_read, spy_poll_write, spy_destroy);
    esp_mqtt_client_config_t cfg = { .broker.address = { .hostname = "127.0.0.1", .transport = MQTT_TRANSPORT_OVER_TCP,
                                                         .port = (uint32_t)mosquitto_group.tcp_port },
                                     .network.transport = t };
    recorder_t r;
    recorder_init(&r);
    esp_mqtt_client_handle_t client = started_client(&cfg, &r);
    assert_true(recorder_wait(&r, MQTT_EVENT_CONNECTED, 1));
    assert_true(esp_mqtt_client_subscribe(client, "handed/#", 1) > 0); /* this one is written here */
    assert_true(recorder_wait(&r, MQTT_EVENT_SUBSCRIBED, 1));
    spy.writes_on_test_thread = 0;
    assert_int_equal(esp_mqtt_client_enqueue(client, "handed/q0", "no store", 0, 0, 0, false), 0);
    assert_int_equal(esp_mqtt_client_enqueue(client, "handed/q0", "stored", 0, 0, 0, true), 0);
    assert_true(esp_mqtt_client_enqueue(client, "handed/q1", "kept", 0, 1, 0, false) > 0);
    assert_true(recorder_wait(&r, MQTT_EVENT_DATA, 3));
    assert_int_equal(spy.writes_on_test_thread, 0);
    esp_mqtt_client_destroy(client); /* and the spy transport with it */
    recorder_free(&r);
}

/* ---- packet identifiers ---- */

/* With all 65,535 identifiers held by unacknowledged messages, the next QoS 1 publish fails at
 * once (it used to search for a free one forever, holding the API lock). */
static void test_packet_ids_run_out(void **state)
{
    (void)state;
    esp_mqtt_client_config_t cfg = { .broker.address.uri = "mqtt://127.0.0.1:1" }; /* never started */
    esp_mqtt_client_handle_t client = esp_mqtt_client_init(&cfg);
    assert_non_null(client);
    alarm(60); /* a search that never ends kills the test instead of hanging it */
    for (int i = 1; i <= 65535; i++) {
        int id = esp_mqtt_client_publish(client, "ids", NULL, 0, 1, 0);
        if (id != i) {
            assert_int_equal(id, i);
        }
    }
    assert_int_equal(esp_mqtt_client_publish(client, "ids", NULL, 0, 1, 0), -1);
    assert_int_equal(esp_mqtt_client_enqueue(client, "ids", NULL, 0, 2, 0, true), -1);
    assert_int_equal(esp_mqtt_client_publish(client, "ids", NULL, 0, 0, 0), -1); /* QoS 0: not connected */
    alarm(0);
    esp_mqtt_client_destroy(client);
}

/* ---- esp_mqtt_set_config() ---- */

/* Replaces the config of a disconnected client and connects it again. */
static void reconnect_with(esp_mqtt_client_handle_t client, const esp_mqtt_client_config_t *cfg)
{
    assert_int_equal(esp_mqtt_set_config(client, cfg), ESP_OK);
    assert_int_equal(esp_mqtt_client_reconnect(client), ESP_OK);
}

/* set_config() re-applies the TLS settings at the next connect: a wrong CA, then the right one,
 * connects; a wrong name passes while its check is skipped and fails once the skip is cleared. */
static void test_set_config_applies_tls_settings(void **state)
{
    (void)state;
    char uri[64];
    snprintf(uri, sizeof(uri), "mqtts://localhost:%d", mosquitto_group.tls_port);
    esp_mqtt_client_config_t cfg = { .broker.address.uri = uri,
                                     .broker.verification.certificate = (const char *)pki("other_ca.pem")->data,
                                     .network.disable_auto_reconnect = true };
    recorder_t r;
    recorder_init(&r);
    esp_mqtt_client_handle_t client = started_client(&cfg, &r);
    assert_true(recorder_wait(&r, MQTT_EVENT_DISCONNECTED, 1));
    assert_int_equal(r.count[MQTT_EVENT_CONNECTED], 0);
    assert_int_equal(r.error.esp_tls_cert_verify_flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED, MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    cfg.broker.verification.certificate = (const char *)pki("ca.pem")->data;
    reconnect_with(client, &cfg);
    assert_true(recorder_wait(&r, MQTT_EVENT_CONNECTED, 1)); /* the right CA this time */

    cfg.broker.verification.common_name = "not-the-broker.example";
    cfg.broker.verification.skip_cert_common_name_check = true;
    assert_int_equal(esp_mqtt_client_disconnect(client), ESP_OK);
    assert_true(recorder_wait(&r, MQTT_EVENT_DISCONNECTED, 2));
    reconnect_with(client, &cfg);
    assert_true(recorder_wait(&r, MQTT_EVENT_CONNECTED, 2)); /* the name is not checked */

    cfg.broker.verification.skip_cert_common_name_check = false;
    assert_int_equal(esp_mqtt_client_disconnect(client), ESP_OK);
    assert_true(recorder_wait(&r, MQTT_EVENT_DISCONNECTED, 3));
    int errors = r.count[MQTT_EVENT_ERROR];
    reconnect_with(client, &cfg);
    assert_true(recorder_wait(&r, MQTT_EVENT_ERROR, errors + 1));
    assert_int_equal(r.error.esp_tls_cert_verify_flags & MBEDTLS_X509_BADCERT_CN_MISMATCH, MBEDTLS_X509_BADCERT_CN_MISMATCH);
    assert_int_equal(r.count[MQTT_EVENT_CONNECTED], 2);
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
    assert_int_equal(esp_mqtt_client_publish(client, "t", big, 0, 0, 0), -1); /* QoS 0: not counted; offline */
    assert_int_equal(esp_mqtt_client_enqueue(client, "t", big, 0, 0, 0, true), -2); /* enqueue counts all */
    assert_int_equal(esp_mqtt_client_enqueue(client, "t", "0123456789", 0, 0, 0, true), 0);
    int before = esp_mqtt_client_get_outbox_size(client);
    assert_int_equal(esp_mqtt_client_enqueue(client, "t", "x", 0, 0, 0, false), -1); /* no store: offline */
    assert_int_equal(esp_mqtt_client_get_outbox_size(client), before);
    assert_int_equal(esp_mqtt_client_subscribe(client, "t", 0), -1); /* not connected */
    assert_true(esp_mqtt_client_publish(client, "t", big, 100 - before, 1, 0) > 0); /* fits: now over */
    assert_true(esp_mqtt_client_get_outbox_size(client) > 100);
    assert_int_equal(esp_mqtt_client_subscribe(client, "t", 0), -2); /* the outbox is over its limit */
    assert_int_equal(esp_mqtt_client_publish(client, "a/+", "x", 0, 0, 0), -1); /* a wildcard in a name */
    assert_int_equal(esp_mqtt_client_subscribe(client, "a/#/b", 0), -1);      /* # not last */
    assert_int_equal(esp_mqtt_client_unsubscribe(client, "a#"), -1);
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

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]); /* one test by name, when debugging */
    }
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
        cmocka_unit_test(test_address_forms),
        cmocka_unit_test(test_refresh_connection),
        cmocka_unit_test(test_protocol_3_1),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_malformed_packets_from_broker),
        cmocka_unit_test(test_enqueue_custom_events_and_config),
        cmocka_unit_test(test_stalled_broker_loses_nothing),
        cmocka_unit_test(test_api_does_not_wait_for_a_silent_broker),
        cmocka_unit_test(test_enqueue_never_writes_on_the_callers_thread),
        cmocka_unit_test(test_packet_ids_run_out),
        cmocka_unit_test(test_set_config_applies_tls_settings),
        cmocka_unit_test(test_api_arguments),
    };
    return cmocka_run_group_tests(tests, mosquitto_group_setup, mosquitto_group_teardown);
}
