/*
 * The whole client's heap in ESP-IDF's mqtt/ssl_mutual_auth round trip, for make bench-mem:
 * connect to the tests' mosquitto over TLS with a client certificate (its mutual-TLS listener),
 * subscribe to /topic/qos0 and /topic/qos1, unsubscribe from /topic/qos1, publish "data" at QoS 0
 * to /topic/qos0 on each subscription's acknowledgement, receive both messages, stop, destroy.
 *
 * Counted for the whole process from before the first call into portls, with no warm-up: a
 * device runs this once, so PSA's globals and the resolver's first lookup belong to it. The
 * certificate files are read before that, as a device has them in flash. Prints (bytes):
 *   total PEAK IDLE AFTER   the process, above the figure before: the peak over the whole run,
 *                           once idle (subscribed, both messages received), after destroy;
 *   account PEAK            portls's own account (esp_tls_heap.h, mbedTLS and ESP-TLS);
 *   site NAME PEAK IDLE     the breakdown by allocation site (heap_sites.h) at those moments;
 *   left NAME BYTES         a site that holds more after destroy than before the run.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "esp_tls_heap.h"
#include "heap_sites.h"
#include "mosquitto_broker.h"
#include "mqtt_client.h"
#include "tls_test.h"

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int unsubscribed, data, errors;
} progress_t;

static void on_event(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)base;
    progress_t *p = arg;
    esp_mqtt_event_handle_t event = data;
    pthread_mutex_lock(&p->lock);
    p->unsubscribed += id == MQTT_EVENT_UNSUBSCRIBED;
    p->data += id == MQTT_EVENT_DATA;
    p->errors += id == MQTT_EVENT_ERROR;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
    if (id == MQTT_EVENT_CONNECTED) {
        esp_mqtt_client_subscribe(event->client, "/topic/qos0", 0);
        esp_mqtt_client_subscribe(event->client, "/topic/qos1", 1);
        esp_mqtt_client_unsubscribe(event->client, "/topic/qos1");
    } else if (id == MQTT_EVENT_SUBSCRIBED) {
        esp_mqtt_client_publish(event->client, "/topic/qos0", "data", 0, 0, 0);
    }
}

/* Waits until both messages came back and the unsubscription was acknowledged. @return 0, or -1
 * when the client reported an error first. */
static int wait_round_trip(progress_t *p)
{
    pthread_mutex_lock(&p->lock);
    while (p->errors == 0 && (p->data < 2 || p->unsubscribed < 1)) {
        pthread_cond_wait(&p->changed, &p->lock);
    }
    int errors = p->errors;
    pthread_mutex_unlock(&p->lock);
    return errors == 0 ? 0 : -1;
}

static int round_trip(const char *uri, heap_run_t *run)
{
    progress_t progress = { .lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER };
    const esp_mqtt_client_config_t cfg = {
        .broker = { .address.uri = uri, .verification.certificate = (const char *)pki("ca.pem")->data },
        .credentials.authentication = { .certificate = (const char *)pki("client.pem")->data,
                                        .key = (const char *)pki("client.key")->data },
    };
    esp_mqtt_client_handle_t client = esp_mqtt_client_init(&cfg);
    if (client == NULL || esp_mqtt_client_register_event(client, MQTT_EVENT_ANY, on_event, &progress) != ESP_OK ||
        esp_mqtt_client_start(client) != ESP_OK || wait_round_trip(&progress) != 0) {
        esp_mqtt_client_destroy(client);
        return -1;
    }
    heap_run_idle(run);
    esp_mqtt_client_stop(client);
    esp_mqtt_client_destroy(client);
    return 0;
}

int main(void)
{
    if (heap_sites_start() != 0) {
        fprintf(stderr, "bench_mqtt_heap: no symbol table to name allocation sites by\n");
        return 1;
    }
    mosquitto_start(&mosquitto_group);
    char uri[64];
    snprintf(uri, sizeof(uri), "mqtts://localhost:%d", mosquitto_group.mtls_port);
    pki("ca.pem"); /* read now: on a device they are in flash */
    pki("client.pem");
    pki("client.key");
    heap_run_t run;
    heap_run_begin(&run);
    int rc = round_trip(uri, &run);
    heap_run_end(&run);
    mosquitto_stop(&mosquitto_group);
    if (rc != 0) {
        fprintf(stderr, "bench_mqtt_heap: the round trip failed\n");
        return 1;
    }
    esp_tls_heap_stats_t account = { 0 };
    portls_heap_get_stats(&account);
    printf("account %zu\n", account.peak);
    heap_run_print(stdout, &run);
    return 0;
}
