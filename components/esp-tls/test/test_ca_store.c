/* The global CA store (appending, partial parses, thread safety, connections that outlive a
 * free) and the trust_store_path extension. */
#include <pthread.h>
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

static void *churn(void *arg)
{
    (void)arg;
    for (int i = 0; i < 50; i++) {
        esp_tls_set_global_ca_store(pki("ca.der")->data, pki("ca.der")->len);
        esp_tls_get_global_ca_store();
        if (i % 7 == 0) {
            esp_tls_free_global_ca_store();
        }
    }
    return NULL;
}

/* Connections start while other threads replace and free the store (run under ASan in CI). */
static void test_store_is_thread_safe(void **state)
{
    (void)state;
    pki("ca.der"); /* loaded before the threads: pki() is not thread-safe */
    pthread_t threads[3];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pthread_create(&threads[i], NULL, churn, NULL), 0);
    }
    peer_t p;
    start_www_peer(&p);
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .use_global_ca_store = true };
    for (int i = 0; i < 5; i++) {
        esp_tls_t *tls;
        int rc = connect_peer(&p, "localhost", &cfg, &tls);
        assert_true(rc == 1 || take_error(tls, NULL, NULL) == ESP_ERR_INVALID_STATE);
        esp_tls_conn_destroy(tls);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(threads[i], NULL);
    }
    peer_stop(&p);
    esp_tls_free_global_ca_store();
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
        cmocka_unit_test(test_store_is_thread_safe),
        cmocka_unit_test(test_trust_store_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
