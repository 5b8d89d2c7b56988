/* diagnose: session resumption in each version, with the session the first connection left. */
#include <stdio.h>

#include "diagnose_run.h"

static const char *const names[2] = { "TLS 1.3", "TLS 1.2" };
static const char *const ids[2] = { "resumption-tls1.3", "resumption-tls1.2" };

static void no_session(diag_t *d, int i)
{
    cJSON *f = diag_add(d, ids[i], DIAG_INFO);
    diag_bool(f, "resumed", false);
    diag_text(f, "saw", "%s: the server gave no session to resume (no ticket%s)", names[i],
              i == 1 ? " and no session ID" : "");
    diag_text(f, "means", "every connection is a full handshake: more time and heap each time");
}

/* Connects again offering first's session: resumed or not, the times, the ticket lifetime. */
static void resume(diag_t *d, const diag_opts_t *o, const diag_run_t *first, int i, long lifetime)
{
    diag_run_t again;
    diag_run(o, first->ver, first->session, DIAG_RUN_HANDSHAKE, &again);
    double full_ms = (double)first->timing.handshake_us / 1000.0;
    double resumed_ms = (double)again.timing.handshake_us / 1000.0;
    cJSON *f = diag_add(d, ids[i], DIAG_INFO);
    diag_bool(f, "resumed", again.resumed);
    diag_number(f, "ticket_lifetime", (double)lifetime);
    diag_number(f, "full_handshake_ms", full_ms);
    diag_number(f, "resumed_handshake_ms", resumed_ms);
    char life[80] = "";
    if (lifetime >= 0) {
        snprintf(life, sizeof(life), "; tickets live %ld s (probed with libssl)", lifetime);
    }
    diag_text(f, "saw", "%s: the session %s (handshake %.2f ms, then %.2f ms)%s", names[i],
              again.resumed ? "resumes" : "was offered again but the server made a full handshake", full_ms,
              resumed_ms, life);
    if (again.resumed) {
        diag_text(f, "means", "a device that keeps the session (esp_tls_get_client_session(), "
                              "esp_tls_cfg_t.client_session, CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS=y) reconnects "
                              "without the certificate exchange");
    }
    esp_tls_free_client_session(again.session);
}

void diag_tls_resumption(diag_t *d, const diag_opts_t *o, const diag_run_t runs[2], const long ticket_lifetime[2])
{
    for (int i = 0; i < 2; i++) {
        if (!runs[i].connected || runs[i].refused_after) {
            continue;
        }
        if (runs[i].session == NULL) {
            no_session(d, i);
        } else {
            resume(d, o, &runs[i], i, ticket_lifetime[i]);
        }
    }
}
