/*
 * mosquitto_run: the MQTT tests' broker (mosquitto_broker.h) for the shell tests. Starts it,
 * prints its ports on one line as "tcp=N mtls=N tls=N ws=N wss=N", and on SIGTERM or SIGINT
 * stops it and removes its directory. servers.sh's start_mosquitto runs it.
 */
#include <signal.h>
#include <stdio.h>

#include "mosquitto_broker.h"

int main(void)
{
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    mosquitto_t m;
    mosquitto_start(&m); /* before the mask: the broker must keep SIGTERM deliverable */
    /* Blocked before the ports are printed, so a stop request cannot arrive unhandled; were this
     * process killed anyway, the broker would follow it (PR_SET_PDEATHSIG in peer.c). */
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    printf("tcp=%d mtls=%d tls=%d ws=%d wss=%d\n", m.tcp_port, m.mtls_port, m.tls_port, m.ws_port, m.wss_port);
    fflush(stdout);
    int sig;
    sigwait(&stop, &sig);
    mosquitto_stop(&m);
    return 0;
}
