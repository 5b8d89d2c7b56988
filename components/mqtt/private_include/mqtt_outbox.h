/*
 * The outbox: QoS 1 and 2 messages the broker has not acknowledged yet (and messages queued by
 * esp_mqtt_client_enqueue()), each stored as its whole encoded packet, so that a resend is one
 * write (with the DUP flag set). A QoS 2 message becomes its PUBREL once the PUBREC came.
 * Not thread-safe: the client's lock guards it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqtt_msg.h"

typedef enum {
    OUTBOX_QUEUED, /* not sent on this connection yet */
    OUTBOX_SENT,   /* sent, waiting for its acknowledgement */
} outbox_state_t;

typedef struct outbox_item {
    uint16_t msg_id;
    int qos;
    mqtt_packet_type_t type; /* PUBLISH, or PUBREL once a QoS 2 PUBLISH was received */
    outbox_state_t state;
    int64_t first_sent_ms;   /* when it was first sent on this connection (0: not yet) */
    int64_t sent_ms;         /* when it was last sent */
    size_t len;
    struct outbox_item *next;
    uint8_t packet[];
} outbox_item_t;

typedef struct {
    outbox_item_t *head; /* oldest first */
    size_t bytes;        /* the packets' lengths, added up */
} outbox_t;

/* Adds header + payload as one packet. @return the item, or NULL when out of memory. */
outbox_item_t *outbox_add(outbox_t *o, uint16_t msg_id, int qos, const uint8_t *header, size_t header_len,
                          const void *payload, size_t payload_len);

/* The item with msg_id whose packet is type, or NULL. */
outbox_item_t *outbox_find(const outbox_t *o, uint16_t msg_id, mqtt_packet_type_t type);

/* Turns a QoS 2 PUBLISH into its PUBREL (the PUBREC came), to be sent now. */
void outbox_to_pubrel(outbox_t *o, outbox_item_t *item);

/* Marks item sent now; a PUBLISH sent before carries DUP from then on. */
void outbox_sent(outbox_item_t *item, int64_t now_ms);

/* Every item becomes QUEUED, as never sent: a new connection sends them all again. */
void outbox_requeue_all(outbox_t *o);

void outbox_remove(outbox_t *o, outbox_item_t *item);
void outbox_clear(outbox_t *o);
