/*
 * libFuzzer target for what the MQTT client does with a broker's bytes.
 *
 * Input: byte 0 sets the client's receive buffer (16..271 bytes), byte 1 the most a transport read
 * returns (1..16); the rest is a stream of packets from a broker, taken two ways:
 *   - the decoders alone: each packet (fixed header, then its own decoder) from a copy of exactly
 *     its bytes, and a PUBLISH also from a prefix of them, as the client sees a message larger
 *     than its buffer; nothing may read outside the bytes given, and what a decoder accepts must
 *     lie inside the packet;
 *   - the client's session code (mqtt_read_packet(): handle_publish, deliver_rest, the
 *     acknowledgements and the outbox), on a connected client whose transport reads the stream a
 *     few bytes at a time, so that a message arrives in many pieces; every DATA event must lie
 *     within the receive buffer and within its message, and the pieces of a message must follow
 *     each other.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_transport.h"
#include "mqtt_client_private.h"
#include "mqtt_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the decoders ---- */

static void check_publish(const mqtt_fixed_header_t *h, const uint8_t *var, size_t avail)
{
    mqtt_publish_t p;
    if (mqtt_decode_publish(h, var, avail, &p) != MQTT_MSG_OK) {
        return;
    }
    const uint8_t *topic = (const uint8_t *)p.topic;
    if (topic < var || topic + p.topic_len > var + avail || p.payload_offset + p.payload_len != h->remaining) {
        abort();
    }
}

static void decode_body(const mqtt_fixed_header_t *h, const uint8_t *var)
{
    bool present;
    uint8_t code;
    uint16_t id;
    const uint8_t *codes;
    size_t count;
    switch (h->type) {
    case MQTT_PUBLISH:
        check_publish(h, var, h->remaining);
        check_publish(h, var, h->remaining / 2);
        break;
    case MQTT_CONNACK:
        if (h->remaining == 2) {
            (void)mqtt_decode_connack(h, var, &present, &code);
        }
        break;
    case MQTT_SUBACK:
        if (mqtt_decode_suback(h, var, &id, &codes, &count) == MQTT_MSG_OK && codes + count != var + h->remaining) {
            abort();
        }
        break;
    default:
        (void)mqtt_decode_ack(h, var, &id);
        break;
    }
}

static void fuzz_decoders(const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (off < size) {
        mqtt_fixed_header_t h;
        if (mqtt_decode_fixed_header(data + off, size - off, &h) != MQTT_MSG_OK || !mqtt_flags_valid(&h) ||
            h.remaining > size - off - h.header_len) {
            return;
        }
        off += h.header_len;
        uint8_t *var = malloc(h.remaining ? h.remaining : 1); /* exactly the packet: ASan sees any overread */
        if (var == NULL) {
            return;
        }
        memcpy(var, data + off, h.remaining);
        decode_body(&h, var);
        free(var);
        off += h.remaining;
    }
}

/* ---- the session ---- */

typedef struct {
    esp_mqtt_client_handle_t client;
    int next_offset; /* of the message being delivered; -1: none */
} session_t;

/* Whether [p, p + len) lies in the client's receive buffer. */
static bool in_buffer(const session_t *s, const char *p, int len)
{
    const char *in = (const char *)s->client->in;
    return len >= 0 && p >= in && p + len <= in + s->client->in_size;
}

static void check_data(session_t *s, const esp_mqtt_event_t *ev)
{
    bool topic_inside = ev->topic == NULL || in_buffer(s, ev->topic, ev->topic_len);
    bool piece_inside = ev->current_data_offset >= 0 && ev->current_data_offset + ev->data_len <= ev->total_data_len;
    bool in_order = ev->current_data_offset == 0 || ev->current_data_offset == s->next_offset;
    if (!in_buffer(s, ev->data, ev->data_len) || !topic_inside || !piece_inside || !in_order) {
        abort();
    }
    s->next_offset = ev->current_data_offset + ev->data_len;
}

static void on_event(void *arg, esp_event_base_t base, int32_t id, void *event_data)
{
    (void)base;
    if (id == MQTT_EVENT_DATA) {
        check_data(arg, event_data);
    }
}

static void fuzz_session(size_t buffer_size, size_t step, const uint8_t *data, size_t size)
{
    fuzz_stream_t stream = { .data = data, .len = size, .step = step };
    esp_transport_handle_t t = fuzz_transport_new(&stream);
    esp_mqtt_client_config_t cfg = {
        .broker.address = { .hostname = "broker", .transport = MQTT_TRANSPORT_OVER_TCP },
        .credentials.client_id = "fuzz",
        .session.disable_keepalive = true,
        .network.transport = t,
        .buffer.size = (int)buffer_size,
    };
    session_t s = { .client = t != NULL ? esp_mqtt_client_init(&cfg) : NULL, .next_offset = -1 };
    if (s.client == NULL) {
        esp_transport_destroy(t);
        return;
    }
    esp_mqtt_client_register_event(s.client, MQTT_EVENT_ANY, on_event, &s);
    s.client->state = MQTT_STATE_CONNECTED; /* as after a CONNACK: the stream is what follows */
    s.client->transport = t;
    s.client->timeout_ms = 10;
    while (stream.off < stream.len && mqtt_read_packet(s.client) == 0) {
    }
    s.client->transport = NULL;
    s.client->state = MQTT_STATE_IDLE;
    esp_mqtt_client_destroy(s.client); /* and t, the client's transport */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    fuzz_decoders(data + 2, size - 2);
    fuzz_session(16 + data[0], 1 + data[1] % 16, data + 2, size - 2);
    return 0;
}
