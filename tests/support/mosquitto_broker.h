/*
 * The mosquitto broker for the MQTT tests: a generated configuration in a scratch directory,
 * loopback ports chosen at start, run in the foreground as a child. Listeners:
 *   tcp_port   MQTT, anonymous
 *   mtls_port  MQTT over TLS; a client certificate signed by the test CA is required and its CN
 *              is the username (require_certificate, use_identity_as_username)
 *   tls_port   MQTT over TLS, anonymous
 *   ws_port    MQTT over WebSocket, anonymous
 *   wss_port   MQTT over secure WebSocket, anonymous
 *   v6_port    MQTT on [::1], anonymous
 *   pw_port    MQTT, user "portls" with password "secret" only (password_file)
 * The server certificate is the test PKI's server_ec (localhost, 127.0.0.1).
 */
#pragma once

#include <stdbool.h>

#include "peer.h"

typedef struct {
    peer_t peer;
    int tcp_port, mtls_port, tls_port, ws_port, wss_port, v6_port, pw_port;
    char dir[64];
} mosquitto_t;

/* Writes the configuration and starts the broker (asserted). */
void mosquitto_start(mosquitto_t *m);

/* Stops the broker (its state is lost: no persistence) and removes its directory. */
void mosquitto_stop(mosquitto_t *m);

/* Stops the broker and starts it again on the same ports. */
void mosquitto_restart(mosquitto_t *m);

/* Freezes (SIGSTOP) or thaws (SIGCONT) the broker: its sockets stay open, nothing answers. */
void mosquitto_pause(mosquitto_t *m, bool paused);

/* cmocka group fixtures for a test program that shares one broker: mosquitto_group. */
extern mosquitto_t mosquitto_group;
int mosquitto_group_setup(void **state);
int mosquitto_group_teardown(void **state);
