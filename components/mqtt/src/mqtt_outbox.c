#include "mqtt_outbox.h"

#include <stdlib.h>
#include <string.h>

#define ID_WORDS (65536u / 32u)

static bool id_held(const outbox_t *o, uint16_t id)
{
    return o->ids != NULL && (o->ids[id / 32u] & (1u << (id % 32u))) != 0;
}

static void id_mark(outbox_t *o, uint16_t id, bool held)
{
    uint32_t bit = 1u << (id % 32u);
    if (held) {
        o->ids[id / 32u] |= bit;
        o->id_count++;
    } else {
        o->ids[id / 32u] &= ~bit;
        o->id_count--;
    }
}

outbox_item_t *outbox_add(outbox_t *o, uint16_t msg_id, int qos, const uint8_t *header, size_t header_len,
                          const void *payload, size_t payload_len, int64_t now_ms)
{
    if (msg_id != 0 && o->ids == NULL) {
        o->ids = calloc(ID_WORDS, sizeof(*o->ids));
        if (o->ids == NULL) {
            return NULL;
        }
    }
    outbox_item_t *item = malloc(sizeof(*item) + header_len + payload_len);
    if (item == NULL) {
        return NULL;
    }
    *item = (outbox_item_t){ .msg_id = msg_id, .qos = qos, .type = MQTT_PUBLISH, .state = OUTBOX_QUEUED,
                             .tick_ms = now_ms, .len = header_len + payload_len };
    memcpy(item->packet, header, header_len);
    if (payload_len > 0) {
        memcpy(item->packet + header_len, payload, payload_len);
    }
    if (o->tail != NULL) {
        o->tail->next = item;
    } else {
        o->head = item;
    }
    o->tail = item;
    o->bytes += item->len;
    if (msg_id != 0) {
        id_mark(o, msg_id, true);
    }
    return item;
}

outbox_item_t *outbox_find(const outbox_t *o, uint16_t msg_id, mqtt_packet_type_t type)
{
    for (outbox_item_t *item = o->head; item != NULL; item = item->next) {
        if (item->msg_id == msg_id && item->type == type) {
            return item;
        }
    }
    return NULL;
}

uint16_t outbox_next_id(const outbox_t *o, uint16_t *last)
{
    if (o->id_count >= OUTBOX_MAX_IDS) {
        return 0;
    }
    uint16_t id = *last;
    do {
        id = (uint16_t)(id + 1);
    } while (id == 0 || id_held(o, id)); /* ends: at least one of 1..65535 is free */
    *last = id;
    return id;
}

void outbox_to_pubrel(outbox_t *o, outbox_item_t *item)
{
    o->bytes -= item->len;
    item->len = mqtt_encode_ack(item->packet, item->len, MQTT_PUBREL, item->msg_id); /* a PUBLISH is longer */
    o->bytes += item->len;
    item->type = MQTT_PUBREL;
    item->state = OUTBOX_QUEUED;
}

void outbox_sent(outbox_item_t *item, int64_t now_ms)
{
    if (item->type == MQTT_PUBLISH) {
        item->packet[0] |= MQTT_PUBLISH_DUP; /* what is sent again is a duplicate (3.3.1.1) */
    }
    if (!item->transmitted) {
        item->tick_ms = now_ms; /* as esp-mqtt: expiry counts from the first transmission */
        item->transmitted = true;
    }
    item->state = OUTBOX_SENT;
    item->sent_ms = now_ms;
}

void outbox_requeue_all(outbox_t *o)
{
    for (outbox_item_t *item = o->head; item != NULL; item = item->next) {
        item->state = OUTBOX_QUEUED;
    }
}

outbox_item_t *outbox_expired(const outbox_t *o, int64_t now_ms, int64_t timeout_ms)
{
    for (outbox_item_t *item = o->head; item != NULL; item = item->next) {
        if (now_ms - item->tick_ms > timeout_ms) {
            return item;
        }
    }
    return NULL;
}

int64_t outbox_oldest_tick(const outbox_t *o)
{
    int64_t oldest = -1;
    for (const outbox_item_t *item = o->head; item != NULL; item = item->next) {
        if (oldest < 0 || item->tick_ms < oldest) {
            oldest = item->tick_ms;
        }
    }
    return oldest;
}

void outbox_remove(outbox_t *o, outbox_item_t *item)
{
    outbox_item_t *prev = NULL;
    for (outbox_item_t *at = o->head; at != NULL; prev = at, at = at->next) {
        if (at != item) {
            continue;
        }
        *(prev != NULL ? &prev->next : &o->head) = item->next;
        if (o->tail == item) {
            o->tail = prev;
        }
        o->bytes -= item->len;
        if (item->msg_id != 0) {
            id_mark(o, item->msg_id, false);
        }
        free(item);
        return;
    }
}

void outbox_clear(outbox_t *o)
{
    while (o->head != NULL) {
        outbox_remove(o, o->head);
    }
    free(o->ids);
    o->ids = NULL;
}
