/*
 * libFuzzer target for the MQTT packet decoder: the bytes are a stream of packets from a broker.
 * Each is taken apart as the client does (fixed header, then the packet's own decoder) from a
 * copy of exactly its bytes, and a PUBLISH also from a prefix of them, as the client sees a
 * message larger than its buffer. Nothing may read outside the bytes it is given, and what a
 * decoder accepts must lie inside the packet.
 */
#include <stdlib.h>
#include <string.h>

#include "mqtt_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (off < size) {
        mqtt_fixed_header_t h;
        if (mqtt_decode_fixed_header(data + off, size - off, &h) != MQTT_MSG_OK || !mqtt_flags_valid(&h) ||
            h.remaining > size - off - h.header_len) {
            return 0;
        }
        off += h.header_len;
        uint8_t *var = malloc(h.remaining ? h.remaining : 1); /* exactly the packet: ASan sees any overread */
        if (var == NULL) {
            return 0;
        }
        memcpy(var, data + off, h.remaining);
        decode_body(&h, var);
        free(var);
        off += h.remaining;
    }
    return 0;
}
