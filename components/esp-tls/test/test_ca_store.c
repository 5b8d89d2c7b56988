/* The global CA store (appending, partial parses, thread safety, connections that outlive a
 * free) and the trust_store_path extension. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls_test.h"

static int connect_www(const esp_tls_cfg_t *cfg, esp_tls_t **tls, peer_t *p)
{
    start_www_peer(p);
    return connect_peer(p, "localhost", cfg, tls);
}

static void test_no_store_is_an_error(void **state)
{
    (void)state;
    esp_tls_free_global_ca_store();
    assert_null(esp_tls_get_global_ca_store());
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .use_global_ca_store = true };
    peer_t p;
    esp_tls_t *tls;
    assert_int_equal(connect_www(&cfg, &tls, &p), -1);
    assert_int_equal(take_error(tls, NULL, NULL), ESP_ERR_INVALID_STATE);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

/* The connection keeps the store it started with: freeing the store does not disturb it. */
static void test_store_verifies_and_outlives_free(void **state)
{
    (void)state;
    assert_int_equal(esp_tls_set_global_ca_store(pki("ca.pem")->data, pki("ca.pem")->len), ESP_OK);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .use_global_ca_store = true };
    peer_t p;
    esp_tls_t *tls;
    assert_int_equal(connect_www(&cfg, &tls, &p), 1);
    esp_tls_free_global_ca_store();
    char page[1024];
    assert_true(www_get(tls, page, sizeof(page)) > 0);
    esp_tls_conn_destroy(tls);
    peer_stop(&p);
}

static int chain_length(const mbedtls_x509_crt *c)
{
    int n = 0;
    for (; c != NULL && c->raw.p != NULL; c = c->next) {
        n++;
    }
    return n;
}

static void test_set_appends_and_reports_partial_parses(void **state)
{
    (void)state;
    esp_tls_free_global_ca_store();
    assert_int_equal(esp_tls_init_global_ca_store(), ESP_OK);
    assert_int_equal(esp_tls_init_global_ca_store(), ESP_OK); /* idempotent */
    assert_int_equal(chain_length(esp_tls_get_global_ca_store()), 0);
    assert_int_equal(esp_tls_set_global_ca_store(pki("other_ca.pem")->data, pki("other_ca.pem")->len), ESP_OK);
    assert_int_equal(esp_tls_set_global_ca_store(pki("ca.der")->data, pki("ca.der")->len), ESP_OK);
    assert_int_equal(chain_length(esp_tls_get_global_ca_store()), 2);

    /* a good certificate, then a damaged one */
    const char *good = (const char *)pki("int.pem")->data;
    static const char damaged[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    size_t len = strlen(good) + sizeof(damaged);
    char *mixed = malloc(len);
    snprintf(mixed, len, "%s%s", good, damaged);
    assert_int_equal(esp_tls_set_global_ca_store((const unsigned char *)mixed, (unsigned)len),
                     ESP_ERR_MBEDTLS_CERT_PARTLY_OK);
    assert_int_equal(chain_length(esp_tls_get_global_ca_store()), 3);

    /* nothing parses: an error, and the store is as it was */
    assert_int_equal(esp_tls_set_global_ca_store((const unsigned char *)damaged, sizeof(damaged)), ESP_FAIL);
    assert_int_equal(chain_length(esp_tls_get_global_ca_store()), 3);
    assert_int_equal(esp_tls_set_global_ca_store(NULL, 10), ESP_ERR_INVALID_ARG);
    assert_int_equal(esp_tls_set_global_ca_store(pki("ca.pem")->data, 0), ESP_ERR_INVALID_ARG);
    free(mixed);
    esp_tls_free_global_ca_store();
    esp_tls_free_global_ca_store(); /* twice is fine */
}

/* A chain from get stays as it was until free, whatever sets come in between. */
static void test_chain_from_get_outlives_sets(void **state)
{
    (void)state;
    esp_tls_free_global_ca_store();
    assert_int_equal(esp_tls_set_global_ca_store(pki("ca.der")->data, pki("ca.der")->len), ESP_OK);
    const mbedtls_x509_crt *first = esp_tls_get_global_ca_store();
    assert_int_equal(esp_tls_set_global_ca_store(pki("other_ca.der")->data, pki("other_ca.der")->len), ESP_OK);
    assert_int_equal(esp_tls_set_global_ca_store(pki("int.pem")->data, pki("int.pem")->len), ESP_OK);
    assert_int_equal(chain_length(esp_tls_get_global_ca_store()), 3);
    assert_int_equal(chain_length(first), 1);
    assert_int_equal(first->raw.len, pki("ca.der")->len);
    assert_memory_equal(first->raw.p, pki("ca.der")->data, first->raw.len);
    esp_tls_free_global_ca_store();
    assert_null(esp_tls_get_global_ca_store());
}

/* Certificates that differ, one per thread. */
static const char *const distinct[] = { "ca.pem", "other_ca.pem", "int.pem", "server_ec.pem", "server_rsa.pem",
                                        "client.pem" };
#define SETTERS (sizeof(distinct) / sizeof(distinct[0]))

static pthread_barrier_t start_together;

/* @return the set's result, as the thread's (checked by the main thread: cmocka asserts there). */
static void *set_one(void *arg)
{
    const cert_file_t *cert = arg;
    pthread_barrier_wait(&start_together);
    return (void *)(intptr_t)esp_tls_set_global_ca_store(cert->data, cert->len);
}

/* Sets made at the same moment each add their certificate: none replaces another's. */
static void test_concurrent_sets_lose_nothing(void **state)
{
    (void)state;
    for (size_t i = 0; i < SETTERS; i++) {
        pki(distinct[i]); /* loaded before the threads: pki() is not thread-safe */
    }
    for (int round = 0; round < 100; round++) {
        esp_tls_free_global_ca_store();
        pthread_t threads[SETTERS];
        assert_int_equal(pthread_barrier_init(&start_together, NULL, SETTERS), 0);
        for (size_t i = 0; i < SETTERS; i++) {
            assert_int_equal(pthread_create(&threads[i], NULL, set_one, (void *)pki(distinct[i])), 0);
        }
        for (size_t i = 0; i < SETTERS; i++) {
            void *result;
            pthread_join(threads[i], &result);
            assert_int_equal((intptr_t)result, ESP_OK);
        }
        pthread_barrier_destroy(&start_together);
        assert_int_equal(chain_length(esp_tls_get_global_ca_store()), SETTERS);
    }
    esp_tls_free_global_ca_store();
}

typedef struct {
    atomic_bool stop;
    atomic_long rounds;
    atomic_long empty_chains; /* a chain from get with no certificate in it: must stay 0 */
} churn_t;

/* One churning thread: it replaces the store and gets its chain until told to stop. A free ends
 * every chain get returned (esp_tls.h), so only the thread that frees reads its chains: no free
 * can overlap that read. */
typedef struct {
    churn_t *c;
    bool frees;
} churner_t;

static void *churn(void *arg)
{
    const churner_t *me = arg;
    churn_t *c = me->c;
    for (long i = 0; !atomic_load(&c->stop); i++) {
        esp_tls_set_global_ca_store(pki("ca.der")->data, pki("ca.der")->len);
        const mbedtls_x509_crt *chain = esp_tls_get_global_ca_store();
        if (me->frees) {
            atomic_fetch_add(&c->empty_chains, chain == NULL || chain_length(chain) == 0);
            if (i % 7 == 0) {
                esp_tls_free_global_ca_store();
            }
        }
        atomic_fetch_add(&c->rounds, 1);
    }
    return NULL;
}

/* Connections start while other threads replace and free the store, from before the first connect
 * until after the last; the connects go on until the churn has made rounds among them (run
 * under ASan in CI). */
static void test_store_is_thread_safe(void **state)
{
    (void)state;
    pki("ca.der"); /* loaded before the threads: pki() is not thread-safe */
    peer_t p;
    start_www_peer(&p);
    churn_t c = { .stop = false, .rounds = 0, .empty_chains = 0 };
    pthread_t threads[3];
    churner_t churners[3] = { { &c, true }, { &c, false }, { &c, false } };
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pthread_create(&threads[i], NULL, churn, &churners[i]), 0);
    }
    while (atomic_load(&c.rounds) == 0) {
        sched_yield();
    }
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .use_global_ca_store = true };
    long before = atomic_load(&c.rounds);
    int connects = 0, unexpected = 0;
    while (connects < 5 || (atomic_load(&c.rounds) - before < 20 && connects < 1000)) {
        esp_tls_t *tls;
        int rc = connect_peer(&p, "localhost", &cfg, &tls);
        unexpected += rc != 1 && take_error(tls, NULL, NULL) != ESP_ERR_INVALID_STATE; /* freed: no store */
        esp_tls_conn_destroy(tls);
        connects++;
    }
    long during = atomic_load(&c.rounds) - before;
    atomic_store(&c.stop, true);
    for (int i = 0; i < 3; i++) {
        pthread_join(threads[i], NULL);
    }
    peer_stop(&p);
    esp_tls_free_global_ca_store();
    assert_int_equal(unexpected, 0);
    assert_true(during >= 20); /* the churn ran among the connects */
    assert_int_equal(atomic_load(&c.empty_chains), 0);
}

static void test_trust_store_path(void **state)
{
    (void)state;
    const char *paths[] = { cert_path("ca.pem"), cert_path(""), "/nonexistent/ca.pem" };
    const int expected[] = { 1, 1, -1 };
    for (int i = 0; i < 3; i++) {
        esp_tls_cfg_t cfg = { .timeout_ms = 5000, .trust_store_path = paths[i] };
        peer_t p;
        esp_tls_t *tls;
        assert_int_equal(connect_www(&cfg, &tls, &p), expected[i]);
        if (expected[i] < 0) {
            assert_int_equal(take_error(tls, NULL, NULL), ESP_ERR_MBEDTLS_X509_CRT_PARSE_FAILED);
        }
        esp_tls_conn_destroy(tls);
        peer_stop(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_store_is_an_error),
        cmocka_unit_test(test_store_verifies_and_outlives_free),
        cmocka_unit_test(test_set_appends_and_reports_partial_parses),
        cmocka_unit_test(test_chain_from_get_outlives_sets),
        cmocka_unit_test(test_concurrent_sets_lose_nothing),
        cmocka_unit_test(test_store_is_thread_safe),
        cmocka_unit_test(test_trust_store_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
