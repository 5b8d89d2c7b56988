/* portls ota URL --flash FLASH: esp_https_ota into a flash image file, as the device's running app
 * would run it, with each event printed and a progress bar on a terminal. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "esp_crt_bundle.h"
#include "esp_deadline.h"
#include "esp_https_ota.h"
#include "esp_ota_ops.h"
#include "esp_private/partition_linux.h"
#include "portls_format.h"
#include "progress.h"

#define WRITE_LINES_MS 100 /* WRITE_FLASH lines (off a terminal) at most 10 a second */

typedef struct {
    const char *url, *flash, *cacert;
    bool resume;
    int partial;           /* max_http_request_size; 0: one request */
    cert_file_t ca_file;
    char resume_file[PATH_MAX];
    /* what the event handler (on the event loop's thread) keeps */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int syncs;             /* OTA_TOOL_SYNC events handled */
    progress_t bar;        /* WRITE_FLASH on a terminal */
    long long written, shown;
    long long image_size;
    esp_deadline_t next_line; /* no WRITE_FLASH line (off a terminal) before it */
} ota_opts_t;

static int usage(FILE *out)
{
    fputs("usage: portls ota URL --flash FLASH [--cacert FILE] [--resume] [--partial BYTES]\n"
          "Updates the app in a flash image file with esp_https_ota, as the device's running app would:\n"
          "FLASH boots first (the simulated bootloader runs, and may change otadata), then the image at\n"
          "URL is written to the next OTA slot, verified and set to boot. Each ESP_HTTPS_OTA_EVENT is\n"
          "printed; a terminal shows the download's progress.\n"
          "  --cacert FILE   verify the server with these CAs (default: the built-in bundle)\n"
          "  --resume        keep the bytes written in FLASH.resume as the download goes; run again\n"
          "                  after an interruption, it goes on from there (ota_resumption)\n"
          "  --partial BYTES download in Range requests of BYTES (partial_http_download)\n"
          "Exit status: 0 the image was written, verified and set to boot; 1 the update failed (the\n"
          "reason is printed); 2 bad usage.\n", out);
    return out == stdout ? 0 : 2;
}

enum { OPT_FLASH = 256, OPT_CACERT, OPT_RESUME, OPT_PARTIAL, OPT_HELP };

static const struct option long_options[] = {
    { "flash", required_argument, NULL, OPT_FLASH },   { "cacert", required_argument, NULL, OPT_CACERT },
    { "resume", no_argument, NULL, OPT_RESUME },       { "partial", required_argument, NULL, OPT_PARTIAL },
    { "help", no_argument, NULL, OPT_HELP },           { 0 },
};

#define FIELD(name) offsetof(ota_opts_t, name)
static const cli_field_t fields[] = {
    CLI_FIELD(OPT_FLASH, CLI_TEXT, FIELD(flash)),
    CLI_FIELD(OPT_CACERT, CLI_TEXT, FIELD(cacert)),
    CLI_FIELD(OPT_RESUME, CLI_TRUE, FIELD(resume)),
    CLI_NUMBER(OPT_PARTIAL, CLI_INT, FIELD(partial), 1, INT_MAX),
    CLI_HELP_ROW(OPT_HELP),
    CLI_END,
};

static const cli_spec_t spec = { "ota", "", long_options, fields, usage };

/* ---- events ---- */

ESP_EVENT_DEFINE_BASE(OTA_TOOL_SYNC); /* handled after every event posted before it */

static const char *const event_names[] = {
    "ESP_HTTPS_OTA_START", "ESP_HTTPS_OTA_CONNECTED", "ESP_HTTPS_OTA_GET_IMG_DESC",
    "ESP_HTTPS_OTA_VERIFY_CHIP_ID", "ESP_HTTPS_OTA_VERIFY_CHIP_REVISION", "ESP_HTTPS_OTA_DECRYPT_CB",
    "ESP_HTTPS_OTA_WRITE_FLASH", "ESP_HTTPS_OTA_UPDATE_BOOT_PARTITION", "ESP_HTTPS_OTA_FINISH", "ESP_HTTPS_OTA_ABORT",
};

static bool line_due(ota_opts_t *o)
{
    if (!esp_deadline_expired(o->next_line)) {
        return false;
    }
    o->next_line = esp_deadline_in_ms(WRITE_LINES_MS);
    return true;
}

static void show_written(ota_opts_t *o)
{
    printf("event %s: %lld bytes written\n", event_names[ESP_HTTPS_OTA_WRITE_FLASH], o->written);
    fflush(stdout);
    o->shown = o->written;
}

/* Ends the bar, or prints the last count, before another event's line. */
static void settle_writes(ota_opts_t *o)
{
    if (o->bar.on) {
        progress_end(&o->bar, o->written, o->image_size);
    } else if (o->written != o->shown) {
        show_written(o);
    }
}

static void on_write(ota_opts_t *o, int written)
{
    o->written = written;
    if (o->bar.on) {
        progress_tick(&o->bar, o->written, o->image_size);
    } else if (line_due(o)) {
        show_written(o);
    }
}

static void print_event(int32_t id, const void *data)
{
    printf("event %s", event_names[id]);
    if (id == ESP_HTTPS_OTA_VERIFY_CHIP_ID) {
        const portls_chip_t *chip = portls_chip_by_id(*(const esp_chip_id_t *)data);
        printf(": chip id %d (%s)", (int)*(const esp_chip_id_t *)data, chip != NULL ? chip->name : "unknown");
    } else if (id == ESP_HTTPS_OTA_VERIFY_CHIP_REVISION) {
        uint16_t rev = *(const uint16_t *)data;
        printf(": needs chip revision v%d.%d or later", rev / 100, rev % 100);
    } else if (id == ESP_HTTPS_OTA_UPDATE_BOOT_PARTITION) {
        printf(": subtype 0x%02x", (unsigned)*(const esp_partition_subtype_t *)data);
    }
    putchar('\n');
    fflush(stdout);
}

static void on_event(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    ota_opts_t *o = arg;
    pthread_mutex_lock(&o->lock);
    if (base == OTA_TOOL_SYNC) {
        settle_writes(o);
        o->syncs++;
        pthread_cond_broadcast(&o->cond);
    } else if (id == ESP_HTTPS_OTA_WRITE_FLASH) {
        on_write(o, *(int *)data);
    } else if (id >= 0 && id <= ESP_HTTPS_OTA_ABORT) {
        settle_writes(o);
        print_event(id, data);
    }
    pthread_mutex_unlock(&o->lock);
}

/* Waits (10 s at most) until every event posted so far is printed. */
static void flush_events(ota_opts_t *o)
{
    pthread_mutex_lock(&o->lock);
    int want = o->syncs + 1;
    pthread_mutex_unlock(&o->lock);
    if (esp_event_post(OTA_TOOL_SYNC, 0, NULL, 0, portMAX_DELAY) != ESP_OK) {
        return;
    }
    esp_deadline_t deadline = esp_deadline_in_ms(10000);
    pthread_mutex_lock(&o->lock);
    while (o->syncs < want && esp_deadline_cond_wait(&o->cond, &o->lock, deadline) == 0) {
    }
    pthread_mutex_unlock(&o->lock);
}

static int start_events(ota_opts_t *o)
{
    pthread_mutex_init(&o->lock, NULL);
    esp_deadline_cond_init(&o->cond);
    if (esp_event_loop_create_default() != ESP_OK ||
        esp_event_handler_register(ESP_HTTPS_OTA_EVENT, ESP_EVENT_ANY_ID, on_event, o) != ESP_OK ||
        esp_event_handler_register(OTA_TOOL_SYNC, ESP_EVENT_ANY_ID, on_event, o) != ESP_OK) {
        fputs("portls ota: cannot start the event loop\n", stderr);
        return -1;
    }
    return 0;
}

/* ---- the resume file: "URL\nBYTES\n" ---- */

static size_t resume_offset(const ota_opts_t *o)
{
    char url[4096];
    long long bytes = 0;
    FILE *f = fopen(o->resume_file, "r");
    if (f == NULL) {
        return 0;
    }
    bool ok = fgets(url, sizeof(url), f) != NULL && fscanf(f, "%lld", &bytes) == 1;
    fclose(f);
    url[strcspn(url, "\n")] = '\0';
    if (!ok || strcmp(url, o->url) != 0 || bytes < 0) {
        return 0; /* another image's */
    }
    return (size_t)bytes;
}

/* Written whole or not at all: the command may be killed at any moment. */
static void save_resume_offset(const ota_opts_t *o, int bytes)
{
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof(tmp), "%s.tmp", o->resume_file);
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        return;
    }
    fprintf(f, "%s\n%d\n", o->url, bytes);
    if (fclose(f) == 0) {
        rename(tmp, o->resume_file);
    }
}

/* ---- the update ---- */

static esp_http_client_config_t http_config(const ota_opts_t *o)
{
    esp_http_client_config_t cfg = { .url = o->url, .timeout_ms = 30000, .keep_alive_enable = true,
                                     .buffer_size = 4096, .cert_pem = (const char *)o->ca_file.data,
                                     .cert_len = o->ca_file.len };
    if (o->ca_file.data == NULL) {
        cfg.crt_bundle_attach = esp_crt_bundle_attach;
    }
    return cfg;
}

static esp_err_t perform_all(ota_opts_t *o, esp_https_ota_handle_t h)
{
    esp_err_t err;
    while ((err = esp_https_ota_perform(h)) == ESP_ERR_HTTPS_OTA_IN_PROGRESS) {
        if (o->resume) {
            save_resume_offset(o, esp_https_ota_get_image_len_read(h));
        }
    }
    return err;
}

/* begin, perform until done, finish (abort on failure). *stopped: the download stopped early. */
static esp_err_t update(ota_opts_t *o, bool *stopped)
{
    esp_http_client_config_t http = http_config(o);
    esp_https_ota_config_t cfg = { .http_config = &http, .partial_http_download = o->partial > 0,
                                   .max_http_request_size = o->partial, .ota_resumption = o->resume,
                                   .ota_image_bytes_written = o->resume ? resume_offset(o) : 0 };
    esp_https_ota_handle_t h;
    esp_err_t err = esp_https_ota_begin(&cfg, &h);
    *stopped = false;
    if (err != ESP_OK) {
        return err;
    }
    pthread_mutex_lock(&o->lock);
    o->image_size = esp_https_ota_get_image_size(h);
    pthread_mutex_unlock(&o->lock);
    err = perform_all(o, h);
    if (err != ESP_OK) {
        /* worth resuming: the download broke off, not an image refused */
        *stopped = !esp_https_ota_is_complete_data_received(h) && err != ESP_ERR_OTA_VALIDATE_FAILED &&
                   err != ESP_ERR_INVALID_VERSION;
        esp_https_ota_abort(h);
        return err;
    }
    return esp_https_ota_finish(h);
}

static const char *version_of(const esp_partition_t *p)
{
    static esp_app_desc_t desc;
    return esp_ota_get_partition_description(p, &desc) == ESP_OK ? desc.version : "no app descriptor";
}

/* Maps the flash and boots it. @return 0, or -1 (said why) */
static int boot_flash(const ota_opts_t *o)
{
    esp_partition_file_mmap_ctrl_t *in = esp_partition_get_file_mmap_ctrl_input();
    if (strlen(o->flash) >= sizeof(in->flash_file_name)) {
        fprintf(stderr, "portls ota: the flash file's name is too long\n");
        return -1;
    }
    snprintf(in->flash_file_name, sizeof(in->flash_file_name), "%s", o->flash);
    esp_err_t err = esp_partition_file_mmap(NULL);
    if (err != ESP_OK) {
        fprintf(stderr, "portls ota: cannot map %s as a flash: %s\n", o->flash, esp_err_to_name(err));
        return -1;
    }
    const esp_partition_t *running = esp_ota_get_running_partition();
    if (running == NULL) {
        printf("booted: nothing (no valid app in %s)\n", o->flash);
    } else {
        printf("booted: %s (%s)\n", running->label, version_of(running));
    }
    return 0;
}

static void report(esp_err_t err)
{
    const esp_partition_t *next = esp_ota_get_boot_partition();
    if (err != ESP_OK) {
        fprintf(stderr, "portls ota: the update failed: %s\n", esp_err_to_name(err));
    }
    if (next == NULL) {
        printf("next boot: nothing (no otadata or app partition)\n");
        return;
    }
    printf("next boot: %s (%s)%s\n", next->label, version_of(next), err != ESP_OK ? ", unchanged" : "");
}

static int run(ota_opts_t *o)
{
    o->bar.on = isatty(STDERR_FILENO);
    if (boot_flash(o) != 0 || start_events(o) != 0) {
        return 1;
    }
    bool stopped;
    esp_err_t err = update(o, &stopped);
    flush_events(o);
    if (o->resume && (err == ESP_OK || !stopped)) {
        unlink(o->resume_file); /* nothing left to resume */
    } else if (o->resume) {
        printf("the download stopped: run the command again to resume it (%s)\n", o->resume_file);
    }
    report(err);
    esp_event_loop_delete_default();
    return err == ESP_OK ? 0 : 1;
}

int cmd_ota(int argc, char **argv)
{
    ota_opts_t o = { .image_size = -1 };
    int rc = cli_parse_fields(argc, argv, &spec, &o);
    if (rc != 0) {
        return rc - 1;
    }
    if (optind != argc - 1 || o.flash == NULL) {
        return usage(stderr);
    }
    o.url = argv[optind];
    snprintf(o.resume_file, sizeof(o.resume_file), "%s.resume", o.flash);
    if (o.cacert == NULL) {
        o.cacert = cli_default_ca_file(); /* NULL: the built-in bundle */
    }
    rc = cli_load("ota", o.cacert, &o.ca_file) != 0 ? 1 : run(&o);
    cert_file_free(&o.ca_file);
    return rc;
}
