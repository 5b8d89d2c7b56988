/*
 * esp-mqtt's MQTT client (mqtt_client.h of ESP-IDF v5.5 / espressif/mqtt): MQTT 3.1.1 (and 3.1)
 * over TCP, TLS, WebSocket and secure WebSocket, on tcp_transport.
 *
 * A client runs in its own thread from esp_mqtt_client_start() on: it connects, reads, sends
 * keepalive PINGREQs, resends unacknowledged messages, drops expired ones and reconnects. Events
 * reach the handlers registered with esp_mqtt_client_register_event() on that thread, in the
 * order they happen; a handler may call the client's API (the API lock is recursive), but not stop
 * or destroy it. Every API call is thread-safe, and none waits for a broker that does not answer:
 * the thread connects (DNS, TCP, TLS, CONNECT, CONNACK) without the API lock. Only stop() and
 * disconnect() wait, for a WebSocket (or custom transport's) connect in progress
 * (network.timeout_ms at most); a TCP or TLS connect is given up within 50 ms.
 *
 * Writes: a packet is written whole within network.timeout_ms, on the calling thread for publish,
 * subscribe, unsubscribe and disconnect. A write that fails or times out ends that connection (a
 * TLS record may be left half-sent): nothing more is written on it, and the client's thread closes
 * it (MQTT_EVENT_ERROR, MQTT_EVENT_DISCONNECTED) once the broker has read what the socket holds,
 * or another network.timeout_ms later. QoS 1 and 2 messages stay in the outbox for the next
 * connection.
 *
 * Buffers given in the configuration (certificates, keys, PSK, ALPN list, suites) are not copied
 * and must outlive the client; strings (URI, host, path, credentials, will) are copied.
 * Certificates and keys are PEM with their *_len 0 (NUL-terminated), or DER with *_len set.
 * Security as in ESP-TLS: an mqtts or wss broker is verified with certificate, crt_bundle_attach,
 * the global CA store or a PSK; with none, the connection fails.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "esp_err.h"
#include "esp_event.h"
#include "esp_transport.h"
#include "sdkconfig.h"

#ifdef __cplusplus
extern "C" {
#endif

ESP_EVENT_DECLARE_BASE(MQTT_EVENTS); /*!< the base of every MQTT event */

typedef struct esp_mqtt_client *esp_mqtt_client_handle_t;

#define MQTT_OVER_TCP_SCHEME "mqtt"
#define MQTT_OVER_SSL_SCHEME "mqtts"
#define MQTT_OVER_WS_SCHEME "ws"
#define MQTT_OVER_WSS_SCHEME "wss"

typedef enum esp_mqtt_event_id_t {
    MQTT_EVENT_ANY = -1,
    MQTT_EVENT_ERROR = 0,    /*!< error_handle says what failed */
    MQTT_EVENT_CONNECTED,    /*!< the broker accepted the connection: session_present */
    MQTT_EVENT_DISCONNECTED, /*!< the connection ended */
    MQTT_EVENT_SUBSCRIBED,   /*!< SUBACK: msg_id; data/data_len the return codes; error_type
                                  MQTT_ERROR_TYPE_SUBSCRIBE_FAILED if one was 0x80 */
    MQTT_EVENT_UNSUBSCRIBED, /*!< UNSUBACK: msg_id */
    MQTT_EVENT_PUBLISHED,    /*!< a QoS 1 PUBACK or QoS 2 PUBCOMP: msg_id */
    MQTT_EVENT_DATA,         /*!< a message, or a piece of one larger than the buffer: topic and
                                  topic_len (first piece only), data, data_len,
                                  current_data_offset, total_data_len, msg_id, qos, retain, dup */
    MQTT_EVENT_BEFORE_CONNECT, /*!< about to connect (esp_mqtt_set_config() may change the config) */
    MQTT_EVENT_DELETED,      /*!< a message left the outbox unacknowledged:
                                  CONFIG_MQTT_OUTBOX_EXPIRED_TIMEOUT_MS passed since it was queued,
                                  or since it was first sent (esp-mqtt's rule): msg_id */
    MQTT_USER_EVENT,         /*!< from esp_mqtt_dispatch_custom_event() */
} esp_mqtt_event_id_t;

typedef enum esp_mqtt_connect_return_code_t {
    MQTT_CONNECTION_ACCEPTED = 0,
    MQTT_CONNECTION_REFUSE_PROTOCOL,
    MQTT_CONNECTION_REFUSE_ID_REJECTED,
    MQTT_CONNECTION_REFUSE_SERVER_UNAVAILABLE,
    MQTT_CONNECTION_REFUSE_BAD_USERNAME,
    MQTT_CONNECTION_REFUSE_NOT_AUTHORIZED,
} esp_mqtt_connect_return_code_t;

typedef enum esp_mqtt_error_type_t {
    MQTT_ERROR_TYPE_NONE = 0,
    MQTT_ERROR_TYPE_TCP_TRANSPORT,      /*!< the transport (TCP, TLS, WebSocket) failed: the esp_tls fields */
    MQTT_ERROR_TYPE_CONNECTION_REFUSED, /*!< the broker refused: connect_return_code */
    MQTT_ERROR_TYPE_SUBSCRIBE_FAILED,   /*!< a SUBACK return code was 0x80 */
} esp_mqtt_error_type_t;

#define MQTT_ERROR_TYPE_ESP_TLS MQTT_ERROR_TYPE_TCP_TRANSPORT

typedef enum esp_mqtt_transport_t {
    MQTT_TRANSPORT_UNKNOWN = 0x0,
    MQTT_TRANSPORT_OVER_TCP, /*!< mqtt:// */
    MQTT_TRANSPORT_OVER_SSL, /*!< mqtts:// */
    MQTT_TRANSPORT_OVER_WS,  /*!< ws:// */
    MQTT_TRANSPORT_OVER_WSS, /*!< wss:// */
} esp_mqtt_transport_t;

typedef enum esp_mqtt_protocol_ver_t {
    MQTT_PROTOCOL_UNDEFINED = 0, /*!< 3.1.1 */
    MQTT_PROTOCOL_V_3_1,
    MQTT_PROTOCOL_V_3_1_1,
    MQTT_PROTOCOL_V_5, /*!< not supported: init fails */
} esp_mqtt_protocol_ver_t;

/** What failed, in MQTT_EVENT_ERROR (its first three fields are esp_tls_last_error_t's). */
typedef struct esp_mqtt_error_codes {
    esp_err_t esp_tls_last_esp_err;  /*!< ESP-TLS's esp_err_t; never ESP_OK for a transport failure:
                                          without a code of ESP-TLS's, ESP_ERR_ESP_TLS_TCP_CLOSED_FIN
                                          (the broker closed), ESP_ERR_ESP_TLS_CONNECTION_TIMEOUT,
                                          ESP_ERR_TCP_TRANSPORT_CONNECTION_FAILED (see the errno),
                                          ESP_ERR_INVALID_RESPONSE (not MQTT) or ESP_ERR_NO_MEM */
    int esp_tls_stack_err;           /*!< mbedTLS's code */
    int esp_tls_cert_verify_flags;   /*!< the certificate verification flags */
    esp_mqtt_error_type_t error_type;
    esp_mqtt_connect_return_code_t connect_return_code; /*!< for MQTT_ERROR_TYPE_CONNECTION_REFUSED */
    int esp_transport_sock_errno;    /*!< the socket's errno */
} esp_mqtt_error_codes_t;

/** An event, as the handlers get it (event_data). Pointers point into the client and are valid
 * during the handler's call. */
typedef struct esp_mqtt_event_t {
    esp_mqtt_event_id_t event_id;
    esp_mqtt_client_handle_t client;
    char *data;
    int data_len;
    int total_data_len;
    int current_data_offset;
    char *topic;
    int topic_len;
    int msg_id;
    int session_present;
    esp_mqtt_error_codes_t *error_handle;
    bool retain;
    int qos;
    bool dup;
    esp_mqtt_protocol_ver_t protocol_ver;
} esp_mqtt_event_t;

typedef esp_mqtt_event_t *esp_mqtt_event_handle_t;

struct psk_key_hint; /* esp_tls.h */

typedef struct esp_mqtt_client_config_t {
    struct broker_t {
        struct address_t {
            const char *uri;      /*!< "mqtt[s]://[user[:pass]@]host[:port]" or "ws[s]://host[:port]/path";
                                       its parts win over the fields below, which fill in the
                                       port and path it lacks */
            const char *hostname; /*!< without uri: the host */
            esp_mqtt_transport_t transport; /*!< without uri: the transport */
            const char *path;     /*!< WebSocket path (default "/") */
            uint32_t port;        /*!< 0: 1883, 8883, 80 or 443 as the transport goes */
        } address;
        struct verification_t {
            bool use_global_ca_store;
            esp_err_t (*crt_bundle_attach)(void *conf);
            const char *certificate;  /*!< CA, PEM or DER */
            size_t certificate_len;
            const struct psk_key_hint *psk_hint_key; /*!< used only when nothing else verifies */
            bool skip_cert_common_name_check;
            const char **alpn_protos;
            const char *common_name;
            const int *ciphersuites_list; /*!< 0-terminated IANA suite ids */
        } verification;
    } broker;
    struct credentials_t {
        const char *username;
        const char *client_id;   /*!< NULL: "ESP32_" and six random hex digits, new for each client */
        bool set_null_client_id; /*!< an empty client id */
        struct authentication_t {
            const char *password;
            const char *certificate; /*!< client certificate for mutual TLS, with key */
            size_t certificate_len;
            const char *key;
            size_t key_len;
            const char *key_password;
            int key_password_len;
            bool use_secure_element;     /*!< chip hardware: init fails if set */
            void *ds_data;               /*!< chip hardware: init fails if set */
            bool use_ecdsa_peripheral;   /*!< chip hardware: init fails if set */
            uint8_t ecdsa_key_efuse_blk;
        } authentication;
    } credentials;
    struct session_t {
        struct last_will_t {
            const char *topic; /*!< NULL: no last will */
            const char *msg;
            int msg_len;       /*!< 0: strlen(msg) */
            int qos;
            int retain;
        } last_will;
        bool disable_clean_session;
        int keepalive;          /*!< seconds; 0: 120. A PINGREQ goes at half of it, and an unanswered
                                     one ends the connection after another half */
        bool disable_keepalive;
        esp_mqtt_protocol_ver_t protocol_ver;
        int message_retransmit_timeout; /*!< ms before an unacknowledged QoS 1/2 packet is resent; 0: 1000 */
    } session;
    struct network_t {
        int reconnect_timeout_ms;        /*!< 0: 10000 */
        int timeout_ms;                  /*!< per network operation; 0: 10000 */
        int refresh_connection_after_ms; /*!< reconnect after this long connected; 0: never */
        bool disable_auto_reconnect;
        esp_transport_keep_alive_t tcp_keep_alive_cfg;
        esp_transport_handle_t transport; /*!< a transport of the caller's; the client destroys it */
        struct ifreq *if_name;
    } network;
    struct task_t {
        int priority;   /*!< ignored on portls */
        int stack_size; /*!< ignored on portls */
    } task;
    struct buffer_t {
        int size;     /*!< receive buffer; 0: 1024. Longer messages arrive in several DATA events */
        int out_size; /*!< send buffer for packets other than PUBLISH; 0: as size */
    } buffer;
    struct outbox_config_t {
        uint64_t limit; /*!< 0: no limit. As esp-mqtt: publish() of a QoS 1/2 message and enqueue()
                             of any fail with -2 when its payload length plus the outbox's bytes
                             would exceed it; subscribe() fails with -2 while the outbox is over it */
    } outbox;
} esp_mqtt_client_config_t;

typedef struct topic_t {
    const char *filter;
    int qos;
} esp_mqtt_topic_t;

/** A client for config (validated). @return NULL on a bad config or no memory (the log says why). */
esp_mqtt_client_handle_t esp_mqtt_client_init(const esp_mqtt_client_config_t *config);

/** Replaces the broker URI (without a port in it, the scheme's default port), for the next
 * connect. @return ESP_OK; ESP_FAIL (not a URI this client can use). */
esp_err_t esp_mqtt_client_set_uri(esp_mqtt_client_handle_t client, const char *uri);

/** Starts the client's thread. @return ESP_OK; ESP_ERR_INVALID_ARG; ESP_FAIL (already started). */
esp_err_t esp_mqtt_client_start(esp_mqtt_client_handle_t client);

/** Connects again now, when disconnected (waiting to reconnect, or after disconnect()).
 * @return ESP_OK; ESP_ERR_INVALID_ARG; ESP_FAIL (not started, or connected). */
esp_err_t esp_mqtt_client_reconnect(esp_mqtt_client_handle_t client);

/** Sends DISCONNECT (no last will then) and closes; the client stays disconnected until
 * esp_mqtt_client_reconnect(). @return ESP_OK; ESP_ERR_INVALID_ARG; ESP_FAIL (not started). */
esp_err_t esp_mqtt_client_disconnect(esp_mqtt_client_handle_t client);

/** Stops the thread and closes the connection, waiting for both (a connect over TCP or TLS in
 * progress is given up within 50 ms). Not from an event handler.
 * @return ESP_OK; ESP_ERR_INVALID_ARG; ESP_FAIL (not started, or called from a handler). */
esp_err_t esp_mqtt_client_stop(esp_mqtt_client_handle_t client);

/** Asks the thread to stop and returns at once; esp_mqtt_client_is_stopped() tells when it has. */
esp_err_t esp_mqtt_client_initiate_stop(esp_mqtt_client_handle_t client);
bool esp_mqtt_client_is_stopped(esp_mqtt_client_handle_t client);

#ifdef __cplusplus
#define esp_mqtt_client_subscribe esp_mqtt_client_subscribe_single
#else
/** One topic (a string) or a list (esp_mqtt_topic_t *, with its size), as esp-mqtt's macro. */
#define esp_mqtt_client_subscribe(client_handle, topic_type, qos_or_size)                                           \
    _Generic((topic_type), char *: esp_mqtt_client_subscribe_single, const char *: esp_mqtt_client_subscribe_single, \
             esp_mqtt_topic_t *: esp_mqtt_client_subscribe_multiple)(client_handle, topic_type, qos_or_size)
#endif

/** Sends SUBSCRIBE (connected only). A filter must be valid (MQTT 3.1.1, 4.7: "+" fills a whole
 * level, "#" only the last one), else the call fails and the log says why.
 * @return its msg_id; -1 on failure (not connected, a bad filter or QoS, no packet identifier
 *         free); -2 while the outbox is over outbox.limit. */
int esp_mqtt_client_subscribe_single(esp_mqtt_client_handle_t client, const char *topic, int qos);
int esp_mqtt_client_subscribe_multiple(esp_mqtt_client_handle_t client, const esp_mqtt_topic_t *topic_list, int size);

/** Sends UNSUBSCRIBE (connected only; a valid filter). @return its msg_id, or -1. */
int esp_mqtt_client_unsubscribe(esp_mqtt_client_handle_t client, const char *topic);

/**
 * Publishes data (len bytes; 0: strlen(data); NULL: empty) to topic, a topic name (no wildcard).
 * Connected, the message is written on the calling thread. QoS 1 and 2 messages are kept in the
 * outbox until acknowledged (resent after a reconnect with DUP); while disconnected they are only
 * queued, and a QoS 0 message fails.
 * @return the msg_id (0 for QoS 0); -1 on failure (a bad argument or topic; QoS 0: not connected,
 *         or the write failed; QoS 1/2: all 65,535 packet identifiers held by the outbox, or no
 *         memory); -2 when the outbox limit is reached. A QoS 1/2 message whose write failed is
 *         kept and returns its msg_id.
 */
int esp_mqtt_client_publish(esp_mqtt_client_handle_t client, const char *topic, const char *data, int len, int qos,
                            int retain);

/** Queues a message for the client's thread to send; nothing is written on the calling thread.
 * A QoS 0 message with store false is queued while connected and fails (-1) while disconnected
 * (esp-mqtt fails it always); with store true it waits in the outbox like QoS 1 and 2.
 * @return as esp_mqtt_client_publish(). */
int esp_mqtt_client_enqueue(esp_mqtt_client_handle_t client, const char *topic, const char *data, int len, int qos,
                            int retain, bool store);

/** Stops the client if started, then frees it (and the configured custom transport). Not from an
 * event handler. @return ESP_OK, or ESP_ERR_INVALID_ARG. */
esp_err_t esp_mqtt_client_destroy(esp_mqtt_client_handle_t client);

/** Replaces the configuration (as init validates it); takes effect at the next connect, TLS, TCP
 * and WebSocket settings included (the transports are made again; a custom transport stays as
 * it is, and cannot be added or removed). The buffers the new config names (certificates, keys,
 * ALPN, suites, PSK) must outlive the client; the old ones may go once the next connect began.
 * @return ESP_OK; ESP_ERR_INVALID_ARG; ESP_ERR_NO_MEM. */
esp_err_t esp_mqtt_set_config(esp_mqtt_client_handle_t client, const esp_mqtt_client_config_t *config);

/** A handler for event (MQTT_EVENT_ANY: all), called on the client's thread with an
 * esp_mqtt_event_handle_t as event_data. @return ESP_OK; ESP_ERR_INVALID_ARG; ESP_ERR_NO_MEM. */
esp_err_t esp_mqtt_client_register_event(esp_mqtt_client_handle_t client, esp_mqtt_event_id_t event,
                                         esp_event_handler_t event_handler, void *event_handler_arg);
esp_err_t esp_mqtt_client_unregister_event(esp_mqtt_client_handle_t client, esp_mqtt_event_id_t event,
                                           esp_event_handler_t event_handler);

/** Bytes of messages in the outbox; 0 for NULL. */
int esp_mqtt_client_get_outbox_size(esp_mqtt_client_handle_t client);

/** Hands event (MQTT_USER_EVENT, copied) to the handlers on the client's thread.
 * @return ESP_OK; ESP_ERR_INVALID_ARG; ESP_ERR_TIMEOUT (the event queue is full). */
esp_err_t esp_mqtt_dispatch_custom_event(esp_mqtt_client_handle_t client, esp_mqtt_event_t *event);

#ifdef __cplusplus
}
#endif
