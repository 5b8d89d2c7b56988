#include "mqtt_outbox.h"

#include <stdlib.h>
#include <string.h>

outbox_item_t *outbox_add(outbox_t *o, uint16_t msg_id, int qos, const uint8_t *header, size_t header_len,
                          const void *payload, size_t payload_len)
{
    outbox_item_t *item = malloc(sizeof(*item) + header_len + payload_len);
    if (item == NULL) {
        return NULL;
    }
    *item = (outbox_item_t){ .msg_id = msg_id, .qos = qos, .type = MQTT_PUBLISH, .state = OUTBOX_QUEUED,
                             .len = header_len + payload_len };
    memcpy(item->packet, header, header_len);
    if (payload_len > 0) {
        memcpy(item->packet + header_len, payload, payload_len);
    }
    outbox_item_t **end = &o->head;
    while (*end != NULL) {
        end = &(*end)->next;
    }
    *end = item;
    o->bytes += item->len;
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
    item->state = OUTBOX_SENT;
    item->sent_ms = now_ms;
    if (item->first_sent_ms == 0) {
        item->first_sent_ms = now_ms;
    }
}

void outbox_requeue_all(outbox_t *o)
{
    for (outbox_item_t *item = o->head; item != NULL; item = item->next) {
        item->state = OUTBOX_QUEUED;
        item->first_sent_ms = 0;
    }
}

void outbox_remove(outbox_t *o, outbox_item_t *item)
{
    for (outbox_item_t **link = &o->head; *link != NULL; link = &(*link)->next) {
        if (*link == item) {
            *link = item->next;
            o->bytes -= item->len;
            free(item);
            return;
        }
    }
}

void outbox_clear(outbox_t *o)
{
    while (o->head != NULL) {
        outbox_remove(o, o->head);
    }
}
