/*
 * The outbox: QoS 1 and 2 messages the broker has not acknowledged yet (and messages queued by
 * esp_mqtt_client_enqueue()), each stored as its whole encoded packet, so that a resend is one
 * write (with the DUP flag set). A QoS 2 message becomes its PUBREL once the PUBREC came. It also
 * knows which packet identifiers its messages hold, so that a new one is never one in flight.
 * Not thread-safe: the client's lock guards it.
 *
 * Expiry follows esp-mqtt (lib/mqtt_outbox.c): a message's tick is when it was queued, and moves
 * to when it was first sent; it leaves the outbox once more than the expiry time passed since its
 * tick, sent or not, connected or not. Resends and reconnects do not move the tick.
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
    uint16_t msg_id;         /* 0 for a stored QoS 0 message */
    int qos;
    mqtt_packet_type_t type; /* PUBLISH, or PUBREL once a QoS 2 PUBLISH was received */
    outbox_state_t state;
    bool transmitted;        /* sent at least once, on any connection */
    int64_t tick_ms;         /* queued, then first sent: expiry counts from it */
    int64_t sent_ms;         /* last sent: a resend counts from it */
    size_t len;
    struct outbox_item *next;
    uint8_t packet[];
} outbox_item_t;

typedef struct {
    outbox_item_t *head, *tail; /* oldest first */
    size_t bytes;               /* the packets' lengths, added up */
    uint32_t *ids;              /* a bit per packet identifier held by an item (allocated with the first) */
    uint32_t id_count;          /* identifiers held */
} outbox_t;

#define OUTBOX_MAX_IDS 65535u /* identifiers 1..65535 (MQTT 3.1.1, 2.3.1) */

/* Adds header + payload as one packet, queued at now_ms. msg_id must not be held already (0 is
 * never held). @return the item, or NULL when out of memory. */
outbox_item_t *outbox_add(outbox_t *o, uint16_t msg_id, int qos, const uint8_t *header, size_t header_len,
                          const void *payload, size_t payload_len, int64_t now_ms);

/* The item with msg_id whose packet is type, or NULL. */
outbox_item_t *outbox_find(const outbox_t *o, uint16_t msg_id, mqtt_packet_type_t type);

/* The identifier after *last (wrapping, never 0) that no item holds, also stored in *last.
 * @return it, or 0 when all OUTBOX_MAX_IDS are held. */
uint16_t outbox_next_id(const outbox_t *o, uint16_t *last);

/* Turns a QoS 2 PUBLISH into its PUBREL (the PUBREC came), to be sent now. */
void outbox_to_pubrel(outbox_t *o, outbox_item_t *item);

/* Marks item sent now; a PUBLISH sent before carries DUP from then on; the first send moves
 * the tick. */
void outbox_sent(outbox_item_t *item, int64_t now_ms);

/* Every item becomes QUEUED: a new connection sends them all again (ticks unchanged). */
void outbox_requeue_all(outbox_t *o);

/* The first item whose tick is more than timeout_ms before now_ms, or NULL. */
outbox_item_t *outbox_expired(const outbox_t *o, int64_t now_ms, int64_t timeout_ms);

/* The earliest tick of all items, or -1 when the outbox is empty. */
int64_t outbox_oldest_tick(const outbox_t *o);

void outbox_remove(outbox_t *o, outbox_item_t *item);

/* Removes every item and frees the identifier table. */
void outbox_clear(outbox_t *o);
