/*
 * MQTT 3.1.1 (and 3.1) packets: encoders that write into a caller's buffer and decoders that read
 * a received packet. Nothing here does I/O or allocates.
 *
 * Encoders return the packet's length, or 0 when it does not fit in cap (nothing useful is left
 * in the buffer then). Decoders read through a cursor bounded by an end pointer and check each
 * length before they read; a packet that breaks the specification is MQTT_MSG_MALFORMED.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Control packet types (the fixed header's high nibble; 2.2.1). */
typedef enum {
    MQTT_CONNECT = 1,
    MQTT_CONNACK = 2,
    MQTT_PUBLISH = 3,
    MQTT_PUBACK = 4,
    MQTT_PUBREC = 5,
    MQTT_PUBREL = 6,
    MQTT_PUBCOMP = 7,
    MQTT_SUBSCRIBE = 8,
    MQTT_SUBACK = 9,
    MQTT_UNSUBSCRIBE = 10,
    MQTT_UNSUBACK = 11,
    MQTT_PINGREQ = 12,
    MQTT_PINGRESP = 13,
    MQTT_DISCONNECT = 14,
} mqtt_packet_type_t;

typedef enum {
    MQTT_MSG_OK = 0,
    MQTT_MSG_INCOMPLETE, /* more bytes are needed */
    MQTT_MSG_MALFORMED,  /* the bytes break the specification */
} mqtt_msg_status_t;

#define MQTT_MAX_REMAINING_LENGTH 268435455u /* four length bytes (2.2.3) */
#define MQTT_MAX_FIXED_HEADER 5u
#define MQTT_PUBLISH_DUP 0x08u /* in the first byte */

/* ---- encoding ---- */

typedef struct {
    const char *client_id;   /* may be "" (then clean_session is required by brokers) */
    const char *username;    /* NULL: none */
    const char *password;    /* NULL: none */
    size_t password_len;
    const char *will_topic;  /* NULL: no last will */
    const char *will_msg;
    size_t will_msg_len;
    int will_qos;
    bool will_retain;
    bool clean_session;
    uint16_t keepalive_s;    /* 0: no keepalive */
    bool protocol_v31;       /* "MQIsdp" level 3 instead of "MQTT" level 4 */
} mqtt_connect_t;

size_t mqtt_encode_connect(uint8_t *buf, size_t cap, const mqtt_connect_t *c);

/* A PUBLISH's fixed and variable header; the payload_len bytes of payload follow it. msg_id is
 * written for qos > 0 only. */
size_t mqtt_encode_publish_header(uint8_t *buf, size_t cap, const char *topic, size_t payload_len, int qos, bool retain,
                                  bool dup, uint16_t msg_id);

/* PUBACK, PUBREC, PUBREL (with its required flags) or PUBCOMP. */
size_t mqtt_encode_ack(uint8_t *buf, size_t cap, mqtt_packet_type_t type, uint16_t msg_id);

typedef struct {
    const char *filter;
    int qos;
} mqtt_subscription_t;

size_t mqtt_encode_subscribe(uint8_t *buf, size_t cap, uint16_t msg_id, const mqtt_subscription_t *subs, int count);
size_t mqtt_encode_unsubscribe(uint8_t *buf, size_t cap, uint16_t msg_id, const char *filter);

/* PINGREQ or DISCONNECT: a fixed header alone. */
size_t mqtt_encode_empty(uint8_t *buf, size_t cap, mqtt_packet_type_t type);

/* Why topic (NUL-terminated) is not a topic name, or (filter) not a topic filter, by MQTT 3.1.1,
 * 4.7: not empty, at most 65,535 bytes; a name holds no wildcard; in a filter "+" fills a whole
 * level and "#" the last one. @return NULL when it is valid, else a sentence. */
const char *mqtt_topic_problem(const char *topic, bool filter);

/* ---- decoding ---- */

/* The fixed header at the start of buf[0..len): type, flags, remaining length and the header's
 * own length. INCOMPLETE until the length bytes are all there. */
typedef struct {
    mqtt_packet_type_t type;
    uint8_t flags;
    uint32_t remaining;
    size_t header_len;
} mqtt_fixed_header_t;

mqtt_msg_status_t mqtt_decode_fixed_header(const uint8_t *buf, size_t len, mqtt_fixed_header_t *h);

/* The flags a server may send with each type (PUBLISH's are checked by mqtt_decode_publish). */
bool mqtt_flags_valid(const mqtt_fixed_header_t *h);

/* A PUBLISH's variable header, from its first avail bytes (after the fixed header; avail may be
 * less than the whole packet: the payload is then read later). */
typedef struct {
    const char *topic; /* not NUL-terminated; points into the buffer */
    uint16_t topic_len;
    int qos;
    bool retain, dup;
    uint16_t msg_id;      /* 0 for QoS 0 */
    size_t payload_offset; /* from the variable header's start */
    size_t payload_len;    /* the whole payload's */
} mqtt_publish_t;

mqtt_msg_status_t mqtt_decode_publish(const mqtt_fixed_header_t *h, const uint8_t *var, size_t avail, mqtt_publish_t *p);

/* CONNACK: the session-present flag and the return code (3.2.2). */
mqtt_msg_status_t mqtt_decode_connack(const mqtt_fixed_header_t *h, const uint8_t *var, bool *session_present,
                                      uint8_t *return_code);

/* PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK: a packet identifier alone. */
mqtt_msg_status_t mqtt_decode_ack(const mqtt_fixed_header_t *h, const uint8_t *var, uint16_t *msg_id);

/* SUBACK: the identifier and one return code per filter (0-2 granted QoS, 0x80 failure). */
mqtt_msg_status_t mqtt_decode_suback(const mqtt_fixed_header_t *h, const uint8_t *var, uint16_t *msg_id,
                                     const uint8_t **codes, size_t *count);
