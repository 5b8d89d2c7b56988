/*
 * make bench-mqtt: the portls MQTT client against libmosquitto (with OpenSSL), on the same
 * mosquitto broker (tests/support/mosquitto.h), in the same run, over TLS with the test CA:
 *   - QoS 0 and QoS 1 publish throughput, 100-byte payloads: the time from the first publish
 *     until the broker acknowledged the last message (for QoS 0, a final QoS 1 message: the
 *     broker handles a connection's packets in order);
 *   - the connect time (TCP + TLS + CONNECT/CONNACK), and the heap a connected client holds
 *     (glibc's count of bytes in use, before init and once connected: the same yardstick for
 *     both, whatever allocator each library uses).
 * Each figure is the median of RUNS runs. Every call's result is checked: a failed publish stops
 * the bench (exit 1) rather than count as sent. The table goes to stdout and, as JSON, to the
 * file named by the first argument.
 */
#include <malloc.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "esp_timer.h"
#include "mosquitto_broker.h"
#include "mqtt_client.h"
#include "tls_test.h"

#define RUNS 5
#define QOS0_MESSAGES 20000
#define QOS1_MESSAGES 5000
#define PAYLOAD 100

typedef enum { QOS0_RATE, QOS1_RATE, CONNECT_MS, HEAP_BYTES, CASES } bench_case_t;

static const char *const case_names[CASES] = { "QoS 0 publish, messages/s", "QoS 1 publish, messages/s",
                                               "connect (TCP+TLS+CONNACK), ms", "heap held while connected, bytes" };
static const char *const case_keys[CASES] = { "qos0_msgs_per_s", "qos1_msgs_per_s", "connect_ms", "heap_bytes" };

/* One client's run: what it measured. */
typedef struct {
    double connect_ms, heap, rate;
} run_t;

/* Acknowledgements, counted on the client library's thread. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int acked;
    bool connected;
} acks_t;

/* A figure from a run in which something failed would measure that failure: stop. */
static void require(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "mqtt bench: %s failed\n", what);
        exit(1);
    }
}

static size_t heap_in_use(void)
{
    return mallinfo2().uordblks;
}

static void acks_note(acks_t *a, bool connected, int acked)
{
    pthread_mutex_lock(&a->lock);
    a->connected = a->connected || connected;
    a->acked += acked;
    pthread_cond_broadcast(&a->changed);
    pthread_mutex_unlock(&a->lock);
}

static void acks_wait(acks_t *a, bool connected, int acked)
{
    pthread_mutex_lock(&a->lock);
    while ((connected && !a->connected) || a->acked < acked) {
        pthread_cond_wait(&a->changed, &a->lock);
    }
    pthread_mutex_unlock(&a->lock);
}

/* ---- portls ---- */

static void portls_event(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)base;
    (void)data;
    acks_note(arg, id == MQTT_EVENT_CONNECTED, id == MQTT_EVENT_PUBLISHED);
}

static run_t portls_run(int qos, int messages, const char *payload)
{
    char uri[64];
    snprintf(uri, sizeof(uri), "mqtts://localhost:%d", mosquitto_group.tls_port);
    acks_t acks = { .lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER };
    size_t before = heap_in_use();
    int64_t start = esp_timer_get_time();
    esp_mqtt_client_config_t cfg = { .broker.address.uri = uri,
                                     .broker.verification.certificate = (const char *)pki("ca.pem")->data };
    esp_mqtt_client_handle_t client = esp_mqtt_client_init(&cfg);
    require(client != NULL, "esp_mqtt_client_init");
    require(esp_mqtt_client_register_event(client, MQTT_EVENT_ANY, portls_event, &acks) == ESP_OK,
            "esp_mqtt_client_register_event");
    require(esp_mqtt_client_start(client) == ESP_OK, "esp_mqtt_client_start");
    acks_wait(&acks, true, 0);
    run_t r = { .connect_ms = (double)(esp_timer_get_time() - start) / 1e3,
                .heap = (double)(heap_in_use() - before) };
    start = esp_timer_get_time();
    for (int i = 0; i < messages; i++) {
        int id = esp_mqtt_client_publish(client, "bench/portls", payload, PAYLOAD, qos, 0);
        require(qos == 0 ? id == 0 : id > 0, "a publish");
    }
    int last = esp_mqtt_client_publish(client, "bench/portls", payload, PAYLOAD, 1, 0); /* the last, acknowledged */
    require(last > 0, "the last publish");
    acks_wait(&acks, false, (qos == 1 ? messages : 0) + 1);
    r.rate = messages / ((double)(esp_timer_get_time() - start) / 1e6);
    esp_mqtt_client_destroy(client);
    return r;
}

/* ---- libmosquitto ---- */

static void mosq_connected(struct mosquitto *m, void *arg, int rc)
{
    (void)m;
    acks_note(arg, rc == 0, 0);
}

static void mosq_published(struct mosquitto *m, void *arg, int mid)
{
    (void)m;
    (void)mid;
    acks_note(arg, false, 1); /* QoS 0: sent; QoS 1: acknowledged */
}

static run_t mosquitto_run(int qos, int messages, const char *payload)
{
    acks_t acks = { .lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER };
    size_t before = heap_in_use();
    int64_t start = esp_timer_get_time();
    struct mosquitto *m = mosquitto_new(NULL, true, &acks);
    require(m != NULL, "mosquitto_new");
    mosquitto_connect_callback_set(m, mosq_connected);
    mosquitto_publish_callback_set(m, mosq_published);
    require(mosquitto_tls_set(m, cert_path("ca.pem"), NULL, NULL, NULL, NULL) == MOSQ_ERR_SUCCESS, "mosquitto_tls_set");
    mosquitto_max_inflight_messages_set(m, 0); /* no limit, as the portls client has none */
    require(mosquitto_connect(m, "localhost", mosquitto_group.tls_port, 60) == MOSQ_ERR_SUCCESS &&
                mosquitto_loop_start(m) == MOSQ_ERR_SUCCESS,
            "libmosquitto's connect");
    acks_wait(&acks, true, 0);
    run_t r = { .connect_ms = (double)(esp_timer_get_time() - start) / 1e3,
                .heap = (double)(heap_in_use() - before) };
    start = esp_timer_get_time();
    for (int i = 0; i < messages; i++) {
        require(mosquitto_publish(m, NULL, "bench/mosquitto", PAYLOAD, payload, qos, false) == MOSQ_ERR_SUCCESS,
                "a libmosquitto publish");
    }
    require(mosquitto_publish(m, NULL, "bench/mosquitto", PAYLOAD, payload, 1, false) == MOSQ_ERR_SUCCESS,
            "libmosquitto's last publish");
    acks_wait(&acks, false, messages + 1);
    r.rate = messages / ((double)(esp_timer_get_time() - start) / 1e6);
    mosquitto_disconnect(m);
    mosquitto_loop_stop(m, false);
    mosquitto_destroy(m);
    return r;
}

/* ---- runs and the report ---- */

/* figures[case] for one library: RUNS runs at each QoS; connect and heap from all of them. */
static void measure(run_t (*run)(int, int, const char *), const char *payload, double figures[CASES])
{
    double rate[2][RUNS], connect[2 * RUNS], heap[2 * RUNS];
    for (int i = 0; i < RUNS; i++) {
        for (int qos = 0; qos <= 1; qos++) {
            run_t r = run(qos, qos == 0 ? QOS0_MESSAGES : QOS1_MESSAGES, payload);
            rate[qos][i] = r.rate;
            connect[2 * i + qos] = r.connect_ms;
            heap[2 * i + qos] = r.heap;
        }
    }
    figures[QOS0_RATE] = bench_median(rate[0], RUNS);
    figures[QOS1_RATE] = bench_median(rate[1], RUNS);
    figures[CONNECT_MS] = bench_median(connect, 2 * RUNS);
    figures[HEAP_BYTES] = bench_median(heap, 2 * RUNS);
}

int main(int argc, char **argv)
{
    FILE *json = bench_results_open(argc, argv);
    mosquitto_group_setup(NULL);
    mosquitto_lib_init();
    char payload[PAYLOAD];
    memset(payload, 'p', sizeof(payload));
    double mine[CASES], theirs[CASES];
    measure(portls_run, payload, mine);
    measure(mosquitto_run, payload, theirs);
    printf("portls MQTT client against libmosquitto %d.%d (OpenSSL) on one mosquitto broker, MQTT over TLS,\n"
           "%d-byte payloads, median of %d runs; ratio = portls / libmosquitto\n%-36s %12s %14s %8s\n",
           LIBMOSQUITTO_MAJOR, LIBMOSQUITTO_MINOR, PAYLOAD, RUNS, "", "portls", "libmosquitto", "ratio");
    fputs("[\n", json);
    for (int c = 0; c < CASES; c++) {
        printf("%-36s %12.1f %14.1f %8.2f\n", case_names[c], mine[c], theirs[c], mine[c] / theirs[c]);
        fprintf(json, "%s  {\"case\": \"%s\", \"portls\": %.1f, \"libmosquitto\": %.1f, \"ratio\": %.3f, \"runs\": %d}",
                c == 0 ? "" : ",\n", case_keys[c], mine[c], theirs[c], mine[c] / theirs[c], RUNS);
    }
    fputs("\n]\n", json);
    fclose(json);
    mosquitto_lib_cleanup();
    mosquitto_group_teardown(NULL);
    printf("written to %s\n", argv[1]);
    return 0;
}
