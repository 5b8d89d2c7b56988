/* portls mqtt sub|pub: the esp-mqtt client with mosquitto_sub's and mosquitto_pub's flags. */
#include <pthread.h>
#include <signal.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "commands.h"
#include "esp_crt_bundle.h"
#include "esp_deadline.h"
#include "esp_url.h"
#include "mbedtls/ssl.h"
#include "mqtt_client.h"
#include "report.h"

#define MAX_TOPICS 16
#define SIGNAL_CHECK_MS 200 /* a wait looks at least this often whether it was interrupted */

typedef struct {
    bool publish;
    const char *host, *url, *message, *cafile, *bundle, *cert, *key, *pass, *id, *will_topic, *will_payload;
    const char *username, *password;
    const char *topics[MAX_TOPICS];
    int topic_count, port, qos, count, keepalive;
    bool retain, lines, verbose, tls;
    cert_file_t ca_file, cert_file, key_file, bundle_file;
    cli_trust_t trust;
    /* what the client's thread reports */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool connected, failed;
    int received, published;
    int sent; /* by pub, on the main thread */
} mqtt_opts_t;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int usage(FILE *out)
{
    fputs("usage: portls mqtt sub [-h HOST] [-p PORT | --url URL] -t TOPIC... [-q QOS] [-C COUNT] [-v]\n"
          "                       [-u USER [-P PASSWORD]] [--cafile FILE | --bundle FILE]\n"
          "                       [--cert FILE --key FILE [--pass PW]] [-i ID] [-k SECONDS]\n"
          "                       [--will-topic TOPIC --will-payload TEXT]\n"
          "       portls mqtt pub [-h HOST] [-p PORT | --url URL] -t TOPIC (-m MESSAGE | -l) [-q QOS] [-r] ...\n"
          "MQTT 3.1.1 with the esp-mqtt client, as mosquitto_sub and mosquitto_pub take these flags: sub\n"
          "prints each message (-v: with its topic) until COUNT messages came or it is interrupted; pub\n"
          "sends MESSAGE, or each line of stdin (-l), and waits for QoS 1/2 acknowledgements. -u and -P\n"
          "are the user name and password of the CONNECT. --cafile, --bundle or --cert makes it MQTT over\n"
          "TLS (port 8883 by default); --url takes mqtt://, mqtts://, ws:// or wss://. Over TLS the\n"
          "broker is verified with --cafile, --bundle (a bundle file, portls bundle build), or else the\n"
          "built-in bundle (a build without one: the system's trust store); --pass decrypts --key.\n"
          "Exit status: 0 done, 1 the connection failed or a topic was refused (the reason on stderr),\n"
          "2 bad usage.\n",
          out);
    return out == stdout ? 0 : 2;
}

enum { OPT_CAFILE = 256, OPT_BUNDLE, OPT_CERT, OPT_KEY, OPT_PASS, OPT_URL, OPT_WILL_TOPIC, OPT_WILL_PAYLOAD, OPT_HELP };

static const struct option long_options[] = {
    { "host", required_argument, NULL, 'h' },      { "port", required_argument, NULL, 'p' },
    { "topic", required_argument, NULL, 't' },     { "message", required_argument, NULL, 'm' },
    { "qos", required_argument, NULL, 'q' },       { "retain", no_argument, NULL, 'r' },
    { "count", required_argument, NULL, 'C' },     { "id", required_argument, NULL, 'i' },
    { "keepalive", required_argument, NULL, 'k' }, { "stdin-line", no_argument, NULL, 'l' },
    { "verbose", no_argument, NULL, 'v' },         { "username", required_argument, NULL, 'u' },
    { "pw", required_argument, NULL, 'P' },        { "cafile", required_argument, NULL, OPT_CAFILE },
    { "bundle", required_argument, NULL, OPT_BUNDLE },
    { "cert", required_argument, NULL, OPT_CERT }, { "key", required_argument, NULL, OPT_KEY },
    { "pass", required_argument, NULL, OPT_PASS },
    { "url", required_argument, NULL, OPT_URL },   { "will-topic", required_argument, NULL, OPT_WILL_TOPIC },
    { "will-payload", required_argument, NULL, OPT_WILL_PAYLOAD }, { "help", no_argument, NULL, OPT_HELP },
    { 0 },
};

static int add_topic(void *ctx, char *arg)
{
    mqtt_opts_t *o = ctx;
    if (o->topic_count == MAX_TOPICS) {
        fprintf(stderr, "portls mqtt: at most %d topics\n", MAX_TOPICS);
        return 3;
    }
    o->topics[o->topic_count++] = arg;
    return 0;
}

#define FIELD(name) offsetof(mqtt_opts_t, name)
static const cli_field_t fields[] = {
    CLI_FIELD('h', CLI_TEXT, FIELD(host)),
    CLI_NUMBER('p', CLI_INT, FIELD(port), 1, 65535),
    CLI_FN('t', add_topic),
    CLI_FIELD('m', CLI_TEXT, FIELD(message)),
    CLI_NUMBER('q', CLI_INT, FIELD(qos), 0, 2),
    CLI_FIELD('r', CLI_TRUE, FIELD(retain)),
    CLI_NUMBER('C', CLI_INT, FIELD(count), 1, INT_MAX),
    CLI_FIELD('i', CLI_TEXT, FIELD(id)),
    CLI_NUMBER('k', CLI_INT, FIELD(keepalive), 0, 65535),
    CLI_FIELD('l', CLI_TRUE, FIELD(lines)),
    CLI_FIELD('v', CLI_TRUE, FIELD(verbose)),
    CLI_FIELD('u', CLI_TEXT, FIELD(username)),
    CLI_FIELD('P', CLI_TEXT, FIELD(password)),
    CLI_FIELD(OPT_CAFILE, CLI_TEXT, FIELD(cafile)),
    CLI_FIELD(OPT_BUNDLE, CLI_TEXT, FIELD(bundle)),
    CLI_FIELD(OPT_CERT, CLI_TEXT, FIELD(cert)),
    CLI_FIELD(OPT_KEY, CLI_TEXT, FIELD(key)),
    CLI_FIELD(OPT_PASS, CLI_TEXT, FIELD(pass)),
    CLI_FIELD(OPT_URL, CLI_TEXT, FIELD(url)),
    CLI_FIELD(OPT_WILL_TOPIC, CLI_TEXT, FIELD(will_topic)),
    CLI_FIELD(OPT_WILL_PAYLOAD, CLI_TEXT, FIELD(will_payload)),
    CLI_HELP_ROW(OPT_HELP),
    CLI_END,
};

static const cli_spec_t spec = { "mqtt", "h:p:t:m:q:rC:i:k:lvu:P:", long_options, fields, usage };

static bool valid(const mqtt_opts_t *o)
{
    bool one_message = o->publish ? (o->message != NULL) != o->lines && o->topic_count == 1 : o->topic_count > 0;
    return one_message && (o->cert == NULL) == (o->key == NULL) && (o->password == NULL || o->username != NULL);
}

/* ---- events, from the client's thread ---- */

/* Whether the broker ended the connection before its CONNACK: a close, a reset or a TLS alert. */
static bool ended_by_broker(const esp_mqtt_error_codes_t *e)
{
    esp_err_t err = e->esp_tls_last_esp_err;
    return err == ESP_ERR_ESP_TLS_TCP_CLOSED_FIN || err == ESP_ERR_TCP_TRANSPORT_CONNECTION_FAILED ||
           e->esp_tls_stack_err == -MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE; /* ESP-TLS keeps it positive */
}

/* What a transport failure means, in a sentence. */
static const char *transport_failure(const mqtt_opts_t *o, const esp_mqtt_error_codes_t *e)
{
    if (o->connected) {
        return "the connection to the broker was lost";
    }
    if (e->esp_tls_cert_verify_flags != 0) {
        return "the broker's certificate did not verify (--cafile names the CA that signed it)";
    }
    if (e->esp_tls_last_esp_err == ESP_ERR_ESP_TLS_CONNECTION_TIMEOUT) {
        return "the broker did not answer in time";
    }
    if (e->esp_tls_last_esp_err == ESP_ERR_INVALID_RESPONSE) {
        return o->tls ? "the broker's answer is not MQTT"
                      : "the broker's answer is not MQTT: a TLS listener answers plain MQTT so (use --cafile, "
                        "or an mqtts:// or wss:// URL)";
    }
    if (!ended_by_broker(e)) {
        return "connecting to the broker failed";
    }
    return o->tls ? "the broker ended the connection before accepting it: a broker that requires a client "
                    "certificate does this to a client without one it trusts (--cert, --key)"
                  : "the broker ended the connection before accepting it: a TLS listener does this to plain "
                    "MQTT (use --cafile, or an mqtts:// or wss:// URL)";
}

static void print_error(const mqtt_opts_t *o, const esp_mqtt_error_codes_t *e)
{
    static const char *const refusals[] = { "", "unacceptable protocol version", "identifier rejected",
                                            "server unavailable", "bad user name or password", "not authorized" };
    int code = e->connect_return_code;
    if (e->error_type == MQTT_ERROR_TYPE_CONNECTION_REFUSED) {
        fprintf(stderr, "portls mqtt: the broker refused the connection: %s (CONNACK return code %d)\n",
                code >= 1 && code <= 5 ? refusals[code] : "a reason MQTT 3.1.1 does not name", code);
    } else if (e->error_type == MQTT_ERROR_TYPE_TCP_TRANSPORT) {
        fprintf(stderr, "portls mqtt: %s\n", transport_failure(o, e));
        report_error_codes(stderr, e->esp_tls_last_esp_err, e->esp_tls_stack_err, -1, e->esp_tls_cert_verify_flags,
                           e->esp_transport_sock_errno);
    }
}

/* A piece of a message: printed as it comes, the topic first with -v, a newline at its end. */
static void print_data(mqtt_opts_t *o, const esp_mqtt_event_t *ev)
{
    if (ev->current_data_offset == 0 && o->verbose) {
        printf("%.*s ", ev->topic_len, ev->topic);
    }
    fwrite(ev->data, 1, (size_t)ev->data_len, stdout);
    if (ev->current_data_offset + ev->data_len == ev->total_data_len) {
        putchar('\n');
        fflush(stdout);
        o->received++;
    }
}

/* Subscribes to every topic; a filter the client refuses ends the program (the broker would
 * close the connection over it, again after each reconnect). */
static void on_connected(mqtt_opts_t *o, esp_mqtt_client_handle_t client)
{
    o->connected = true;
    for (int i = 0; !o->publish && i < o->topic_count && !o->failed; i++) {
        if (esp_mqtt_client_subscribe(client, o->topics[i], o->qos) < 0) {
            fprintf(stderr, "portls mqtt: cannot subscribe to \"%s\": not a valid topic filter (\"+\" fills a "
                            "whole level, \"#\" only the last one)\n", o->topics[i]);
            o->failed = true;
        }
    }
}

static void on_event(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)base;
    mqtt_opts_t *o = arg;
    esp_mqtt_event_handle_t ev = data;
    pthread_mutex_lock(&o->lock);
    switch (id) {
    case MQTT_EVENT_CONNECTED: on_connected(o, ev->client); break;
    case MQTT_EVENT_SUBSCRIBED: fprintf(stderr, "portls mqtt: subscribed (msg_id %d)\n", ev->msg_id); break;
    case MQTT_EVENT_DATA: print_data(o, ev); break;
    case MQTT_EVENT_PUBLISHED: o->published++; break;
    case MQTT_EVENT_ERROR:
        print_error(o, ev->error_handle);
        o->failed = o->failed || !o->connected; /* before a connection: give up; after: it reconnects */
        break;
    default: break;
    }
    pthread_cond_broadcast(&o->changed);
    pthread_mutex_unlock(&o->lock);
}

/* ---- the client ---- */

static bool url_is_tls(const char *url)
{
    return strncasecmp(url, "mqtts://", 8) == 0 || strncasecmp(url, "wss://", 6) == 0;
}

/* -h and -p as a URI, mqtts when o->tls (--cafile or --cert); an IPv6 literal goes in brackets.
 * @return false when it does not fit in len. */
static bool host_uri(const mqtt_opts_t *o, char *uri, size_t len)
{
    int n = snprintf(uri, len, "%s://", o->tls ? "mqtts" : "mqtt");
    int port = o->port > 0 ? o->port : o->tls ? 8883 : 1883;
    int host_len = esp_url_format_host(uri + n, len - (size_t)n, o->host, port);
    return host_len >= 0 && (size_t)(n + host_len) < len;
}

static esp_mqtt_client_config_t config_of(const mqtt_opts_t *o, const char *uri)
{
    esp_mqtt_client_config_t cfg = {
        .broker.address.uri = uri,
        .broker.verification.certificate = (const char *)o->ca_file.data,
        .credentials.client_id = o->id,
        .credentials.username = o->username,
        .credentials.authentication.password = o->password,
        .credentials.authentication.certificate = (const char *)o->cert_file.data,
        .credentials.authentication.key = (const char *)o->key_file.data,
        .credentials.authentication.key_password = o->pass,
        .credentials.authentication.key_password_len = o->pass != NULL ? (int)strlen(o->pass) : 0,
        .session.keepalive = o->keepalive,
        .session.last_will = { .topic = o->will_topic, .msg = o->will_payload, .qos = o->qos },
    };
    if (o->ca_file.data == NULL) {
        cfg.broker.verification.crt_bundle_attach = esp_crt_bundle_attach; /* built in, or --bundle's */
    }
    return cfg;
}

/* Waits (interruptibly) until done(o) or the connection failed. @return false if it failed. */
static bool wait_until(mqtt_opts_t *o, bool (*done)(const mqtt_opts_t *))
{
    pthread_mutex_lock(&o->lock);
    while (!done(o) && !o->failed && !interrupted) {
        esp_deadline_cond_wait(&o->changed, &o->lock, esp_deadline_in_ms(SIGNAL_CHECK_MS));
    }
    bool ok = !o->failed;
    pthread_mutex_unlock(&o->lock);
    return ok;
}

static bool is_connected(const mqtt_opts_t *o)
{
    return o->connected;
}

static bool got_all(const mqtt_opts_t *o)
{
    return o->count > 0 && o->received >= o->count;
}

static bool all_acknowledged(const mqtt_opts_t *o)
{
    return o->qos == 0 || o->published >= o->sent;
}

static bool publish_one(mqtt_opts_t *o, esp_mqtt_client_handle_t client, const char *text)
{
    int rc = esp_mqtt_client_publish(client, o->topics[0], text, (int)strlen(text), o->qos, o->retain);
    if (rc < 0) {
        fprintf(stderr, "portls mqtt: publishing to \"%s\" failed: %s\n", o->topics[0],
                rc == -2 ? "the outbox is full" : "not a valid topic name (no + or #), or the connection is gone");
        return false;
    }
    o->sent++;
    return true;
}

/* -m, or every line of stdin (-l), then the acknowledgements. */
static bool publish_all(mqtt_opts_t *o, esp_mqtt_client_handle_t client)
{
    if (!o->lines) {
        return publish_one(o, client, o->message) && wait_until(o, all_acknowledged);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    bool ok = true;
    while (ok && !interrupted && (n = getline(&line, &cap, stdin)) >= 0) {
        line[n > 0 && line[n - 1] == '\n' ? n - 1 : n] = '\0';
        ok = publish_one(o, client, line);
    }
    free(line);
    return ok && wait_until(o, all_acknowledged);
}

static int run(mqtt_opts_t *o)
{
    char uri[300];
    if (o->url == NULL && !host_uri(o, uri, sizeof(uri))) {
        fprintf(stderr, "portls mqtt: the host name is too long\n");
        return 1;
    }
    esp_mqtt_client_config_t cfg = config_of(o, o->url != NULL ? o->url : uri);
    esp_mqtt_client_handle_t client = esp_mqtt_client_init(&cfg);
    if (client == NULL) {
        fprintf(stderr, "portls mqtt: cannot use that broker address or configuration\n");
        return 1;
    }
    esp_mqtt_client_register_event(client, MQTT_EVENT_ANY, on_event, o);
    bool ok = esp_mqtt_client_start(client) == ESP_OK && wait_until(o, is_connected);
    if (ok && o->publish) {
        ok = publish_all(o, client);
    } else if (ok) {
        ok = wait_until(o, got_all);
    }
    esp_mqtt_client_destroy(client); /* a clean DISCONNECT: no last will */
    return ok ? 0 : 1;
}

/* The files the options name. Without --cafile or --bundle, TLS is verified as portls connect
 * and get do it: with the built-in bundle, or the system's trust store in a build without one
 * (config_of() attaches a bundle when no CA file was read). @return 0, or -1 (said why). */
static int load_trust(mqtt_opts_t *o)
{
    if (!o->tls) {
        return 0;
    }
    if (o->trust.kind == CLI_TRUST_BUNDLE) {
        return cli_use_bundle("mqtt", o->bundle, &o->bundle_file);
    }
    bool file = o->trust.kind == CLI_TRUST_CACERT || o->trust.kind == CLI_TRUST_SYSTEM;
    return file ? cli_load("mqtt", o->trust.path, &o->ca_file) : 0;
}

static int load_files(mqtt_opts_t *o)
{
    if (load_trust(o) != 0) {
        return -1;
    }
    if (cli_load("mqtt", o->cert, &o->cert_file) != 0) {
        return -1;
    }
    return cli_load("mqtt", o->key, &o->key_file);
}

/* MQTT over TLS: an mqtts:// or wss:// URL, or (with -h) any of the TLS options. */
static bool wants_tls(const mqtt_opts_t *o)
{
    if (o->url != NULL) {
        return url_is_tls(o->url);
    }
    return o->cafile != NULL || o->bundle != NULL || o->cert != NULL;
}

/* argv[1], sub or pub. @return -1 for one of them, or the exit status (usage). */
static int subcommand(int argc, char **argv, mqtt_opts_t *o)
{
    if (argc >= 2 && (strcmp(argv[1], "sub") == 0 || strcmp(argv[1], "pub") == 0)) {
        o->publish = strcmp(argv[1], "pub") == 0;
        return -1;
    }
    return argc >= 2 && strcmp(argv[1], "--help") == 0 ? usage(stdout) : usage(stderr);
}

/* sub or pub, then the options. @return -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, mqtt_opts_t *o)
{
    int rc = subcommand(argc, argv, o);
    if (rc >= 0) {
        return rc;
    }
    rc = cli_parse_fields(argc - 1, argv + 1, &spec, o);
    if (rc != 0) {
        return rc - 1;
    }
    if (optind != argc - 1 || !valid(o)) {
        return usage(stderr);
    }
    if (cli_trust_of("mqtt", o->cafile, NULL, o->bundle, &o->trust) != 0) {
        return 2;
    }
    o->tls = wants_tls(o);
    return -1;
}

static void free_files(mqtt_opts_t *o)
{
    cert_file_free(&o->ca_file);
    cert_file_free(&o->cert_file);
    cert_file_free(&o->key_file);
    cert_file_free(&o->bundle_file);
}

int cmd_mqtt(int argc, char **argv)
{
    mqtt_opts_t o = { .host = "localhost", .lock = PTHREAD_MUTEX_INITIALIZER };
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0) {
        return rc;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    rc = 1;
    if (load_files(&o) == 0 && esp_deadline_cond_init(&o.changed) == 0) {
        rc = run(&o);
        pthread_cond_destroy(&o.changed);
    }
    free_files(&o);
    return rc;
}
