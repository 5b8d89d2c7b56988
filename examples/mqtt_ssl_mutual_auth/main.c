/*
 * mqtt_ssl_mutual_auth: portls's version of ESP-IDF's example of the same name. An MQTT client
 * that proves who it is to the broker with a client certificate (mutual TLS), verifies the
 * broker against a CA, subscribes to topic/qos0 and topic/qos1, unsubscribes from topic/qos1, and
 * publishes "data" to topic/qos0 once subscribed. ESP-IDF's runs forever; this one stops when its
 * own "data" comes back, so that it can be run (and tested) from start to end.
 *
 * usage: mqtt_ssl_mutual_auth BROKER_URI CA_PEM CLIENT_CERT_PEM CLIENT_KEY_PEM
 *   e.g. mqtts://localhost:8884 ca.pem client.pem client.key
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "esp_log.h"
#include "example_common.h"
#include "mqtt_client.h"

static const char *TAG = "mqtts_example";

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t finished = PTHREAD_COND_INITIALIZER;
static int exit_status = -1; /* -1 while running */

static void finish(int status)
{
    pthread_mutex_lock(&lock);
    exit_status = status;
    pthread_cond_signal(&finished);
    pthread_mutex_unlock(&lock);
}

static void log_error(const esp_mqtt_error_codes_t *e)
{
    if (e->error_type == MQTT_ERROR_TYPE_TCP_TRANSPORT) {
        ESP_LOGI(TAG, "Last error code reported from esp-tls: 0x%x", e->esp_tls_last_esp_err);
        ESP_LOGI(TAG, "Last tls stack error number: 0x%x", e->esp_tls_stack_err);
        ESP_LOGI(TAG, "Last captured errno : %d", e->esp_transport_sock_errno);
    } else if (e->error_type == MQTT_ERROR_TYPE_CONNECTION_REFUSED) {
        ESP_LOGI(TAG, "Connection refused error: 0x%x", e->connect_return_code);
    }
}

/* Called on the client's thread for every event (registered for MQTT_EVENT_ANY). */
static void mqtt_event_handler(void *handler_args, esp_event_base_t base, int32_t event_id, void *event_data)
{
    (void)handler_args;
    ESP_LOGD(TAG, "Event dispatched from event loop base=%s, event_id=%d", base, (int)event_id);
    esp_mqtt_event_handle_t event = event_data;
    esp_mqtt_client_handle_t client = event->client;
    int msg_id;
    switch ((esp_mqtt_event_id_t)event_id) {
    case MQTT_EVENT_CONNECTED:
        ESP_LOGI(TAG, "MQTT_EVENT_CONNECTED");
        msg_id = esp_mqtt_client_subscribe(client, "topic/qos0", 0);
        ESP_LOGI(TAG, "sent subscribe successful, msg_id=%d", msg_id);
        msg_id = esp_mqtt_client_subscribe(client, "topic/qos1", 1);
        ESP_LOGI(TAG, "sent subscribe successful, msg_id=%d", msg_id);
        msg_id = esp_mqtt_client_unsubscribe(client, "topic/qos1");
        ESP_LOGI(TAG, "sent unsubscribe successful, msg_id=%d", msg_id);
        break;
    case MQTT_EVENT_DISCONNECTED:
        ESP_LOGI(TAG, "MQTT_EVENT_DISCONNECTED");
        break;
    case MQTT_EVENT_SUBSCRIBED:
        ESP_LOGI(TAG, "MQTT_EVENT_SUBSCRIBED, msg_id=%d", event->msg_id);
        msg_id = esp_mqtt_client_publish(client, "topic/qos0", "data", 0, 0, 0);
        ESP_LOGI(TAG, "sent publish successful, msg_id=%d", msg_id);
        break;
    case MQTT_EVENT_UNSUBSCRIBED:
        ESP_LOGI(TAG, "MQTT_EVENT_UNSUBSCRIBED, msg_id=%d", event->msg_id);
        break;
    case MQTT_EVENT_PUBLISHED:
        ESP_LOGI(TAG, "MQTT_EVENT_PUBLISHED, msg_id=%d", event->msg_id);
        break;
    case MQTT_EVENT_DATA:
        ESP_LOGI(TAG, "MQTT_EVENT_DATA");
        printf("TOPIC=%.*s\r\n", event->topic_len, event->topic);
        printf("DATA=%.*s\r\n", event->data_len, event->data);
        finish(0);
        break;
    case MQTT_EVENT_ERROR:
        ESP_LOGI(TAG, "MQTT_EVENT_ERROR");
        log_error(event->error_handle);
        finish(1);
        break;
    default:
        ESP_LOGI(TAG, "Other event id:%d", event->event_id);
        break;
    }
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s BROKER_URI CA_PEM CLIENT_CERT_PEM CLIENT_KEY_PEM\n", argv[0]);
        return 2;
    }
    char *ca = example_read_pem(argv[2]), *cert = example_read_pem(argv[3]), *key = example_read_pem(argv[4]);
    int status = 1;
    if (ca != NULL && cert != NULL && key != NULL) {
        const esp_mqtt_client_config_t mqtt_cfg = {
            .broker.address.uri = argv[1],
            .broker.verification.certificate = ca,
            .credentials.authentication = { .certificate = cert, .key = key },
        };
        esp_mqtt_client_handle_t client = esp_mqtt_client_init(&mqtt_cfg);
        if (client != NULL) {
            esp_mqtt_client_register_event(client, MQTT_EVENT_ANY, mqtt_event_handler, NULL);
            esp_mqtt_client_start(client);
            pthread_mutex_lock(&lock);
            while (exit_status < 0) {
                pthread_cond_wait(&finished, &lock);
            }
            status = exit_status;
            pthread_mutex_unlock(&lock);
            esp_mqtt_client_destroy(client);
        }
    }
    free(ca);
    free(cert);
    free(key);
    return status;
}
