/* The MQTT 3.1.1 packet codec: the bytes the specification gives, buffers too small, and the
 * malformed packets a broker must not send; topic rules; the outbox (ids, expiry). Pure logic,
 * no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mqtt_msg.h"
#include "mqtt_outbox.h"

static void test_connect(void **state)
{
    (void)state;
    uint8_t buf[128];
    mqtt_connect_t c = { .client_id = "id", .clean_session = true, .keepalive_s = 60 };
    static const uint8_t minimal[] = { 0x10, 14, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, 0, 2, 'i', 'd' };
    assert_int_equal(mqtt_encode_connect(buf, sizeof(buf), &c), sizeof(minimal));
    assert_memory_equal(buf, minimal, sizeof(minimal));

    c = (mqtt_connect_t){ .client_id = "c", .username = "u", .password = "pw", .password_len = 2, .will_topic = "w",
                          .will_msg = "bye", .will_msg_len = 3, .will_qos = 1, .will_retain = true, .keepalive_s = 5 };
    static const uint8_t full[] = { 0x10, 28, 0, 4, 'M', 'Q', 'T', 'T', 4, 0xEC, 0, 5, 0, 1, 'c',
                                    0, 1, 'w', 0, 3, 'b', 'y', 'e', 0, 1, 'u', 0, 2, 'p', 'w' };
    assert_int_equal(mqtt_encode_connect(buf, sizeof(buf), &c), sizeof(full));
    assert_memory_equal(buf, full, sizeof(full));
    assert_int_equal(mqtt_encode_connect(buf, sizeof(full) - 1, &c), 0); /* one byte short */

    c = (mqtt_connect_t){ .client_id = "", .protocol_v31 = true };
    assert_int_equal(mqtt_encode_connect(buf, sizeof(buf), &c), 2 + 2 + 6 + 1 + 1 + 2 + 2);
    assert_memory_equal(buf + 2, "\0\6MQIsdp\3", 9);
}

static void test_publish_and_acks(void **state)
{
    (void)state;
    uint8_t buf[64];
    static const uint8_t qos1[] = { 0x3B, 12, 0, 3, 'a', '/', 'b', 0x12, 0x34 }; /* DUP, QoS 1, retain; +5 payload */
    assert_int_equal(mqtt_encode_publish_header(buf, sizeof(buf), "a/b", 5, 1, true, true, 0x1234), sizeof(qos1));
    assert_memory_equal(buf, qos1, sizeof(qos1));
    assert_int_equal(mqtt_encode_publish_header(buf, sizeof(buf), "t", 0, 0, false, false, 0), 5); /* no id */
    assert_int_equal(mqtt_encode_publish_header(buf, 4, "t", 0, 0, false, false, 0), 0);
    /* 200000 bytes of payload: a three-byte remaining length */
    assert_int_equal(mqtt_encode_publish_header(buf, sizeof(buf), "t", 200000, 0, false, false, 0), 1 + 3 + 3);
    assert_memory_equal(buf, "\x30\xc3\x9a\x0c", 4);

    static const uint8_t pubrel[] = { 0x62, 2, 0xAB, 0xCD };
    assert_int_equal(mqtt_encode_ack(buf, sizeof(buf), MQTT_PUBREL, 0xABCD), 4);
    assert_memory_equal(buf, pubrel, 4);
    assert_int_equal(mqtt_encode_ack(buf, sizeof(buf), MQTT_PUBACK, 1), 4);
    assert_int_equal(buf[0], 0x40);
    assert_int_equal(mqtt_encode_empty(buf, sizeof(buf), MQTT_PINGREQ), 2);
    assert_memory_equal(buf, "\xC0\x00", 2);
}

static void test_subscribe(void **state)
{
    (void)state;
    uint8_t buf[64];
    mqtt_subscription_t subs[] = { { "a", 0 }, { "b/#", 2 } };
    static const uint8_t two[] = { 0x82, 12, 0, 7, 0, 1, 'a', 0, 0, 3, 'b', '/', '#', 2 };
    assert_int_equal(mqtt_encode_subscribe(buf, sizeof(buf), 7, subs, 2), sizeof(two));
    assert_memory_equal(buf, two, sizeof(two));
    assert_int_equal(mqtt_encode_subscribe(buf, sizeof(buf), 7, subs, 0), 0); /* at least one filter */
    static const uint8_t unsub[] = { 0xA2, 7, 0, 9, 0, 3, 'x', '/', 'y' };
    assert_int_equal(mqtt_encode_unsubscribe(buf, sizeof(buf), 9, "x/y"), sizeof(unsub));
    assert_memory_equal(buf, unsub, sizeof(unsub));
}

static void test_fixed_header(void **state)
{
    (void)state;
    mqtt_fixed_header_t h;
    assert_int_equal(mqtt_decode_fixed_header((const uint8_t *)"\x30", 1, &h), MQTT_MSG_INCOMPLETE);
    assert_int_equal(mqtt_decode_fixed_header((const uint8_t *)"\x30\x80\x80", 3, &h), MQTT_MSG_INCOMPLETE);
    assert_int_equal(mqtt_decode_fixed_header((const uint8_t *)"\x30\xff\xff\xff\x7f", 5, &h), MQTT_MSG_OK);
    assert_int_equal(h.remaining, MQTT_MAX_REMAINING_LENGTH);
    assert_int_equal(h.header_len, 5);
    assert_int_equal(mqtt_decode_fixed_header((const uint8_t *)"\x30\xff\xff\xff\xff\x01", 6, &h), MQTT_MSG_MALFORMED);
    assert_int_equal(mqtt_decode_fixed_header((const uint8_t *)"\x62\x02", 2, &h), MQTT_MSG_OK);
    assert_true(mqtt_flags_valid(&h)); /* PUBREL carries 0x2 */
    assert_int_equal(mqtt_decode_fixed_header((const uint8_t *)"\x60\x02", 2, &h), MQTT_MSG_OK);
    assert_false(mqtt_flags_valid(&h));
    assert_int_equal(mqtt_decode_fixed_header((const uint8_t *)"\x10\x00", 2, &h), MQTT_MSG_OK);
    assert_false(mqtt_flags_valid(&h)); /* CONNECT comes from clients only */
    assert_int_equal(mqtt_decode_fixed_header((const uint8_t *)"\xF0\x00", 2, &h), MQTT_MSG_OK);
    assert_false(mqtt_flags_valid(&h)); /* reserved */
}

static void test_decode_publish(void **state)
{
    (void)state;
    mqtt_fixed_header_t h = { .type = MQTT_PUBLISH, .flags = 0x02, .remaining = 10 }; /* QoS 1 */
    static const uint8_t var[] = { 0, 3, 'a', '/', 'b', 0, 5, 'x', 'y', 'z' };
    mqtt_publish_t p;
    assert_int_equal(mqtt_decode_publish(&h, var, sizeof(var), &p), MQTT_MSG_OK);
    assert_int_equal(p.topic_len, 3);
    assert_memory_equal(p.topic, "a/b", 3);
    assert_int_equal(p.msg_id, 5);
    assert_int_equal(p.payload_offset, 7);
    assert_int_equal(p.payload_len, 3);
    assert_int_equal(mqtt_decode_publish(&h, var, 4, &p), MQTT_MSG_INCOMPLETE); /* topic not all there */
    h.flags = 0x06; /* QoS 3 */
    assert_int_equal(mqtt_decode_publish(&h, var, sizeof(var), &p), MQTT_MSG_MALFORMED);
    h.flags = 0x08; /* DUP with QoS 0 */
    assert_int_equal(mqtt_decode_publish(&h, var, sizeof(var), &p), MQTT_MSG_MALFORMED);
    h = (mqtt_fixed_header_t){ .type = MQTT_PUBLISH, .flags = 0, .remaining = 4 }; /* topic beyond the packet */
    assert_int_equal(mqtt_decode_publish(&h, var, sizeof(var), &p), MQTT_MSG_MALFORMED);
    static const uint8_t zero_id[] = { 0, 1, 't', 0, 0 };
    h = (mqtt_fixed_header_t){ .type = MQTT_PUBLISH, .flags = 0x04, .remaining = 5 };
    assert_int_equal(mqtt_decode_publish(&h, zero_id, sizeof(zero_id), &p), MQTT_MSG_MALFORMED);
    static const uint8_t empty_topic[] = { 0, 0 };
    h = (mqtt_fixed_header_t){ .type = MQTT_PUBLISH, .remaining = 2 };
    assert_int_equal(mqtt_decode_publish(&h, empty_topic, sizeof(empty_topic), &p), MQTT_MSG_MALFORMED);
}

static void test_decode_acks(void **state)
{
    (void)state;
    bool present;
    uint8_t code;
    mqtt_fixed_header_t h = { .type = MQTT_CONNACK, .remaining = 2 };
    assert_int_equal(mqtt_decode_connack(&h, (const uint8_t *)"\x01\x00", &present, &code), MQTT_MSG_OK);
    assert_true(present);
    assert_int_equal(mqtt_decode_connack(&h, (const uint8_t *)"\x02\x00", &present, &code), MQTT_MSG_MALFORMED);
    uint16_t id;
    h = (mqtt_fixed_header_t){ .type = MQTT_PUBACK, .remaining = 2 };
    assert_int_equal(mqtt_decode_ack(&h, (const uint8_t *)"\x01\x02", &id), MQTT_MSG_OK);
    assert_int_equal(id, 0x0102);
    assert_int_equal(mqtt_decode_ack(&h, (const uint8_t *)"\x00\x00", &id), MQTT_MSG_MALFORMED);
    h.remaining = 3;
    assert_int_equal(mqtt_decode_ack(&h, (const uint8_t *)"\x01\x02\x03", &id), MQTT_MSG_MALFORMED);
    const uint8_t *codes;
    size_t count;
    h = (mqtt_fixed_header_t){ .type = MQTT_SUBACK, .remaining = 4 };
    assert_int_equal(mqtt_decode_suback(&h, (const uint8_t *)"\x00\x07\x01\x80", &id, &codes, &count), MQTT_MSG_OK);
    assert_int_equal(count, 2);
    assert_int_equal(codes[1], 0x80);
    assert_int_equal(mqtt_decode_suback(&h, (const uint8_t *)"\x00\x07\x01\x03", &id, &codes, &count),
                     MQTT_MSG_MALFORMED);
}

/* The outbox keeps whole packets; a QoS 2 message turns into its PUBREL; a resend has DUP. */
static void test_outbox(void **state)
{
    (void)state;
    outbox_t o = { 0 };
    uint8_t header[16];
    size_t len = mqtt_encode_publish_header(header, sizeof(header), "t", 3, 2, false, false, 9);
    outbox_item_t *item = outbox_add(&o, 9, 2, header, len, "abc", 3, 50);
    assert_non_null(item);
    assert_int_equal(o.bytes, len + 3);
    assert_ptr_equal(outbox_find(&o, 9, MQTT_PUBLISH), item);
    outbox_sent(item, 100);
    assert_int_equal(item->packet[0] & MQTT_PUBLISH_DUP, MQTT_PUBLISH_DUP); /* for the resend */
    outbox_to_pubrel(&o, item);
    assert_int_equal(o.bytes, 4);
    assert_null(outbox_find(&o, 9, MQTT_PUBLISH));
    assert_ptr_equal(outbox_find(&o, 9, MQTT_PUBREL), item);
    assert_memory_equal(item->packet, "\x62\x02\x00\x09", 4);
    outbox_requeue_all(&o);
    assert_int_equal(item->state, OUTBOX_QUEUED);
    assert_non_null(outbox_add(&o, 10, 1, header, len, NULL, 0, 60));
    outbox_remove(&o, item);
    assert_int_equal(o.bytes, len);
    assert_non_null(outbox_add(&o, 0, 0, header, len, NULL, 0, 70)); /* after a removal: the tail is right */
    assert_int_equal(o.head->msg_id, 10);
    assert_int_equal(o.head->next->msg_id, 0);
    assert_ptr_equal(o.tail, o.head->next);
    outbox_clear(&o);
    assert_null(o.head);
    assert_null(o.tail);
    assert_int_equal(o.bytes, 0);
}

/* esp-mqtt's expiry: from the queueing, then from the first send; resends and requeues keep it. */
static void test_outbox_expiry(void **state)
{
    (void)state;
    outbox_t o = { 0 };
    uint8_t header[16];
    size_t len = mqtt_encode_publish_header(header, sizeof(header), "t", 0, 1, false, false, 1);
    assert_int_equal(outbox_oldest_tick(&o), -1);
    outbox_item_t *offline = outbox_add(&o, 1, 1, header, len, NULL, 0, 1000); /* queued while offline */
    outbox_item_t *sent = outbox_add(&o, 2, 1, header, len, NULL, 0, 1500);
    outbox_sent(sent, 4000);
    outbox_sent(sent, 6000);  /* a resend */
    outbox_requeue_all(&o);   /* a new connection */
    outbox_sent(sent, 7000);
    assert_int_equal(outbox_oldest_tick(&o), 1000);
    assert_null(outbox_expired(&o, 1000 + 500, 500));
    assert_ptr_equal(outbox_expired(&o, 1000 + 501, 500), offline);
    outbox_remove(&o, offline);
    assert_int_equal(outbox_oldest_tick(&o), 4000);
    assert_null(outbox_expired(&o, 4000 + 500, 500));
    assert_ptr_equal(outbox_expired(&o, 4000 + 501, 500), sent);
    outbox_clear(&o);
}

/* Identifiers skip those the outbox holds and wrap past 0; once all 65,535 are held there is
 * none (and the search ends). */
static void test_outbox_ids(void **state)
{
    (void)state;
    outbox_t o = { 0 };
    uint8_t header[8] = { 0x32 };
    uint16_t last = 0;
    assert_int_equal(outbox_next_id(&o, &last), 1);
    assert_non_null(outbox_add(&o, 2, 1, header, 1, NULL, 0, 0));
    assert_int_equal(outbox_next_id(&o, &last), 3); /* 2 is held */
    last = 65535;
    assert_int_equal(outbox_next_id(&o, &last), 1); /* never 0 */
    outbox_clear(&o);
    last = 0;
    for (unsigned i = 1; i <= OUTBOX_MAX_IDS; i++) {
        uint16_t id = outbox_next_id(&o, &last);
        assert_int_equal(id, i);
        assert_non_null(outbox_add(&o, id, 1, header, 1, NULL, 0, 0));
    }
    assert_int_equal(o.id_count, OUTBOX_MAX_IDS);
    assert_int_equal(outbox_next_id(&o, &last), 0);
    outbox_remove(&o, outbox_find(&o, 777, MQTT_PUBLISH));
    assert_int_equal(outbox_next_id(&o, &last), 777);
    outbox_clear(&o);
    assert_int_equal(o.id_count, 0);
}

/* Topic names and filters as MQTT 3.1.1, 4.7 has them. */
static void test_topics(void **state)
{
    (void)state;
    const char *names[] = { "a", "a/b", "/", "a//b", "$SYS/x" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        assert_null(mqtt_topic_problem(names[i], false));
        assert_null(mqtt_topic_problem(names[i], true));
    }
    const char *filters[] = { "#", "+", "a/#", "+/+/c", "/#", "a/+", "+/#" };
    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
        assert_null(mqtt_topic_problem(filters[i], true));
        assert_non_null(mqtt_topic_problem(filters[i], false)); /* no wildcard in a name */
    }
    const char *bad_filters[] = { "a/#/b", "a#", "a/b#", "a+", "+a/b", "a/+b", "#/", "" };
    for (size_t i = 0; i < sizeof(bad_filters) / sizeof(bad_filters[0]); i++) {
        assert_non_null(mqtt_topic_problem(bad_filters[i], true));
    }
    static char huge[65537];
    memset(huge, 'x', 65536);
    assert_non_null(mqtt_topic_problem(huge, false));
    huge[65535] = '\0';
    assert_null(mqtt_topic_problem(huge, false));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect),
        cmocka_unit_test(test_publish_and_acks),
        cmocka_unit_test(test_subscribe),
        cmocka_unit_test(test_fixed_header),
        cmocka_unit_test(test_decode_publish),
        cmocka_unit_test(test_decode_acks),
        cmocka_unit_test(test_outbox),
        cmocka_unit_test(test_outbox_expiry),
        cmocka_unit_test(test_outbox_ids),
        cmocka_unit_test(test_topics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
