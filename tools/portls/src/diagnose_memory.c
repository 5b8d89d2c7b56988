/* diagnose: the heap of the handshake against what the device has free, and a handshake under
 * --heap-limit that shows which allocation a device with that heap would be refused. */
#include <stdio.h>
#include <string.h>

#include "diagnose_run.h"

#define KB(n) ((double)(n) / 1024.0)

/* This build's configuration, in the Kconfig names a device's sdkconfig uses. */
static void measured_config(char *out, size_t len)
{
    snprintf(out, len, "CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN=%d, CONFIG_MBEDTLS_SSL_OUT_CONTENT_LEN=%d, "
#ifdef CONFIG_MBEDTLS_DYNAMIC_BUFFER
             "CONFIG_MBEDTLS_DYNAMIC_BUFFER=y"
#else
             "CONFIG_MBEDTLS_DYNAMIC_BUFFER=n"
#endif
             , CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN, CONFIG_MBEDTLS_SSL_OUT_CONTENT_LEN);
}

static const char small_options[] = "CONFIG_MBEDTLS_DYNAMIC_BUFFER=y, CONFIG_MBEDTLS_DYNAMIC_FREE_CONFIG_DATA=y, "
                                    "CONFIG_MBEDTLS_DYNAMIC_FREE_CA_CERT=y and CONFIG_MBEDTLS_DYNAMIC_FREE_PEER_CERT=y";

/* How the peak compares with the device's free heap: over it, within a quarter of it, or well in. */
static diag_level_t fit(size_t peak, size_t free_heap)
{
    if (free_heap == 0) {
        return DIAG_INFO;
    }
    return peak > free_heap ? DIAG_FAIL : peak > free_heap * 3 / 4 ? DIAG_WARN : DIAG_OK;
}

static void fix(cJSON *f)
{
#ifdef CONFIG_MBEDTLS_DYNAMIC_BUFFER
    diag_text(f, "fix", "this build has the small configuration already: lower CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN to "
                        "what the records finding says, use an EC key (P-256) instead of RSA, free heap first");
#else
    diag_text(f, "fix", "turn on %s (records sized as they come, certificates and keys freed once used); the "
                        "figures above are for this build only: build portls with those options "
                        "(cmake -DCONFIG_MBEDTLS_DYNAMIC_BUFFER=ON ...) and run diagnose again to measure them",
              small_options);
#endif
}

static void compare(cJSON *f, const diag_device_t *dev, diag_level_t level)
{
    static const char *const verdicts[] = {
        [DIAG_OK] = "it fits",
        [DIAG_WARN] = "it fits, with little to spare for the application",
        [DIAG_FAIL] = "the handshake does not fit, the device fails with ESP_ERR_NO_MEM (-0x7F00)",
    };
    diag_text(f, "means", "a typical %s has about %.0f KB free (%s): %s", dev->name, KB(dev->free_heap), dev->basis,
              verdicts[level]);
    if (level != DIAG_OK) {
        fix(f);
    }
}

void diag_tls_memory(diag_t *d, const diag_opts_t *o, const diag_run_t *best)
{
    if (!best->heap_known) {
        cJSON *f = diag_add(d, "memory", DIAG_INFO);
        diag_text(f, "saw", "not measured: this build has no heap accounting (PORTLS_HEAP_ACCOUNTING)");
        return;
    }
    char config[256];
    measured_config(config, sizeof(config));
    size_t peak = best->heap.peak, idle = best->heap.current;
    size_t free_heap = o->device != NULL ? o->device->free_heap : 0;
    diag_level_t level = fit(peak, free_heap);
    cJSON *f = diag_add(d, "memory", level);
    diag_number(f, "peak", (double)peak);
    diag_number(f, "idle", (double)idle);
    diag_number(f, "device_free_heap", (double)free_heap);
    diag_string(f, "measured_configuration", config);
    diag_text(f, "saw", "the %s handshake%s needs %.1f KB of heap at its peak and holds %.1f KB once connected "
                        "(measured with this build's configuration: %s)", best->version,
              o->cert != NULL ? " with a client certificate" : "", KB(peak), KB(idle), config);
    if (level == DIAG_INFO) {
        diag_text(f, "means", "name the device with --device to compare with its free heap");
    } else {
        compare(f, o->device, level);
    }
}

/* How far the handshake came before the refusal, from the last record the server sent. */
static void how_far(const esp_tls_record_info_t *rec, char *out, size_t len)
{
    static const char *const types[] = { "change_cipher_spec", "alert", "handshake", "application data" };
    if (rec->content_type >= 20 && rec->content_type <= 23) {
        snprintf(out, len, "after the server's %s record of %zu bytes (%zu of them received)",
                 types[rec->content_type - 20], rec->length, rec->received);
    } else {
        snprintf(out, len, "before the server's first record, while the connection was set up");
    }
}

void diag_tls_heap_limit(diag_t *d, const diag_opts_t *o)
{
    portls_heap_set_limit((size_t)o->heap_limit);
    diag_run_t r;
    diag_run(o, ESP_TLS_VER_ANY, NULL, DIAG_RUN_HANDSHAKE, &r);
    portls_heap_set_limit(0);
    bool refused = r.err == ESP_ERR_NO_MEM || r.heap.failures > 0;
    cJSON *f = diag_add(d, "heap-limit", refused ? DIAG_FAIL : DIAG_OK);
    diag_number(f, "limit", (double)o->heap_limit);
    diag_number(f, "peak", (double)r.heap.peak);
    if (!refused) {
        diag_text(f, "saw", "under a %ld-byte heap the handshake completes (peak %zu bytes)", o->heap_limit,
                  r.heap.peak);
        return;
    }
    if (!r.heap_known) { /* no handle to count with: esp_tls_init() itself was refused */
        esp_tls_heap_stats_t process;
        portls_heap_get_stats(&process);
        diag_text(f, "saw", "under a %ld-byte heap not even the connection's handle (esp_tls_init()) fits: the "
                            "process holds %zu bytes of mbedTLS heap already", o->heap_limit, process.current);
        return;
    }
    diag_number(f, "failures", (double)r.heap.failures);
    diag_number(f, "failed_allocation", (double)r.failed_size);
    diag_number(f, "in_use", (double)r.failed_in_use);
    diag_text(f, "saw", "under a %ld-byte heap the handshake fails: an allocation of %zu bytes was refused with %zu "
                        "bytes in use (%lu refused in all)", o->heap_limit, r.failed_size, r.failed_in_use,
              r.heap.failures);
    char where[160];
    how_far(&r.rec, where, sizeof(where));
    diag_text(f, "means", "a device with that much heap fails %s, with ESP_ERR_NO_MEM", where);
    diag_text(f, "fix", "give the connection more heap, or turn on %s", small_options);
}
