#include "mosquitto_broker.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tls_test.h"

static void write_config(const mosquitto_t *m)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/mosquitto.conf", m->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    const char *cert = cert_path("server_ec.pem"), *key = cert_path("server_ec.key"), *ca = cert_path("ca.pem");
    /* As root, mosquitto would switch to the user "mosquitto" before loading the key. */
    /* set_tcp_nodelay: without it each CONNACK and PUBACK waits out a delayed ACK */
    fprintf(f, "%spersistence false\nper_listener_settings true\nlog_type all\nset_tcp_nodelay true\n",
            getuid() == 0 ? "user root\n" : "");
    fprintf(f, "listener %d 127.0.0.1\nallow_anonymous true\n", m->tcp_port);
    fprintf(f, "listener %d 127.0.0.1\ncertfile %s\nkeyfile %s\ncafile %s\nrequire_certificate true\n"
               "use_identity_as_username true\n", m->mtls_port, cert, key, ca);
    fprintf(f, "listener %d 127.0.0.1\ncertfile %s\nkeyfile %s\nallow_anonymous true\n", m->tls_port, cert, key);
    fprintf(f, "listener %d 127.0.0.1\nprotocol websockets\nallow_anonymous true\n", m->ws_port);
    fprintf(f, "listener %d 127.0.0.1\nprotocol websockets\ncertfile %s\nkeyfile %s\nallow_anonymous true\n",
            m->wss_port, cert, key);
    fprintf(f, "listener %d ::1\nallow_anonymous true\n", m->v6_port);
    fprintf(f, "listener %d 127.0.0.1\nallow_anonymous false\npassword_file %s/passwd\n", m->pw_port, m->dir);
    fclose(f);
    char passwd[128];
    snprintf(passwd, sizeof(passwd), "%s/passwd", m->dir);
    const char *argv[] = { "mosquitto_passwd", "-b", "-c", passwd, "portls", "secret", NULL };
    char out[512];
    assert_int_equal(run_program(argv, NULL, out, sizeof(out)), 0);
}

static void run(mosquitto_t *m)
{
    char conf[128];
    snprintf(conf, sizeof(conf), "%s/mosquitto.conf", m->dir);
    const char *argv[] = { PORTLS_MOSQUITTO, "-c", conf, NULL };
    assert_int_equal(peer_start_on(&m->peer, "127.0.0.1", m->tcp_port, argv), 0);
}

/* The listeners' ports, all different. */
static void pick_ports(mosquitto_t *m)
{
    int *ports[] = { &m->tcp_port, &m->mtls_port, &m->tls_port, &m->ws_port, &m->wss_port, &m->v6_port, &m->pw_port };
    for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
        bool taken;
        do {
            *ports[i] = peer_free_port();
            taken = false;
            for (size_t j = 0; j < i; j++) {
                taken = taken || *ports[j] == *ports[i];
            }
        } while (taken);
    }
}

void mosquitto_start(mosquitto_t *m)
{
    snprintf(m->dir, sizeof(m->dir), "/tmp/portls-mosquitto-XXXXXX");
    assert_non_null(mkdtemp(m->dir));
    pick_ports(m);
    write_config(m);
    run(m);
}

/* A paused broker would keep SIGTERM pending forever. */
static void stop_broker(mosquitto_t *m)
{
    if (m->peer.pid > 0) {
        kill(m->peer.pid, SIGCONT);
    }
    peer_stop(&m->peer);
}

void mosquitto_restart(mosquitto_t *m)
{
    stop_broker(m);
    run(m);
}

void mosquitto_pause(mosquitto_t *m, bool paused)
{
    assert_int_equal(kill(m->peer.pid, paused ? SIGSTOP : SIGCONT), 0);
}

void mosquitto_stop(mosquitto_t *m)
{
    stop_broker(m);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", m->dir);
    assert_int_equal(system(cmd), 0);
}

mosquitto_t mosquitto_group;

int mosquitto_group_setup(void **state)
{
    (void)state;
    mosquitto_start(&mosquitto_group);
    return 0;
}

int mosquitto_group_teardown(void **state)
{
    (void)state;
    mosquitto_stop(&mosquitto_group);
    return 0;
}
