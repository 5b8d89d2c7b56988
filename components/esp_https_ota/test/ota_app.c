/*
 * A device's app for the OTA restart tests: boots from the flash file, says what it booted, then
 * does what its arguments ask, in order.
 *   ota_app FLASH OP...
 * Prints "boot LABEL VERSION STATE" (STATE: the running slot's otadata state, "-" for none), then a
 * line per operation with its result's name. The server is verified with $OTA_CA. Operations:
 *   ota=URL            esp_https_ota(); prints "ota ERR next=LABEL" (the boot partition after it)
 *   resume=FILE,URL    the steps with ota_resumption: resumes from the count in FILE (0 if none)
 *                      and saves the count there after each step, as an app saves it in NVS;
 *                      prints "resume ERR from=N next=LABEL"
 *   valid              esp_ota_mark_app_valid_cancel_rollback()
 *   invalid-reboot     esp_ota_mark_app_invalid_rollback_and_reboot(): restarts, or prints the error
 *   last-invalid       prints "last-invalid LABEL" (esp_ota_get_last_invalid_partition())
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert_file.h"
#include "esp_https_ota.h"
#include "esp_ota_ops.h"

static cert_file_t s_ca;

static const char *label_of(const esp_partition_t *p)
{
    return p != NULL ? p->label : "none";
}

static const char *state_name(const esp_partition_t *p)
{
    static const char *const names[] = { "NEW", "PENDING_VERIFY", "VALID", "INVALID", "ABORTED" };
    esp_ota_img_states_t st;
    if (p == NULL || esp_ota_get_state_partition(p, &st) != ESP_OK) {
        return "-";
    }
    return st < sizeof(names) / sizeof(names[0]) ? names[st] : "UNDEFINED";
}

static esp_http_client_config_t http_config(const char *url)
{
    return (esp_http_client_config_t){ .url = url, .cert_pem = (const char *)s_ca.data, .cert_len = s_ca.len,
                                       .timeout_ms = 30000, .keep_alive_enable = true };
}

static void ota(const char *url)
{
    esp_http_client_config_t http = http_config(url);
    esp_https_ota_config_t cfg = { .http_config = &http };
    esp_err_t err = esp_https_ota(&cfg);
    printf("ota %s next=%s\n", esp_err_to_name(err), label_of(esp_ota_get_boot_partition()));
}

static long read_count(const char *file)
{
    long n = 0;
    FILE *f = fopen(file, "r");
    if (f != NULL) {
        n = fscanf(f, "%ld", &n) == 1 ? n : 0;
        fclose(f);
    }
    return n;
}

/* Written whole or not at all: the process may be killed at any moment. */
static void save_count(const char *file, int n)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", file);
    FILE *f = fopen(tmp, "w");
    if (f != NULL) {
        fprintf(f, "%d\n", n);
        fclose(f);
        rename(tmp, file);
    }
}

static esp_err_t resume_steps(esp_https_ota_handle_t h, const char *file)
{
    esp_err_t err;
    while ((err = esp_https_ota_perform(h)) == ESP_ERR_HTTPS_OTA_IN_PROGRESS) {
        save_count(file, esp_https_ota_get_image_len_read(h));
    }
    if (err != ESP_OK) {
        esp_https_ota_abort(h);
        return err;
    }
    return esp_https_ota_finish(h);
}

static void resume(const char *arg)
{
    char file[4096];
    const char *comma = strchr(arg, ',');
    snprintf(file, sizeof(file), "%.*s", comma != NULL ? (int)(comma - arg) : 0, arg);
    long from = read_count(file);
    esp_http_client_config_t http = http_config(comma != NULL ? comma + 1 : "");
    esp_https_ota_config_t cfg = { .http_config = &http, .ota_resumption = true, .ota_image_bytes_written = (size_t)from };
    esp_https_ota_handle_t h;
    esp_err_t err = esp_https_ota_begin(&cfg, &h);
    if (err == ESP_OK) {
        err = resume_steps(h, file);
    }
    printf("resume %s from=%ld next=%s\n", esp_err_to_name(err), from, label_of(esp_ota_get_boot_partition()));
}

static void run(const char *op)
{
    if (strncmp(op, "ota=", 4) == 0) {
        ota(op + 4);
    } else if (strncmp(op, "resume=", 7) == 0) {
        resume(op + 7);
    } else if (strcmp(op, "valid") == 0) {
        printf("valid %s\n", esp_err_to_name(esp_ota_mark_app_valid_cancel_rollback()));
    } else if (strcmp(op, "invalid-reboot") == 0) {
        fflush(stdout);
        printf("invalid-reboot %s\n", esp_err_to_name(esp_ota_mark_app_invalid_rollback_and_reboot()));
    } else if (strcmp(op, "last-invalid") == 0) {
        printf("last-invalid %s\n", label_of(esp_ota_get_last_invalid_partition()));
    } else {
        printf("unknown operation %s\n", op);
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *ca = getenv("OTA_CA");
    if (argc < 2 || ca == NULL || cert_file_load(ca, &s_ca) != 0) {
        fprintf(stderr, "usage: OTA_CA=ca.pem ota_app FLASH OP...\n");
        return 2;
    }
    setenv("PORTLS_FLASH", argv[1], 1);
    const esp_partition_t *running = esp_ota_get_running_partition();
    printf("boot %s %s %s\n", label_of(running), running != NULL ? esp_app_get_description()->version : "-",
           state_name(running));
    fflush(stdout);
    for (int i = 2; i < argc; i++) {
        run(argv[i]);
    }
    cert_file_free(&s_ca);
    return 0;
}
