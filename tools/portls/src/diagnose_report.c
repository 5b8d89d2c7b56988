/* The diagnose report: findings in a cJSON tree, printed as text or JSON. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diagnose.h"
#include "mbedtls/version.h"
#include "sdkconfig.h"

static const char *const level_names[] = {
    [DIAG_OK] = "ok", [DIAG_INFO] = "info", [DIAG_WARN] = "warn", [DIAG_FAIL] = "fail"
};

/* What this build is: the configuration the verdict and the memory figures are for. */
static cJSON *build_config(void)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddNumberToObject(c, "CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN", CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN);
    cJSON_AddNumberToObject(c, "CONFIG_MBEDTLS_SSL_OUT_CONTENT_LEN", CONFIG_MBEDTLS_SSL_OUT_CONTENT_LEN);
#ifdef CONFIG_MBEDTLS_DYNAMIC_BUFFER
    cJSON_AddBoolToObject(c, "CONFIG_MBEDTLS_DYNAMIC_BUFFER", true);
#else
    cJSON_AddBoolToObject(c, "CONFIG_MBEDTLS_DYNAMIC_BUFFER", false);
#endif
#ifdef CONFIG_MBEDTLS_SSL_PROTO_TLS1_3
    cJSON_AddBoolToObject(c, "CONFIG_MBEDTLS_SSL_PROTO_TLS1_3", true);
#else
    cJSON_AddBoolToObject(c, "CONFIG_MBEDTLS_SSL_PROTO_TLS1_3", false);
#endif
#ifdef CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT
    cJSON_AddBoolToObject(c, "CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT", true);
#else
    cJSON_AddBoolToObject(c, "CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT", false);
#endif
#ifdef CONFIG_MBEDTLS_CERTIFICATE_BUNDLE
    cJSON_AddBoolToObject(c, "CONFIG_MBEDTLS_CERTIFICATE_BUNDLE", true);
#else
    cJSON_AddBoolToObject(c, "CONFIG_MBEDTLS_CERTIFICATE_BUNDLE", false);
#endif
    cJSON_AddStringToObject(c, "mbedtls", MBEDTLS_VERSION_STRING);
    return c;
}

static cJSON *target(const diag_opts_t *o)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "host", o->host);
    cJSON_AddNumberToObject(t, "port", o->port);
    return t;
}

static cJSON *device(const diag_opts_t *o)
{
    if (o->device == NULL) {
        return cJSON_CreateNull();
    }
    cJSON *dev = cJSON_CreateObject();
    cJSON_AddStringToObject(dev, "name", o->device->name);
    cJSON_AddNumberToObject(dev, "typical_free_heap", (double)o->device->free_heap);
    cJSON_AddStringToObject(dev, "basis", o->device->basis);
    return dev;
}

int diag_init(diag_t *d, const diag_opts_t *o)
{
    *d = (diag_t){ .root = cJSON_CreateObject(), .connects = true };
    if (d->root == NULL) {
        return -1;
    }
    cJSON_AddItemToObject(d->root, "target", target(o));
    cJSON_AddItemToObject(d->root, "configuration", build_config());
    cJSON_AddItemToObject(d->root, "device", device(o));
    d->findings = cJSON_AddArrayToObject(d->root, "findings");
    return d->findings != NULL ? 0 : -1;
}

void diag_free(diag_t *d)
{
    cJSON_Delete(d->root);
    d->root = NULL;
}

cJSON *diag_add(diag_t *d, const char *id, diag_level_t level)
{
    cJSON *f = cJSON_CreateObject();
    if (f == NULL) {
        return NULL;
    }
    cJSON_AddStringToObject(f, "id", id);
    cJSON_AddStringToObject(f, "level", level_names[level]);
    cJSON_AddObjectToObject(f, "data");
    cJSON_AddItemToArray(d->findings, f);
    if (level == DIAG_FAIL) {
        d->connects = false;
    }
    return f;
}

void diag_text(cJSON *f, const char *key, const char *fmt, ...)
{
    if (f == NULL) {
        return;
    }
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    cJSON_DeleteItemFromObject(f, key);
    cJSON_AddStringToObject(f, key, text);
}

void diag_number(cJSON *f, const char *key, double value)
{
    if (f != NULL) {
        cJSON_AddNumberToObject(cJSON_GetObjectItem(f, "data"), key, value);
    }
}

void diag_string(cJSON *f, const char *key, const char *value)
{
    if (f != NULL) {
        cJSON_AddStringToObject(cJSON_GetObjectItem(f, "data"), key, value);
    }
}

void diag_bool(cJSON *f, const char *key, bool value)
{
    if (f != NULL) {
        cJSON_AddBoolToObject(cJSON_GetObjectItem(f, "data"), key, value);
    }
}

static const char *text_of(const cJSON *f, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(f, key));
    return s != NULL ? s : "";
}

/* The first failure's observation, which the verdict line names. */
static const cJSON *first_failure(const diag_t *d)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, d->findings) {
        if (strcmp(text_of(f, "level"), "fail") == 0) {
            return f;
        }
    }
    return NULL;
}

static void print_text(const diag_t *d)
{
    const cJSON *t = cJSON_GetObjectItem(d->root, "target");
    const char *host = cJSON_GetStringValue(cJSON_GetObjectItem(t, "host"));
    int port = cJSON_GetObjectItem(t, "port")->valueint;
    const cJSON *fail = first_failure(d);
    if (fail == NULL) {
        printf("VERDICT: a device with this configuration connects to %s port %d\n", host, port);
    } else {
        printf("VERDICT: a device with this configuration CANNOT connect to %s port %d: %s\n", host, port,
               text_of(fail, "saw"));
    }
    const cJSON *f;
    cJSON_ArrayForEach(f, d->findings) {
        printf("\n[%s] %s: %s\n", text_of(f, "level"), text_of(f, "id"), text_of(f, "saw"));
        if (*text_of(f, "means") != '\0') {
            printf("  means: %s\n", text_of(f, "means"));
        }
        if (*text_of(f, "fix") != '\0') {
            printf("  fix:   %s\n", text_of(f, "fix"));
        }
    }
}

void diag_print(const diag_t *d, bool json)
{
    if (!json) {
        print_text(d);
        return;
    }
    cJSON *verdict = cJSON_CreateObject();
    cJSON_AddBoolToObject(verdict, "connects", d->connects);
    const cJSON *fail = first_failure(d);
    cJSON_AddStringToObject(verdict, "reason", fail != NULL ? text_of(fail, "saw") : "");
    cJSON_AddItemToObject(d->root, "verdict", verdict);
    char *s = cJSON_Print(d->root);
    if (s != NULL) {
        puts(s);
        cJSON_free(s);
    }
    cJSON_DeleteItemFromObject(d->root, "verdict");
}
