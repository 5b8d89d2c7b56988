/* diagnose: the TLS checks. Each version through esp_tls, then findings on the versions, the
 * records, the chain, client authentication, memory, resumption and ALPN. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "diagnose_chain.h"
#include "diagnose_probe.h"
#include "diagnose_run.h"
#include "mbedtls/error.h"

#define MFL_LEN 4096
#define ALERT_HANDSHAKE_FAILURE 40
#define ALERT_BAD_CERTIFICATE 42
#define ALERT_UNKNOWN_CA 48
#define ALERT_DECRYPT_ERROR 51
#define ALERT_PROTOCOL_VERSION 70
#define ALERT_CERTIFICATE_REQUIRED 116

typedef struct {
    diag_run_t run[2]; /* [0] TLS 1.3, [1] TLS 1.2 */
    diag_probe_t probe;
    const diag_run_t *best; /* the connection a device makes: the highest version that connected */
} tls_state_t;

static const char *const ver_ids[2] = { "tls1.3", "tls1.2" };
static const char *const ver_names[2] = { "TLS 1.3", "TLS 1.2" };

/* Why a run failed, in words: the alert, else mbedTLS's text. */
static void why(const diag_run_t *r, char *out, size_t len)
{
    char text[160];
    mbedtls_strerror(-r->code, text, sizeof(text));
    if (r->alert > 0) {
        snprintf(out, len, "the server sent the alert %s (%d)", esp_tls_alert_name(r->alert), r->alert);
    } else if (r->code != 0) {
        snprintf(out, len, "%s, -0x%04X %s", esp_err_to_name(r->err), (unsigned)r->code, text);
    } else {
        snprintf(out, len, "%s", esp_err_to_name(r->err));
    }
}

static void version_finding(diag_t *d, const diag_run_t *r, int i, bool other_accepted)
{
    cJSON *f;
    bool accepted = diag_run_version_accepted(r);
    if (r->connected) {
        f = diag_add(d, ver_ids[i], DIAG_OK);
        diag_text(f, "saw", "%s accepted: %s", ver_names[i], r->suite);
        diag_string(f, "suite", r->suite);
        diag_string(f, "group", "not measured");
    } else if (accepted) {
        char w[256];
        why(r, w, sizeof(w));
        f = diag_add(d, ver_ids[i], DIAG_INFO);
        diag_text(f, "saw", "%s accepted, but the handshake then failed: %s (see below)", ver_names[i], w);
    } else {
        char w[256];
        why(r, w, sizeof(w));
        f = diag_add(d, ver_ids[i], DIAG_INFO);
        diag_text(f, "saw", "%s not accepted: %s", ver_names[i], w);
        diag_text(f, "means", "%s", i == 0 ? "a device negotiates TLS 1.2 with this server, if that works"
                                   : other_accepted ? "a device needs TLS 1.3 (CONFIG_MBEDTLS_SSL_PROTO_TLS1_3=y) here"
                                                    : "and neither is TLS 1.3: see the legacy finding");
    }
    diag_bool(f, "accepted", accepted);
    diag_bool(f, "connected", r->connected);
}

/* "TLS 1.0", "TLS 1.1" or "TLS 1.0 and TLS 1.1": what the legacy probes found. */
static const char *legacy_names(const diag_probe_t *p)
{
    static const char *const names[4] = { "", "TLS 1.0", "TLS 1.1", "TLS 1.0 and TLS 1.1" };
    return names[(p->legacy[0] ? 1 : 0) + (p->legacy[1] ? 2 : 0)];
}

/* The suite of the oldest version the server took. */
static const char *legacy_suite(const diag_probe_t *p)
{
    return p->legacy[0] ? p->legacy_suite[0] : p->legacy_suite[1];
}

static void legacy_finding(diag_t *d, const tls_state_t *s)
{
    bool any = s->probe.legacy[0] || s->probe.legacy[1];
    bool modern = diag_run_version_accepted(&s->run[0]) || diag_run_version_accepted(&s->run[1]);
    cJSON *f = diag_add(d, "legacy", any && !modern ? DIAG_FAIL : DIAG_INFO);
    diag_bool(f, "tls1.0", s->probe.legacy[0]);
    diag_bool(f, "tls1.1", s->probe.legacy[1]);
    if (!any) {
        diag_text(f, "saw", "TLS 1.0 and TLS 1.1 refused (probed with OpenSSL's libssl)");
        return;
    }
    diag_string(f, "tls1.0_suite", s->probe.legacy_suite[0]);
    diag_string(f, "tls1.1_suite", s->probe.legacy_suite[1]);
    diag_text(f, "saw", "the server speaks %s%s, with %s (probed with OpenSSL's libssl)", modern ? "" : "only ",
              legacy_names(&s->probe), legacy_suite(&s->probe));
    if (modern) {
        diag_text(f, "means", "harmless for the device, which never offers them");
        return;
    }
    diag_text(f, "means", "the server speaks only versions the device cannot: ESP-TLS (mbedTLS 3.6) has TLS 1.2 "
                          "and TLS 1.3 only, and no option brings the old ones back");
    diag_text(f, "fix", "upgrade the server to TLS 1.2 or 1.3 (nginx: ssl_protocols TLSv1.2 TLSv1.3;); nothing "
                        "on the device can fix it");
}

/* A server that answered with something other than TLS. @return whether it did. */
static bool not_tls_finding(diag_t *d, const tls_state_t *s)
{
    const diag_run_t *r = &s->run[1];
    if (r->rec.problem != ESP_TLS_RECORD_NOT_TLS && s->run[0].rec.problem != ESP_TLS_RECORD_NOT_TLS) {
        return false;
    }
    cJSON *f = diag_add(d, "not-tls", DIAG_FAIL);
    diag_text(f, "saw", "the server does not speak TLS on this port: it answered with bytes that are no TLS record "
                        "(\"%c...\")", r->rec.content_type);
    diag_text(f, "means", "the device fails with -0x7200 (MBEDTLS_ERR_SSL_INVALID_RECORD) in the handshake");
    diag_text(f, "fix", "use the server's TLS port (https on 443, MQTT over TLS on 8883), or connect without TLS "
                        "(esp_tls_cfg_t.is_plain_tcp, an http:// or mqtt:// URI)");
    return true;
}

/* The smallest of ESP-IDF's usual input buffer sizes that holds len bytes of plaintext. */
static int in_len_for(size_t len)
{
    return len <= 4096 ? 4096 : len <= 8192 ? 8192 : 16384;
}

/* With a CA of the user's: whether the built-in bundle would verify the server as well, so the
 * device could do without that CA. */
static void bundle_finding(diag_t *d, const diag_opts_t *o)
{
    if ((o->cacert == NULL && o->capath == NULL) || cli_default_ca_file() != NULL) {
        return; /* the runs used the bundle already, or the build has none */
    }
    diag_opts_t with_bundle = *o;
    with_bundle.cacert = NULL;
    with_bundle.capath = NULL;
    with_bundle.ca_file = (cert_file_t){ 0 };
    diag_run_t r;
    diag_run(&with_bundle, ESP_TLS_VER_ANY, NULL, DIAG_RUN_HANDSHAKE, &r);
    cJSON *f = diag_add(d, "chain-bundle", DIAG_INFO);
    diag_bool(f, "verified", r.connected);
    diag_number(f, "flags", r.flags);
    if (r.connected) {
        diag_text(f, "saw", "the built-in certificate bundle verifies the server too");
        diag_text(f, "means", "the device can use esp_crt_bundle_attach instead of its own CA copy");
    } else if (r.flags != 0) {
        diag_text(f, "saw", "the built-in certificate bundle does not verify the server (verify flags 0x%x)",
                  (unsigned)r.flags);
        diag_text(f, "means", "the device needs the CA it was given (cacert_buf), or that CA added to its bundle "
                              "(CONFIG_MBEDTLS_CUSTOM_CERTIFICATE_BUNDLE_PATH)");
    } else {
        diag_text(f, "saw", "not measured: the handshake with the built-in bundle failed before verification");
    }
}

/* What the max_fragment_length probe (OpenSSL, TLS 1.2) saw, in words. */
static void mfl_text(const diag_probe_t *p, char *out, size_t len)
{
    if (!p->mfl_acked) {
        snprintf(out, len, "TLS 1.2 max_fragment_length 4096: not taken by the server (probed with libssl)");
    } else if (p->mfl_largest == 0) {
        snprintf(out, len, "TLS 1.2 max_fragment_length 4096: taken by the server; it answered with no records to "
                           "measure (probed with libssl)");
    } else {
        snprintf(out, len, "TLS 1.2 max_fragment_length 4096: taken by the server, which then sent records of up to "
                           "%zu bytes (probed with libssl)", p->mfl_largest);
    }
}

static void mfl_data(cJSON *f, const diag_probe_t *p)
{
    const char *verdict = !p->mfl_acked ? "refused" : p->mfl_largest <= MFL_LEN + 256 ? "honoured" : "ignored";
    diag_string(f, "max_fragment_length", verdict);
    diag_number(f, "max_fragment_length_largest_record", (double)p->mfl_largest);
}

/* The fewest bytes a record of this connection adds to its content: the AEAD tag, TLS 1.2's
 * explicit nonce, TLS 1.3's inner content type. Dividing by the fewest, the content found is the
 * most the server can have put in the record, so the buffer size derived from it is safe. */
static size_t least_overhead(const diag_run_t *r)
{
    bool tls13 = strcmp(r->version, "TLSv1.3") == 0;
    bool ccm8 = strstr(r->suite, "CCM-8") != NULL || strstr(r->suite, "CCM_8") != NULL;
    size_t tag = ccm8 ? 8 : 16;
    if (tls13) {
        return tag + 1;
    }
    if (strstr(r->suite, "GCM") != NULL || strstr(r->suite, "CCM") != NULL) {
        return tag + 8;
    }
    if (strstr(r->suite, "CHACHA20") != NULL) {
        return tag;
    }
    return r->expansion > 5 ? (size_t)r->expansion - 5 : 0; /* CBC: mbedTLS's estimate, less the header */
}

/* What the TLS 1.3 run showed of record_size_limit (RFC 8449): the client sends this build's
 * CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN as its limit; a server that knows the extension answers with
 * its own in its EncryptedExtensions and keeps its records within the client's. */
typedef enum { RSL_NOT_SENT, RSL_NO_TLS13, RSL_IGNORED, RSL_EXCEEDED, RSL_HONOURED } rsl_verdict_t;

static const char *const rsl_names[] = {
    [RSL_NOT_SENT] = "not sent", [RSL_NO_TLS13] = "not measured", [RSL_IGNORED] = "ignored",
    [RSL_EXCEEDED] = "exceeded", [RSL_HONOURED] = "honoured",
};

typedef struct {
    rsl_verdict_t verdict;
    size_t largest; /* the largest record of the TLS 1.3 run, its header's length */
} rsl_t;

/* The limit bounds a record's plaintext, content type and padding included: the record less its
 * AEAD tag, which is the least overhead less the content type. */
static rsl_t rsl_assess(const diag_run_t *r13)
{
    rsl_t a = { .verdict = RSL_NO_TLS13 };
    if (!r13->connected) {
        return a;
    }
    const esp_tls_record_sizes_t *z = &r13->sizes;
    a.largest = z->handshake > z->after_handshake ? z->handshake : z->after_handshake;
    size_t tag = least_overhead(r13) - 1;
    if (!r13->rsl_known) {
        a.verdict = RSL_NOT_SENT;
    } else if (r13->rsl_server == 0) {
        a.verdict = RSL_IGNORED;
    } else {
        a.verdict = a.largest <= CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN + tag ? RSL_HONOURED : RSL_EXCEEDED;
    }
    return a;
}

static void rsl_text(const rsl_t *a, const diag_run_t *r13, char *out, size_t len)
{
    const int limit = CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN;
    switch (a->verdict) {
    case RSL_NOT_SENT:
        snprintf(out, len, "TLS 1.3 record_size_limit: not sent (this build has "
                           "CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT off)");
        break;
    case RSL_NO_TLS13:
        snprintf(out, len, "TLS 1.3 record_size_limit: not measured (no TLS 1.3 connection)");
        break;
    case RSL_IGNORED:
        snprintf(out, len, "TLS 1.3 record_size_limit %d: not acknowledged by the server, which sent records of up "
                           "to %zu bytes", limit, a->largest);
        break;
    case RSL_EXCEEDED:
        snprintf(out, len, "TLS 1.3 record_size_limit %d: acknowledged by the server (its own limit %zu), which then "
                           "sent records of up to %zu bytes, over it", limit, r13->rsl_server, a->largest);
        break;
    case RSL_HONOURED:
        snprintf(out, len, "TLS 1.3 record_size_limit %d: acknowledged by the server (its own limit %zu), which kept "
                           "its records within it (up to %zu bytes)", limit, r13->rsl_server, a->largest);
        break;
    }
}

static void rsl_data(cJSON *f, const rsl_t *a, const diag_run_t *r13)
{
    diag_string(f, "record_size_limit", rsl_names[a->verdict]);
    diag_number(f, "record_size_limit_sent", r13->rsl_known ? CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN : 0);
    diag_bool(f, "record_size_limit_acknowledged", r13->rsl_known && r13->rsl_server > 0);
    diag_number(f, "record_size_limit_server", r13->rsl_known ? (double)r13->rsl_server : 0);
    diag_number(f, "record_size_limit_largest_record", (double)a->largest);
}

/* What record_size_limit did for the records seen, as the end of a "means" text. */
static const char *rsl_clause(rsl_verdict_t v)
{
    static const char *const clauses[] = {
        [RSL_NOT_SENT] = "record_size_limit was not tried: this build does not send it",
        [RSL_NO_TLS13] = "record_size_limit (TLS 1.3) was not measured",
        [RSL_IGNORED] = "the server ignores record_size_limit, so it cannot help",
        [RSL_EXCEEDED] = "the server acknowledges record_size_limit but does not keep to it",
        [RSL_HONOURED] = "",
    };
    return clauses[v];
}

/* The means and fix of the records finding. kept: the device's connection is TLS 1.3 to a server
 * that keeps to record_size_limit, so only the handshake's records (need) bound its buffer. */
static void records_advice(cJSON *f, size_t need, bool kept, rsl_verdict_t v)
{
    int len = in_len_for(need);
    if (kept) {
        diag_text(f, "means", "in TLS 1.3 this server keeps its records within the record_size_limit a "
                              "device sends (its CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN, with "
                              "CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT=y): an input buffer of %d bytes, which holds "
                              "the handshake's records, reads any answer", len);
        diag_text(f, "fix", "CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT=y and CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN=%d", len);
        return;
    }
    if (need > 4096) {
        diag_text(f, "means", "a device with CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN below %zu fails with -0x7200 "
                              "(MBEDTLS_ERR_SSL_INVALID_RECORD) on this server; this build has %d; %s", need,
                  CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN, rsl_clause(v));
    } else {
        diag_text(f, "means", "a 4 KiB input buffer holds every record seen; a larger answer may come in larger "
                              "records unless the server keeps them small (%s)", rsl_clause(v));
    }
    diag_text(f, "fix", "CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN=%d", len);
}

/* r: the connection a device makes; r13: the TLS 1.3 run, which shows record_size_limit. */
static void records_finding(diag_t *d, const diag_run_t *r, const diag_run_t *r13, const diag_probe_t *probe)
{
    size_t exp = least_overhead(r);
    bool tls13 = strcmp(r->version, "TLSv1.3") == 0;
    size_t hs = r->sizes.handshake > exp && tls13 ? r->sizes.handshake - exp : r->sizes.handshake;
    size_t after = r->sizes.after_handshake > exp ? r->sizes.after_handshake - exp : 0;
    size_t seen = hs > after ? hs : after;
    rsl_t rsl = rsl_assess(r13);
    bool kept = rsl.verdict == RSL_HONOURED && r == r13;
    size_t need = kept ? hs : seen;
    cJSON *f = diag_add(d, "records", need > 4096 ? DIAG_WARN : DIAG_OK);
    diag_number(f, "largest_handshake_record", (double)r->sizes.handshake);
    diag_number(f, "largest_record_after_handshake", (double)r->sizes.after_handshake);
    diag_number(f, "record_expansion", (double)exp);
    diag_number(f, "needed_in_content_len", (double)need);
    diag_number(f, "answer_bytes", (double)r->app_bytes);
    char mfl[200], rsl_saw[240];
    mfl_text(probe, mfl, sizeof(mfl));
    mfl_data(f, probe);
    rsl_text(&rsl, r13, rsl_saw, sizeof(rsl_saw));
    rsl_data(f, &rsl, r13);
    diag_text(f, "saw", "largest record from the server: %zu bytes in the handshake, %zu after it (%zu bytes "
                        "answered the request); that is up to %zu bytes of content. %s. %s", r->sizes.handshake,
              r->sizes.after_handshake, r->app_bytes, seen, rsl_saw, mfl);
    records_advice(f, need, kept, rsl.verdict);
}

/* Finds the run a device would make: TLS 1.3 if it connected, else TLS 1.2. */
static const diag_run_t *best_of(const tls_state_t *s)
{
    for (int i = 0; i < 2; i++) {
        if (s->run[i].connected && !s->run[i].refused_after) {
            return &s->run[i];
        }
    }
    return NULL;
}

static void chain_findings(diag_t *d, const diag_opts_t *o, const tls_state_t *s)
{
    char trust[300];
    if (o->cacert != NULL) {
        snprintf(trust, sizeof(trust), "the given CA (%s)", o->cacert);
    } else if (o->capath != NULL) {
        snprintf(trust, sizeof(trust), "the CAs of %s", o->capath);
    } else {
        snprintf(trust, sizeof(trust), "the built-in certificate bundle");
    }
    int flags = s->run[0].flags != 0 ? s->run[0].flags : s->run[1].flags;
    diag_chain_input_t in = {
        .chain = s->probe.got_chain ? &s->probe.chain : NULL,
        .flags = flags,
        .verified = s->run[0].connected || s->run[1].connected,
        .host = o->host,
        .trust = trust,
    };
    diag_chain(d, &in);
}

static void alpn_finding(diag_t *d, const diag_opts_t *o, const diag_run_t *best)
{
    if (o->alpn_list[0] == NULL) {
        return;
    }
    cJSON *f = diag_add(d, "alpn", best->alpn[0] != '\0' ? DIAG_OK : DIAG_WARN);
    diag_string(f, "selected", best->alpn);
    if (best->alpn[0] != '\0') {
        diag_text(f, "saw", "the server selected the protocol %s", best->alpn);
    } else {
        diag_text(f, "saw", "the server selected none of the protocols offered");
        diag_text(f, "means", "the server does not speak ALPN, or chose to ignore it; the device goes on without");
        diag_text(f, "fix", "offer a protocol the server has in esp_tls_cfg_t.alpn_protos, or none");
    }
}

void diag_tls(diag_t *d, const diag_opts_t *o)
{
    tls_state_t s = { 0 };
    diag_run(o, ESP_TLS_VER_TLS_1_3, NULL, DIAG_RUN_EXCHANGE | DIAG_RUN_KEEP_SESSION, &s.run[0]);
    diag_run(o, ESP_TLS_VER_TLS_1_2, NULL, DIAG_RUN_EXCHANGE | DIAG_RUN_KEEP_SESSION, &s.run[1]);
    diag_probe(o, &s.probe);
    if (!not_tls_finding(d, &s)) {
        for (int i = 0; i < 2; i++) {
            version_finding(d, &s.run[i], i, diag_run_version_accepted(&s.run[1 - i]));
        }
        legacy_finding(d, &s);
        chain_findings(d, o, &s);
        bundle_finding(d, o);
        diag_tls_client_auth(d, o, s.run, &s.probe);
    }
    const diag_run_t *best = best_of(&s);
    d->reached = best != NULL;
    if (best != NULL) {
        records_finding(d, best, &s.run[0], &s.probe);
        diag_tls_memory(d, o, best);
        alpn_finding(d, o, best);
        diag_tls_resumption(d, o, s.run, s.probe.ticket_lifetime);
    } else if (d->connects) {
        char w[256];
        why(&s.run[1], w, sizeof(w));
        cJSON *f = diag_add(d, "handshake", DIAG_FAIL);
        diag_text(f, "saw", "no TLS connection: %s", w);
    }
    for (int i = 0; i < 2; i++) {
        esp_tls_free_client_session(s.run[i].session);
    }
    diag_probe_free(&s.probe);
    if (o->heap_limit > 0) {
        diag_tls_heap_limit(d, o); /* last: the budget is the process's, and nothing else holds heap now */
    }
}
