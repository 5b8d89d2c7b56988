/*
 * MQTT 3.1.1 packet encoding and decoding. Encoders write through a cursor that refuses to pass
 * its end; decoders read through one that checks each length before the read.
 */
#include "mqtt_msg.h"

#include <string.h>

/* ---- writing ---- */

typedef struct {
    uint8_t *p, *end;
    bool overflow;
} writer_t;

static void put_byte(writer_t *w, uint8_t b)
{
    if (w->p >= w->end) {
        w->overflow = true;
        return;
    }
    *w->p++ = b;
}

static void put_bytes(writer_t *w, const void *data, size_t len)
{
    if ((size_t)(w->end - w->p) < len) {
        w->overflow = true;
        return;
    }
    memcpy(w->p, data, len);
    w->p += len;
}

static void put_u16(writer_t *w, uint16_t v)
{
    put_byte(w, (uint8_t)(v >> 8));
    put_byte(w, (uint8_t)v);
}

/* A UTF-8 string or binary field: two length bytes, then the bytes (1.5.3). */
static void put_field(writer_t *w, const void *data, size_t len)
{
    if (len > UINT16_MAX) {
        w->overflow = true;
        return;
    }
    put_u16(w, (uint16_t)len);
    put_bytes(w, data, len);
}

static void put_fixed_header(writer_t *w, uint8_t first, size_t remaining)
{
    if (remaining > MQTT_MAX_REMAINING_LENGTH) {
        w->overflow = true;
        return;
    }
    put_byte(w, first);
    do {
        uint8_t digit = remaining % 128;
        remaining /= 128;
        put_byte(w, remaining > 0 ? (uint8_t)(digit | 0x80) : digit);
    } while (remaining > 0);
}

static size_t finish(const writer_t *w, const uint8_t *start)
{
    return w->overflow ? 0 : (size_t)(w->p - start);
}

size_t mqtt_encode_connect(uint8_t *buf, size_t cap, const mqtt_connect_t *c)
{
    const char *name = c->protocol_v31 ? "MQIsdp" : "MQTT";
    size_t id_len = strlen(c->client_id);
    size_t remaining = 2 + strlen(name) + 1 + 1 + 2 + 2 + id_len;
    uint8_t flags = c->clean_session ? 0x02 : 0;
    if (c->will_topic != NULL) {
        remaining += 2 + strlen(c->will_topic) + 2 + c->will_msg_len;
        flags |= (uint8_t)(0x04 | (c->will_qos & 3) << 3 | (c->will_retain ? 0x20 : 0));
    }
    if (c->username != NULL) {
        remaining += 2 + strlen(c->username);
        flags |= 0x80;
    }
    if (c->password != NULL) {
        remaining += 2 + c->password_len;
        flags |= 0x40;
    }
    writer_t w = { buf, buf + cap, false };
    put_fixed_header(&w, MQTT_CONNECT << 4, remaining);
    put_field(&w, name, strlen(name));
    put_byte(&w, c->protocol_v31 ? 3 : 4);
    put_byte(&w, flags);
    put_u16(&w, c->keepalive_s);
    put_field(&w, c->client_id, id_len);
    if (c->will_topic != NULL) {
        put_field(&w, c->will_topic, strlen(c->will_topic));
        put_field(&w, c->will_msg, c->will_msg_len);
    }
    if (c->username != NULL) {
        put_field(&w, c->username, strlen(c->username));
    }
    if (c->password != NULL) {
        put_field(&w, c->password, c->password_len);
    }
    return finish(&w, buf);
}

size_t mqtt_encode_publish_header(uint8_t *buf, size_t cap, const char *topic, size_t payload_len, int qos, bool retain,
                                  bool dup, uint16_t msg_id)
{
    size_t topic_len = strlen(topic);
    size_t remaining = 2 + topic_len + (qos > 0 ? 2 : 0) + payload_len;
    uint8_t first = (uint8_t)(MQTT_PUBLISH << 4 | (dup ? MQTT_PUBLISH_DUP : 0) | (qos & 3) << 1 | (retain ? 1 : 0));
    writer_t w = { buf, buf + cap, false };
    put_fixed_header(&w, first, remaining);
    put_field(&w, topic, topic_len);
    if (qos > 0) {
        put_u16(&w, msg_id);
    }
    return finish(&w, buf);
}

size_t mqtt_encode_ack(uint8_t *buf, size_t cap, mqtt_packet_type_t type, uint16_t msg_id)
{
    writer_t w = { buf, buf + cap, false };
    put_fixed_header(&w, (uint8_t)(type << 4 | (type == MQTT_PUBREL ? 0x02 : 0)), 2);
    put_u16(&w, msg_id);
    return finish(&w, buf);
}

size_t mqtt_encode_subscribe(uint8_t *buf, size_t cap, uint16_t msg_id, const mqtt_subscription_t *subs, int count)
{
    size_t remaining = 2;
    for (int i = 0; i < count; i++) {
        remaining += 2 + strlen(subs[i].filter) + 1;
    }
    writer_t w = { buf, buf + cap, count < 1 };
    put_fixed_header(&w, MQTT_SUBSCRIBE << 4 | 0x02, remaining);
    put_u16(&w, msg_id);
    for (int i = 0; i < count; i++) {
        put_field(&w, subs[i].filter, strlen(subs[i].filter));
        put_byte(&w, (uint8_t)(subs[i].qos & 3));
    }
    return finish(&w, buf);
}

size_t mqtt_encode_unsubscribe(uint8_t *buf, size_t cap, uint16_t msg_id, const char *filter)
{
    size_t filter_len = strlen(filter);
    writer_t w = { buf, buf + cap, false };
    put_fixed_header(&w, MQTT_UNSUBSCRIBE << 4 | 0x02, 2 + 2 + filter_len);
    put_u16(&w, msg_id);
    put_field(&w, filter, filter_len);
    return finish(&w, buf);
}

size_t mqtt_encode_empty(uint8_t *buf, size_t cap, mqtt_packet_type_t type)
{
    writer_t w = { buf, buf + cap, false };
    put_fixed_header(&w, (uint8_t)(type << 4), 0);
    return finish(&w, buf);
}

/* ---- reading ---- */

mqtt_msg_status_t mqtt_decode_fixed_header(const uint8_t *buf, size_t len, mqtt_fixed_header_t *h)
{
    if (len < 2) {
        return MQTT_MSG_INCOMPLETE;
    }
    uint32_t remaining = 0, scale = 1;
    for (size_t i = 1; i <= 4; i++) {
        if (i >= len) {
            return MQTT_MSG_INCOMPLETE;
        }
        remaining += (uint32_t)(buf[i] & 0x7f) * scale;
        if ((buf[i] & 0x80) == 0) {
            *h = (mqtt_fixed_header_t){ .type = (mqtt_packet_type_t)(buf[0] >> 4), .flags = buf[0] & 0x0f,
                                        .remaining = remaining, .header_len = i + 1 };
            return MQTT_MSG_OK;
        }
        scale *= 128;
    }
    return MQTT_MSG_MALFORMED; /* a fifth length byte */
}

bool mqtt_flags_valid(const mqtt_fixed_header_t *h)
{
    switch (h->type) {
    case MQTT_PUBLISH:
        return true;
    case MQTT_PUBREL:
        return h->flags == 0x02;
    case MQTT_CONNACK:
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBCOMP:
    case MQTT_SUBACK:
    case MQTT_UNSUBACK:
    case MQTT_PINGRESP:
        return h->flags == 0;
    default:
        return false; /* a packet only clients send, or reserved */
    }
}

typedef struct {
    const uint8_t *p, *end;
} reader_t;

static bool get_u16(reader_t *r, uint16_t *v)
{
    if (r->end - r->p < 2) {
        return false;
    }
    *v = (uint16_t)(r->p[0] << 8 | r->p[1]);
    r->p += 2;
    return true;
}

mqtt_msg_status_t mqtt_decode_publish(const mqtt_fixed_header_t *h, const uint8_t *var, size_t avail, mqtt_publish_t *p)
{
    *p = (mqtt_publish_t){ .qos = (h->flags >> 1) & 3, .retain = (h->flags & 1) != 0,
                           .dup = (h->flags & MQTT_PUBLISH_DUP) != 0 };
    if (p->qos == 3 || (p->qos == 0 && p->dup)) {
        return MQTT_MSG_MALFORMED; /* 3.3.1.2, 3.3.1.1 */
    }
    size_t in_packet = avail < h->remaining ? avail : h->remaining;
    reader_t r = { var, var + in_packet };
    size_t header = 2 + (p->qos > 0 ? 2 : 0);
    if (!get_u16(&r, &p->topic_len)) {
        return h->remaining < 2 ? MQTT_MSG_MALFORMED : MQTT_MSG_INCOMPLETE;
    }
    header += p->topic_len;
    if (header > h->remaining || p->topic_len == 0) {
        return MQTT_MSG_MALFORMED;
    }
    if ((size_t)(r.end - r.p) < p->topic_len) {
        return MQTT_MSG_INCOMPLETE;
    }
    p->topic = (const char *)r.p;
    r.p += p->topic_len;
    if (p->qos > 0 && !get_u16(&r, &p->msg_id)) {
        return MQTT_MSG_INCOMPLETE;
    }
    if (p->qos > 0 && p->msg_id == 0) {
        return MQTT_MSG_MALFORMED; /* 2.3.1 */
    }
    p->payload_offset = header;
    p->payload_len = h->remaining - header;
    return MQTT_MSG_OK;
}

mqtt_msg_status_t mqtt_decode_connack(const mqtt_fixed_header_t *h, const uint8_t *var, bool *session_present,
                                      uint8_t *return_code)
{
    if (h->type != MQTT_CONNACK || h->remaining != 2 || (var[0] & 0xfe) != 0) {
        return MQTT_MSG_MALFORMED;
    }
    *session_present = (var[0] & 1) != 0;
    *return_code = var[1];
    return MQTT_MSG_OK;
}

mqtt_msg_status_t mqtt_decode_ack(const mqtt_fixed_header_t *h, const uint8_t *var, uint16_t *msg_id)
{
    reader_t r = { var, var + h->remaining };
    if (h->remaining != 2 || !get_u16(&r, msg_id) || *msg_id == 0) {
        return MQTT_MSG_MALFORMED;
    }
    return MQTT_MSG_OK;
}

mqtt_msg_status_t mqtt_decode_suback(const mqtt_fixed_header_t *h, const uint8_t *var, uint16_t *msg_id,
                                     const uint8_t **codes, size_t *count)
{
    reader_t r = { var, var + h->remaining };
    if (h->remaining < 3 || !get_u16(&r, msg_id) || *msg_id == 0) {
        return MQTT_MSG_MALFORMED;
    }
    for (const uint8_t *c = r.p; c < r.end; c++) {
        if (*c > 2 && *c != 0x80) {
            return MQTT_MSG_MALFORMED; /* 3.9.3 */
        }
    }
    *codes = r.p;
    *count = (size_t)(r.end - r.p);
    return MQTT_MSG_OK;
}

/* ---- topics ---- */

/* One level of a topic (between slashes): in a filter it may be "+", or "#" when it is the last. */
static const char *level_problem(const char *level, size_t len, bool filter, bool last)
{
    bool plus = memchr(level, '+', len) != NULL, hash = memchr(level, '#', len) != NULL;
    if (!plus && !hash) {
        return NULL;
    }
    if (!filter) {
        return "a topic name holds no wildcard (+ or #)";
    }
    if (len != 1) {
        return "a wildcard (+ or #) must fill a whole level of the filter";
    }
    return hash && !last ? "# must be the last level of the filter" : NULL;
}

const char *mqtt_topic_problem(const char *topic, bool filter)
{
    size_t len = strlen(topic);
    if (len == 0 || len > 65535) {
        return len == 0 ? "the topic is empty" : "the topic is longer than 65,535 bytes";
    }
    const char *end = topic + len;
    for (const char *level = topic; level <= end;) {
        const char *slash = memchr(level, '/', (size_t)(end - level));
        const char *stop = slash != NULL ? slash : end;
        const char *why = level_problem(level, (size_t)(stop - level), filter, slash == NULL);
        if (why != NULL) {
            return why;
        }
        level = stop + 1;
    }
    return NULL;
}
