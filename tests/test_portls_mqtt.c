/* portls mqtt sub and pub against mosquitto, with mosquitto_pub and mosquitto_sub on the other
 * side: plain TCP, mutual TLS, stdin lines, secure WebSocket, the failures and what they say, the
 * built-in bundle; and the mqtt_ssl_mutual_auth example against the listener that requires client
 * certificates. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mqtt_test_client.h"
#include "sdkconfig.h"
#include "tls_test.h"

static void port_arg(char *out, size_t len, int port)
{
    snprintf(out, len, "%d", port);
}


static void test_sub_prints_messages(void **state)
{
    (void)state;
    char port[16];
    port_arg(port, sizeof(port), mosquitto_group.tcp_port);
    const char *file = "/tmp/portls-mqtt-tool-sub";
    const char *argv[] = { PORTLS_TOOL, "mqtt", "sub", "-h", "127.0.0.1", "-p", port, "-t", "tool/#", "-q", "1",
                           "-C", "2", "-v", NULL };
    peer_t sub;
    assert_int_equal(peer_spawn(&sub, argv, file), 0);
    wait_for_output(file, "subscribed");
    mosquitto_pub((const char *[]){ "-t", "tool/a", "-m", "first", "-q", "1", NULL });
    mosquitto_pub((const char *[]){ "-t", "tool/b", "-m", "second", NULL });
    assert_non_null(strstr(spawned_finish(&sub, file), "tool/a first\ntool/b second\n"));
}

/* pub over mutual TLS reaches a subscriber on the plain listener. */
static void test_pub_over_mutual_tls(void **state)
{
    (void)state;
    peer_t sub;
    const char *file = "/tmp/portls-mqtt-tool-mtls";
    mosquitto_sub_start(&sub, file, "tool/mtls", 1, 1);
    char port[16], out[4096];
    port_arg(port, sizeof(port), mosquitto_group.mtls_port);
    const char *argv[] = { PORTLS_TOOL, "mqtt", "pub", "-h", "localhost", "-p", port, "-t", "tool/mtls",
                           "-m", "signed", "-q", "1", "--cafile", cert_path("ca.pem"), "--cert",
                           cert_path("client.pem"), "--key", cert_path("client.key"), NULL };
    assert_int_equal(run_program(argv, NULL, out, sizeof(out)), 0);
    assert_non_null(strstr(spawned_finish(&sub, file), "signed"));
}

/* pub -l: each line of stdin is a message, here at QoS 2 over secure WebSocket. */
static void test_pub_lines_over_wss(void **state)
{
    (void)state;
    peer_t sub;
    const char *file = "/tmp/portls-mqtt-tool-lines";
    mosquitto_sub_start(&sub, file, "tool/lines", 2, 3);
    char url[96], out[4096];
    snprintf(url, sizeof(url), "wss://localhost:%d/mqtt", mosquitto_group.wss_port);
    const char *argv[] = { PORTLS_TOOL, "mqtt", "pub", "--url", url, "-t", "tool/lines", "-l", "-q", "2",
                           "--cafile", cert_path("ca.pem"), NULL };
    assert_int_equal(run_program(argv, "one\ntwo\nthree\n", out, sizeof(out)), 0);
    const char *seen = spawned_finish(&sub, file);
    assert_non_null(strstr(seen, "one\n"));
    assert_non_null(strstr(seen, "two\n"));
    assert_non_null(strstr(seen, "three\n"));
}

/* A broker whose certificate the given CA did not sign: exit 1, the verify flags said. */
static void test_failure_is_reported(void **state)
{
    (void)state;
    char port[16], out[4096];
    port_arg(port, sizeof(port), mosquitto_group.tls_port);
    const char *argv[] = { PORTLS_TOOL, "mqtt", "pub", "-h", "localhost", "-p", port, "-t", "x", "-m", "y",
                           "--cafile", cert_path("other_ca.pem"), NULL };
    assert_int_equal(run_program(argv, NULL, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "the broker's certificate did not verify"));
    assert_non_null(strstr(out, "ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED"));
    assert_non_null(strstr(out, "verify flags: 0x8")); /* not trusted */
    const char *usage[] = { PORTLS_TOOL, "mqtt", "pub", "-t", "x", NULL }; /* no message */
    assert_int_equal(run_program(usage, NULL, out, sizeof(out)), 2);
}

/* Runs portls mqtt (killed after 60 s: a run that should end must not hang the test).
 * @return its exit status; out gets its output. */
static int run_tool(const char *const args[], char *out, size_t out_len)
{
    const char *argv[32] = { "timeout", "60", PORTLS_TOOL, "mqtt" };
    int n = 4;
    for (int i = 0; args[i] != NULL && n < 31; i++) {
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    return run_program(argv, NULL, out, out_len);
}

/* Asserts that out contains text, showing out when it does not. */
static void expect_in(const char *out, const char *text)
{
    if (strstr(out, text) == NULL) {
        print_message("expected \"%s\" in:\n%s\n", text, out);
    }
    assert_non_null(strstr(out, text));
}

/* Each failure carries a real code (never ESP_OK) and a sentence that says what happened. */
static void test_failures_say_why(void **state)
{
    (void)state;
    char mtls[16], tls[16], tcp[16], url[64], out[8192];
    port_arg(mtls, sizeof(mtls), mosquitto_group.mtls_port);
    port_arg(tls, sizeof(tls), mosquitto_group.tls_port);
    port_arg(tcp, sizeof(tcp), mosquitto_group.tcp_port);

    /* no client certificate, to a broker that requires one */
    const char *no_cert[] = { "pub", "-h", "localhost", "-p", mtls, "-t", "x", "-m", "y", "--cafile",
                              cert_path("ca.pem"), NULL };
    assert_int_equal(run_tool(no_cert, out, sizeof(out)), 1);
    assert_null(strstr(out, "ESP_OK"));
    expect_in(out, "portls mqtt: the broker ended the connection before accepting it");
    expect_in(out, "--cert, --key");
    expect_in(out, "  error:        ESP_ERR_"); /* and a real code */

    /* plain MQTT to a TLS listener */
    snprintf(url, sizeof(url), "mqtt://localhost:%d", mosquitto_group.tls_port);
    const char *plain_to_tls[] = { "pub", "--url", url, "-t", "x", "-m", "y", NULL };
    assert_int_equal(run_tool(plain_to_tls, out, sizeof(out)), 1);
    assert_null(strstr(out, "ESP_OK"));
    expect_in(out, "use --cafile, or an mqtts:// or wss:// URL"); /* closed, or answered TLS */
    expect_in(out, "  error:        ESP_ERR_");

    /* a filter the broker would close the connection over, after every reconnect */
    const char *bad_filter[] = { "sub", "-h", "127.0.0.1", "-p", tcp, "-t", "ok/#", "-t", "a/#/b", NULL };
    assert_int_equal(run_tool(bad_filter, out, sizeof(out)), 1);
    expect_in(out, "cannot subscribe to \"a/#/b\": not a valid topic filter");
    const char *bad_name[] = { "pub", "-h", "127.0.0.1", "-p", tcp, "-t", "a/+", "-m", "y", NULL };
    assert_int_equal(run_tool(bad_name, out, sizeof(out)), 1);
    expect_in(out, "publishing to \"a/+\" failed");
}

/* Without --cafile, TLS is verified as portls connect and get do it: with the built-in bundle, or
 * the system's trust store in a build without one (on a system mbedTLS). Neither has the test
 * CA, so the handshake fails on the chain (not for lack of a trust anchor, nor at setup). */
static void test_bundle_without_cafile(void **state)
{
    (void)state;
    char url[64], out[8192];
    snprintf(url, sizeof(url), "mqtts://localhost:%d", mosquitto_group.tls_port);
    const char *args[] = { "pub", "--url", url, "-t", "x", "-m", "y", NULL };
    assert_int_equal(run_tool(args, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED"));
    assert_non_null(strstr(out, "verify flags: 0x8")); /* not signed by a CA of the bundle */
    assert_null(strstr(out, "ESP_ERR_MBEDTLS_SSL_SETUP_FAILED"));
}

/* -h ::1 is an IPv6 literal: the URI the tool builds has it in brackets (mqtt://[::1]:port), as
 * the broker URI parser wants, and the message reaches a subscriber on the IPv4 listener. */
static void test_ipv6_host(void **state)
{
    (void)state;
    peer_t sub;
    const char *file = "/tmp/portls-mqtt-tool-v6";
    mosquitto_sub_start(&sub, file, "tool/v6", 1, 1);
    char port[16], out[4096];
    port_arg(port, sizeof(port), mosquitto_group.v6_port);
    const char *args[] = { "pub", "-h", "::1", "-p", port, "-t", "tool/v6", "-m", "over six", "-q", "1", NULL };
    int status = run_tool(args, out, sizeof(out));
    if (status != 0) {
        print_message("%s\n", out);
    }
    assert_int_equal(status, 0);
    assert_non_null(strstr(spawned_finish(&sub, file), "over six"));
}

static void test_example_ssl_mutual_auth(void **state)
{
    (void)state;
    char uri[64], out[8192];
    snprintf(uri, sizeof(uri), "mqtts://localhost:%d", mosquitto_group.mtls_port);
    const char *argv[] = { PORTLS_EXAMPLE_MQTT, uri, cert_path("ca.pem"), cert_path("client.pem"),
                           cert_path("client.key"), NULL };
    assert_int_equal(run_program(argv, NULL, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "TOPIC=topic/qos0"));
    assert_non_null(strstr(out, "DATA=data"));
    const char *stranger[] = { PORTLS_EXAMPLE_MQTT, uri, cert_path("ca.pem"), cert_path("client_other.pem"),
                               cert_path("client_other.key"), NULL };
    assert_int_equal(run_program(stranger, NULL, out, sizeof(out)), 1); /* MQTT_EVENT_ERROR */
}

/* -u and -P as mosquitto_pub takes them, against a listener with a password file; a wrong
 * password is the broker's refusal, named. */
static void test_username_and_password(void **state)
{
    (void)state;
    char port[16], out[4096];
    port_arg(port, sizeof(port), mosquitto_group.pw_port);
    const char *good[] = { "pub", "-h", "127.0.0.1", "-p", port, "-t", "x", "-m", "y", "-u", "portls", "-P", "secret",
                           NULL };
    assert_int_equal(run_tool(good, out, sizeof(out)), 0);
    const char *wrong[] = { "pub", "-h", "127.0.0.1", "-p", port, "-t", "x", "-m", "y", "-u", "portls", "-P", "nope",
                            NULL };
    assert_int_equal(run_tool(wrong, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "refused the connection"));
    const char *none[] = { "pub", "-h", "127.0.0.1", "-p", port, "-t", "x", "-m", "y", NULL };
    assert_int_equal(run_tool(none, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "refused the connection"));
    const char *pw_alone[] = { "pub", "-p", port, "-t", "x", "-m", "y", "-P", "secret", NULL };
    assert_int_equal(run_tool(pw_alone, out, sizeof(out)), 2);
}

/* --pass decrypts an encrypted --key (the listener that requires client certificates); --bundle
 * verifies the broker with a bundle file that portls bundle build made. */
static void test_pass_and_bundle(void **state)
{
    (void)state;
    char port[16], out[4096];
    port_arg(port, sizeof(port), mosquitto_group.mtls_port);
    const char *with_pass[] = { "pub", "-h", "localhost", "-p", port, "-t", "x", "-m", "y", "--cafile",
                                cert_path("ca.pem"), "--cert", cert_path("client.pem"), "--key",
                                cert_path("client_enc.key"), "--pass", "secret", NULL };
    assert_int_equal(run_tool(with_pass, out, sizeof(out)), 0);
    const char *bundle = "/tmp/portls-mqtt-bundle.bin";
    const char *build[] = { PORTLS_TOOL, "bundle", "build", "-o", bundle, cert_path("ca.pem"), NULL };
    assert_int_equal(run_program(build, NULL, out, sizeof(out)), 0);
    port_arg(port, sizeof(port), mosquitto_group.tls_port);
    const char *with_bundle[] = { "pub", "-h", "localhost", "-p", port, "-t", "x", "-m", "y", "--bundle", bundle,
                                  NULL };
#ifdef CONFIG_MBEDTLS_CERTIFICATE_BUNDLE
    assert_int_equal(run_tool(with_bundle, out, sizeof(out)), 0);
#else /* an mbedTLS without the trusted-certificate callback: refused, saying why */
    assert_int_equal(run_tool(with_bundle, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "cannot use a bundle"));
#endif
    unlink(bundle);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sub_prints_messages),
        cmocka_unit_test(test_pub_over_mutual_tls),
        cmocka_unit_test(test_pub_lines_over_wss),
        cmocka_unit_test(test_failure_is_reported),
        cmocka_unit_test(test_failures_say_why),
        cmocka_unit_test(test_bundle_without_cafile),
        cmocka_unit_test(test_ipv6_host),
        cmocka_unit_test(test_example_ssl_mutual_auth),
        cmocka_unit_test(test_username_and_password),
        cmocka_unit_test(test_pass_and_bundle),
    };
    return cmocka_run_group_tests(tests, mosquitto_group_setup, mosquitto_group_teardown);
}
