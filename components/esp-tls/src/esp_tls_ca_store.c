/*
 * The global CA store. ESP-IDF appends to one chain that live connections read, with no lock.
 * Here a store never changes once published: set builds a new chain (the old certificates plus
 * the new ones) and swaps it in; each connection holds a reference to the snapshot it started
 * with, and the last reference frees it. Sets and frees take turns, so that no set builds on a
 * store another is replacing (init only fills an empty slot). A chain handed out by get stays
 * until free.
 */
#include <pthread.h>

#include "mbedtls/platform.h"

#include "esp_log.h"
#include "esp_tls.h"
#include "esp_tls_ca_store.h"

static const char *TAG = "esp-tls-ca-store";

struct esp_tls_ca_store {
    mbedtls_x509_crt chain;
    unsigned refs;
    esp_tls_ca_store_t *next_handed_out; /* in the handed_out list (holding a reference) */
    bool handed_out;
};

static pthread_mutex_t writer_lock = PTHREAD_MUTEX_INITIALIZER; /* one set or free at a time */
static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;  /* current, refs, handed_out */
static esp_tls_ca_store_t *current;    /* holds one reference of its own */
static esp_tls_ca_store_t *handed_out; /* chains esp_tls_get_global_ca_store() returned */

static esp_tls_ca_store_t *store_new(void)
{
    esp_tls_ca_store_t *store = mbedtls_calloc(1, sizeof(*store));
    if (store != NULL) {
        mbedtls_x509_crt_init(&store->chain);
        store->refs = 1;
    }
    return store;
}

/* Called with store_lock held, or on a store nobody else has seen. */
static void store_unref_locked(esp_tls_ca_store_t *store)
{
    if (store != NULL && --store->refs == 0) {
        mbedtls_x509_crt_free(&store->chain);
        mbedtls_free(store);
    }
}

/* Replaces the current store; takes over the caller's reference to store. */
static void publish(esp_tls_ca_store_t *store)
{
    pthread_mutex_lock(&store_lock);
    esp_tls_ca_store_t *old = current;
    current = store;
    store_unref_locked(old);
    pthread_mutex_unlock(&store_lock);
}

esp_tls_ca_store_t *esp_tls_ca_store_acquire(void)
{
    pthread_mutex_lock(&store_lock);
    esp_tls_ca_store_t *store = current;
    if (store != NULL) {
        store->refs++;
    }
    pthread_mutex_unlock(&store_lock);
    return store;
}

void esp_tls_ca_store_release(esp_tls_ca_store_t *store)
{
    pthread_mutex_lock(&store_lock);
    store_unref_locked(store);
    pthread_mutex_unlock(&store_lock);
}

mbedtls_x509_crt *esp_tls_ca_store_chain(esp_tls_ca_store_t *store)
{
    return &store->chain;
}

esp_err_t esp_tls_init_global_ca_store(void)
{
    esp_tls_ca_store_t *fresh = store_new();
    if (fresh == NULL) {
        return ESP_ERR_NO_MEM;
    }
    pthread_mutex_lock(&store_lock);
    if (current == NULL) {
        current = fresh;
        fresh = NULL;
    }
    pthread_mutex_unlock(&store_lock);
    store_unref_locked(fresh); /* a store was there already */
    return ESP_OK;
}

/* Copies the certificates of from (which may be NULL) into to, by their DER. */
static int copy_chain(mbedtls_x509_crt *to, esp_tls_ca_store_t *from)
{
    for (const mbedtls_x509_crt *c = from ? &from->chain : NULL; c != NULL && c->raw.p != NULL; c = c->next) {
        int ret = mbedtls_x509_crt_parse_der(to, c->raw.p, c->raw.len);
        if (ret != 0) {
            return ret;
        }
    }
    return 0;
}

/* A new store: the current one's certificates plus those of buf. @return what the parse of buf
 * returned (the number that failed, or a negative error), or the copy's error. */
static int extended_store(const unsigned char *buf, unsigned int len, esp_tls_ca_store_t **out)
{
    esp_tls_ca_store_t *store = store_new();
    if (store == NULL) {
        return MBEDTLS_ERR_X509_ALLOC_FAILED;
    }
    esp_tls_ca_store_t *old = esp_tls_ca_store_acquire();
    int ret = copy_chain(&store->chain, old);
    esp_tls_ca_store_release(old);
    ret = ret == 0 ? mbedtls_x509_crt_parse(&store->chain, buf, len) : ret;
    if (ret < 0) {
        store_unref_locked(store); /* nobody else has seen it */
        store = NULL;
    }
    *out = store;
    return ret;
}

esp_err_t esp_tls_set_global_ca_store(const unsigned char *cacert_pem_buf, const unsigned int cacert_pem_bytes)
{
    if (cacert_pem_buf == NULL || cacert_pem_bytes == 0) {
        ESP_LOGE(TAG, "a CA buffer and its size are required");
        return ESP_ERR_INVALID_ARG;
    }
    esp_tls_ca_store_t *store;
    pthread_mutex_lock(&writer_lock); /* from the copy of the current store to its replacement */
    int ret = extended_store(cacert_pem_buf, cacert_pem_bytes, &store);
    if (ret >= 0) {
        publish(store);
    }
    pthread_mutex_unlock(&writer_lock);
    if (ret < 0) {
        ESP_LOGE(TAG, "no certificate in the buffer parsed (mbedTLS -0x%04X); the store is unchanged",
                 (unsigned)-ret);
        return ret == MBEDTLS_ERR_X509_ALLOC_FAILED ? ESP_ERR_NO_MEM : ESP_FAIL;
    }
    if (ret > 0) {
        ESP_LOGW(TAG, "%d certificate(s) in the buffer did not parse; the others were added", ret);
        return ESP_ERR_MBEDTLS_CERT_PARTLY_OK;
    }
    return ESP_OK;
}

/* The chain is the caller's to read until free: its store is kept (a reference) until then. */
mbedtls_x509_crt *esp_tls_get_global_ca_store(void)
{
    pthread_mutex_lock(&store_lock);
    esp_tls_ca_store_t *store = current;
    if (store != NULL && !store->handed_out) {
        store->handed_out = true;
        store->refs++;
        store->next_handed_out = handed_out;
        handed_out = store;
    }
    pthread_mutex_unlock(&store_lock);
    return store != NULL ? &store->chain : NULL;
}

void esp_tls_free_global_ca_store(void)
{
    pthread_mutex_lock(&writer_lock);
    publish(NULL);
    pthread_mutex_lock(&store_lock);
    esp_tls_ca_store_t *list = handed_out;
    handed_out = NULL;
    while (list != NULL) {
        esp_tls_ca_store_t *next = list->next_handed_out;
        store_unref_locked(list);
        list = next;
    }
    pthread_mutex_unlock(&store_lock);
    pthread_mutex_unlock(&writer_lock);
}
