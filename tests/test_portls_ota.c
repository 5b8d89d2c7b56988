/* portls ota and the three OTA examples (simple_ota_example, advanced_https_ota_example,
 * native_ota_example) against nginx, on flash files made with portls flash and portls image. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "esp_deadline.h"
#include "esp_flash_partitions.h"
#include "nginx.h"
#include "tls_test.h"

#define OTADATA 0xd000 /* where the table below puts otadata */

static char s_dir[64];
static char s_url[256];

static const char *path_in(const char *name)
{
    static char ring[8][128];
    static int next;
    char *p = ring[next++ % 8];
    snprintf(p, sizeof(ring[0]), "%s/%s", s_dir, name);
    return p;
}

static const char *url_of(const char *path)
{
    snprintf(s_url, sizeof(s_url), "https://localhost:%d/%s", nginx_group.https_port, path);
    return s_url;
}

static void tool(const char *const *args, int want_status)
{
    const char *argv[16] = { PORTLS_TOOL };
    int n = 1;
    while (args[n - 1] != NULL && n < 15) {
        argv[n] = args[n - 1];
        n++;
    }
    argv[n] = NULL;
    char out[8192];
    int status = run_program(argv, NULL, out, sizeof(out));
    if (status != want_status) {
        fail_msg("portls %s: status %d, expected %d\n%s", args[0], status, want_status, out);
    }
}

/* An app image of payload_len bytes made with portls image wrap. */
static void wrap(const char *name, const char *version, size_t payload_len)
{
    char *payload = malloc(payload_len);
    for (size_t i = 0; i < payload_len; i++) {
        payload[i] = (char)(i * 7 + version[0]);
    }
    FILE *f = fopen(path_in("payload"), "wb");
    assert_int_equal(fwrite(payload, 1, payload_len, f), payload_len);
    fclose(f);
    free(payload);
    tool((const char *[]){ "image", "wrap", path_in("payload"), "--version", version, "--project", "demo", "-o",
                           path_in(name), NULL }, 0);
}

static void serve(const char *name)
{
    FILE *f = fopen(path_in(name), "rb");
    assert_non_null(f);
    static char data[2 * 1024 * 1024];
    size_t n = fread(data, 1, sizeof(data), f);
    fclose(f);
    nginx_write_file(&nginx_group, name, data, n);
}

static int group_setup(void **state)
{
    nginx_group_setup(state);
    snprintf(s_dir, sizeof(s_dir), "/tmp/portls-ota-XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    FILE *f = fopen(path_in("partitions.csv"), "w");
    fputs("nvs,      data, nvs,     ,  0x4000,\n"
          "otadata,  data, ota,     ,  0x2000,\n"
          "phy_init, data, phy,     ,  0x1000,\n"
          "factory,  app,  factory, ,  1M,\n"
          "ota_0,    app,  ota_0,   ,  1M,\n"
          "ota_1,    app,  ota_1,   ,  1M,\n", f);
    fclose(f);
    wrap("app1.bin", "1.0", 1000);
    wrap("app2.bin", "2.0", 40000);
    wrap("big2.bin", "2.0", 1000000);
    wrap("slow2.bin", "2.0", 24000);
    serve("app2.bin");
    serve("big2.bin");
    serve("slow2.bin");
    FILE *bad = fopen(path_in("app2.bin"), "rb");
    static char image[65536];
    size_t n = fread(image, 1, sizeof(image), bad);
    fclose(bad);
    image[n - 1] ^= 1; /* the SHA-256 */
    nginx_write_file(&nginx_group, "bad.bin", image, n);
    setenv("PORTLS_LOG_LEVEL", "info", 1); /* the examples' logs are what they say */
    return 0;
}

static int group_teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s_dir);
    assert_int_equal(system(cmd), 0);
    return nginx_group_teardown(state);
}

/* A new flash.img: the table above, app1.bin in factory. */
static int setup(void **state)
{
    (void)state;
    unlink(path_in("flash.img.resume"));
    tool((const char *[]){ "flash", "create", "--table", path_in("partitions.csv"), "-o", path_in("flash.img"), NULL }, 0);
    tool((const char *[]){ "flash", "write", path_in("flash.img"), "factory", path_in("app1.bin"), NULL }, 0);
    return 0;
}

static int run(const char *const argv[], char *out, size_t len)
{
    return run_program(argv, NULL, out, len);
}

static void expect_in(const char *out, const char *text)
{
    if (strstr(out, text) == NULL) {
        fail_msg("no \"%s\" in:\n%s", text, out);
    }
}

/* The lines of out, in this order (others may come between). */
static void expect_in_order(const char *out, const char *const lines[])
{
    for (const char *p = out; *lines != NULL; lines++) {
        const char *at = strstr(p, *lines);
        if (at == NULL) {
            fail_msg("no \"%s\" after the earlier lines in:\n%s", *lines, out);
        }
        p = at + strlen(*lines);
    }
}

/* The access log's line that contains marker, once there is one (nginx may write it late). */
static nginx_access_t wait_access(const char *marker)
{
    nginx_access_t log[4];
    esp_deadline_t until = esp_deadline_in_ms(10000);
    int n;
    while ((n = nginx_accesses(&nginx_group, marker, log, 4)) < 1 && !esp_deadline_expired(until)) {
        usleep(10000);
    }
    if (n != 1) {
        fail_msg("%d requests with \"%s\"", n, marker);
    }
    return log[0];
}

static esp_ota_select_entry_t active_entry(void)
{
    esp_ota_select_entry_t two[2];
    FILE *f = fopen(path_in("flash.img"), "rb");
    assert_int_equal(fseek(f, OTADATA, SEEK_SET), 0);
    assert_int_equal(fread(&two[0], sizeof(two[0]), 1, f), 1);
    assert_int_equal(fseek(f, OTADATA + 0x1000, SEEK_SET), 0);
    assert_int_equal(fread(&two[1], sizeof(two[1]), 1, f), 1);
    fclose(f);
    return two[1].ota_seq != 0xFFFFFFFF && two[1].ota_seq > two[0].ota_seq ? two[1] : two[0];
}

static void test_portls_ota(void **state)
{
    (void)state;
    char out[16384];
    const char *argv[] = { PORTLS_TOOL, "ota", url_of("app2.bin"), "--flash", path_in("flash.img"), "--cacert",
                           cert_path("ca.pem"), NULL };
    assert_int_equal(run(argv, out, sizeof(out)), 0);
    const char *lines[] = { "booted: factory (1.0)\n", "event ESP_HTTPS_OTA_START\n", "event ESP_HTTPS_OTA_CONNECTED\n",
                            "event ESP_HTTPS_OTA_VERIFY_CHIP_ID: chip id 0 (esp32)\n",
                            "event ESP_HTTPS_OTA_VERIFY_CHIP_REVISION: needs chip revision v0.0 or later\n",
                            "event ESP_HTTPS_OTA_WRITE_FLASH: ", "event ESP_HTTPS_OTA_UPDATE_BOOT_PARTITION: subtype 0x10\n",
                            "event ESP_HTTPS_OTA_FINISH\n", "next boot: ota_0 (2.0)\n", NULL };
    expect_in_order(out, lines);
    char total[96];
    FILE *f = fopen(path_in("app2.bin"), "rb");
    fseek(f, 0, SEEK_END);
    snprintf(total, sizeof(total), "event ESP_HTTPS_OTA_WRITE_FLASH: %ld bytes written\nevent ESP_HTTPS_OTA_UPDATE", ftell(f));
    fclose(f);
    expect_in(out, total); /* the last count before the next event is the whole image */
    esp_ota_select_entry_t e = active_entry();
    assert_int_equal(e.ota_seq, 1);
    assert_int_equal(e.ota_state, ESP_OTA_IMG_NEW);
}

static void test_portls_ota_failures(void **state)
{
    (void)state;
    char out[16384];
    const char *bad[] = { PORTLS_TOOL, "ota", url_of("bad.bin"), "--flash", path_in("flash.img"), "--cacert",
                          cert_path("ca.pem"), NULL };
    assert_int_equal(run(bad, out, sizeof(out)), 1);
    expect_in(out, "Image hash failed - image is corrupt");
    expect_in(out, "portls ota: the update failed: ESP_ERR_OTA_VALIDATE_FAILED\n");
    expect_in(out, "next boot: factory (1.0), unchanged\n");
    char plain[128];
    snprintf(plain, sizeof(plain), "http://localhost:%d/app2.bin", nginx_group.http_port);
    const char *http[] = { PORTLS_TOOL, "ota", plain, "--flash", path_in("flash.img"), NULL };
    assert_int_equal(run(http, out, sizeof(out)), 1);
    expect_in(out, "OTA over plain http is refused");
    const char *no_ca[] = { PORTLS_TOOL, "ota", url_of("app2.bin"), "--flash", path_in("flash.img"), NULL };
    assert_int_equal(run(no_ca, out, sizeof(out)), 1); /* the built-in bundle does not know the test CA */
    expect_in(out, "ESP_ERR_HTTP_CONNECT");
    const char *no_flash[] = { PORTLS_TOOL, "ota", url_of("app2.bin"), "--flash", path_in("none.img"), NULL };
    assert_int_equal(run(no_flash, out, sizeof(out)), 1);
    expect_in(out, "cannot map");
    const char *usage[] = { PORTLS_TOOL, "ota", url_of("app2.bin"), NULL };
    assert_int_equal(run(usage, out, sizeof(out)), 2);
    const char *partial[] = { PORTLS_TOOL, "ota", "x", "--flash", "f", "--partial", "0", NULL };
    assert_int_equal(run(partial, out, sizeof(out)), 2);
    assert_int_equal(active_entry().ota_seq, 0xFFFFFFFF);
}

/* On a terminal (script's pty) the download draws a bar, at most about 10 times a second. */
static void test_portls_ota_progress_bar(void **state)
{
    (void)state;
    char command[1024];
    snprintf(command, sizeof(command), "%s ota %s --flash %s --cacert %s", PORTLS_TOOL, url_of("big2.bin"),
             path_in("flash.img"), cert_path("ca.pem"));
    const char *argv[] = { "script", "-q", "-e", "-c", command, "/dev/null", NULL };
    static char out[262144];
    int64_t start = esp_deadline_now_ms();
    assert_int_equal(run_program(argv, NULL, out, sizeof(out)), 0);
    double seconds = (double)(esp_deadline_now_ms() - start) / 1000;
    int redraws = 0;
    for (const char *p = out; (p = strstr(p, "\r[")) != NULL; p++) {
        redraws++;
    }
    print_message("%d redraws in %.2f s\n", redraws, seconds);
    char done[64];
    FILE *f = fopen(path_in("big2.bin"), "rb");
    fseek(f, 0, SEEK_END);
    snprintf(done, sizeof(done), "100%% %ld/%ld bytes", ftell(f), ftell(f));
    fclose(f);
    expect_in(out, done);
    expect_in(out, "next boot: ota_0 (2.0)");
    assert_true(redraws >= 1);
    assert_true(redraws <= 2 + (int)(seconds * 10)); /* 245 writes: without the limit, a redraw each */
}

static long resume_count(void)
{
    long n = -1;
    char url[512];
    FILE *f = fopen(path_in("flash.img.resume"), "r");
    if (f != NULL) {
        if (fgets(url, sizeof(url), f) == NULL || fscanf(f, "%ld", &n) != 1) {
            n = -1;
        }
        fclose(f);
    }
    return n;
}

/* --resume: killed with SIGKILL half-way, the same command goes on with the rest. */
static void test_portls_ota_resume(void **state)
{
    (void)state;
    char url[256], flash[256];
    snprintf(url, sizeof(url), "%s", url_of("slow/slow2.bin")); /* 16 KiB/s */
    /* a copy: resume_count()'s path_in() calls reuse its ring of buffers while the test waits */
    snprintf(flash, sizeof(flash), "%s", path_in("flash.img"));
    const char *argv[] = { PORTLS_TOOL, "ota", url, "--flash", flash, "--cacert",
                           cert_path("ca.pem"), "--resume", NULL };
    peer_t child;
    assert_int_equal(peer_spawn(&child, argv, "/dev/null"), 0);
    esp_deadline_t deadline = esp_deadline_in_ms(60000);
    while (resume_count() < 4096 && !esp_deadline_expired(deadline)) {
        usleep(20000);
    }
    assert_int_equal(kill(child.pid, SIGKILL), 0);
    peer_wait(&child);
    long from = resume_count();
    assert_true(from >= 4096);
    char out[16384];
    assert_int_equal(run(argv, out, sizeof(out)), 0);
    expect_in(out, "next boot: ota_0 (2.0)\n");
    assert_int_equal(access(path_in("flash.img.resume"), F_OK), -1); /* done: nothing left to resume */
    char range[48];
    snprintf(range, sizeof(range), "range=bytes=%ld- ", from);
    assert_int_equal(wait_access(range).status, 206);
}

static void test_portls_ota_partial(void **state)
{
    (void)state;
    char out[16384];
    const char *argv[] = { PORTLS_TOOL, "ota", url_of("app2.bin"), "--flash", path_in("flash.img"), "--cacert",
                           cert_path("ca.pem"), "--partial", "16384", NULL };
    assert_int_equal(run(argv, out, sizeof(out)), 0);
    expect_in(out, "next boot: ota_0 (2.0)\n");
    nginx_access_t a = wait_access("range=bytes=32768- ");
    assert_int_equal(a.status, 206);
    assert_int_equal(wait_access("range=bytes=0-16383 ").connection, a.connection); /* one connection */
}

/* ---- the examples ---- */

static void run_example(const char *exe, const char *extra[], char *out, size_t len)
{
    const char *argv[8] = { exe, url_of("app2.bin"), cert_path("ca.pem") };
    int n = 3;
    for (int i = 0; extra != NULL && extra[i] != NULL; i++) {
        argv[n++] = extra[i];
    }
    argv[n] = NULL;
    setenv("PORTLS_FLASH", path_in("flash.img"), 1);
    int status = run_program(argv, NULL, out, len);
    unsetenv("PORTLS_FLASH");
    if (status != 0) {
        fail_msg("%s: status %d\n%s", exe, status, out);
    }
}

static void test_simple_ota_example(void **state)
{
    (void)state;
    static char out[65536];
    run_example(EXAMPLE_SIMPLE, NULL, out, sizeof(out));
    const char *lines[] = { "simple_ota_example: SHA-256 for current firmware: ", "Attempting to download update from",
                            "OTA Succeed, Rebooting...", "boot: Loaded app from partition at offset 0x110000",
                            "simple_ota_example: Running the new firmware 2.0 from ota_0: confirmed", NULL };
    expect_in_order(out, lines);
    assert_int_equal(active_entry().ota_state, ESP_OTA_IMG_VALID);
}

static void test_advanced_https_ota_example(void **state)
{
    (void)state;
    static char out[65536];
    run_example(EXAMPLE_ADVANCED, (const char *[]){ "--partial", "8192", NULL }, out, sizeof(out));
    /* the app's own lines in order; the event handler's come from the event loop's thread */
    const char *lines[] = { "Running firmware version: 1.0", "ESP_HTTPS_OTA upgrade successful. Rebooting ...",
                            "App is valid, rollback cancelled successfully", "Running firmware version: 2.0",
                            "Current running version is the same as a new. We will not continue the update.", NULL };
    expect_in_order(out, lines);
    expect_in(out, "OTA started");
    expect_in(out, "Connected to server");
    expect_in(out, "Reading Image Description");
    expect_in(out, "Verifying chip id of new image: 0");
    assert_int_equal(active_entry().ota_state, ESP_OTA_IMG_VALID);
}

/* The advanced example's resumption: 8 KiB written before a reboot, and its record of them. */
static void test_advanced_https_ota_example_resumes(void **state)
{
    (void)state;
    FILE *in = fopen(path_in("app2.bin"), "rb"), *flash = fopen(path_in("flash.img"), "r+b");
    static char head[8192];
    assert_int_equal(fread(head, 1, sizeof(head), in), sizeof(head));
    assert_int_equal(fseek(flash, 0x110000, SEEK_SET), 0); /* ota_0 */
    assert_int_equal(fwrite(head, 1, sizeof(head), flash), sizeof(head));
    fclose(in);
    fclose(flash);
    FILE *record = fopen(path_in("ota_resumption"), "w");
    fprintf(record, "%s\n8\n", url_of("app2.bin"));
    fclose(record);
    static char out[65536];
    run_example(EXAMPLE_ADVANCED, (const char *[]){ "--resume", path_in("ota_resumption"), NULL }, out, sizeof(out));
    const char *lines[] = { "esp_https_ota: Valid OTA resumption case, offset 8192",
                            "ESP_HTTPS_OTA upgrade successful. Rebooting ...", "App is valid, rollback cancelled successfully",
                            NULL };
    expect_in_order(out, lines);
    assert_int_equal(wait_access("range=bytes=8192- ").status, 206);
}

static void test_native_ota_example(void **state)
{
    (void)state;
    static char out[65536];
    run_example(EXAMPLE_NATIVE, NULL, out, sizeof(out));
    const char *lines[] = { "Running partition type 0 subtype 0 (offset 0x00010000)", "New firmware version: 2.0",
                            "esp_ota_begin succeeded", "Prepare to restart system!",
                            "Diagnostics completed successfully! Continuing execution ...",
                            "Current running version is the same as a new. We will not continue the update.", NULL };
    expect_in_order(out, lines);
    assert_int_equal(active_entry().ota_state, ESP_OTA_IMG_VALID);
}

/* The diagnostic fails: the new firmware refuses itself, the previous one boots and will not take
 * that version again. */
static void test_native_ota_example_rolls_back(void **state)
{
    (void)state;
    static char out[65536];
    setenv("EXAMPLE_GPIO_DIAGNOSTIC", "0", 1);
    run_example(EXAMPLE_NATIVE, NULL, out, sizeof(out));
    unsetenv("EXAMPLE_GPIO_DIAGNOSTIC");
    const char *lines[] = { "Prepare to restart system!", "Diagnostics failed! Start rollback to the previous version ...",
                            "boot: Loaded app from partition at offset 0x10000", "Last invalid firmware version: 2.0",
                            "New version is the same as invalid version.", NULL };
    expect_in_order(out, lines);
    assert_int_equal(active_entry().ota_state, ESP_OTA_IMG_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_portls_ota, setup),
        cmocka_unit_test_setup(test_portls_ota_failures, setup),
        cmocka_unit_test_setup(test_portls_ota_progress_bar, setup),
        cmocka_unit_test_setup(test_portls_ota_resume, setup),
        cmocka_unit_test_setup(test_portls_ota_partial, setup),
        cmocka_unit_test_setup(test_simple_ota_example, setup),
        cmocka_unit_test_setup(test_advanced_https_ota_example, setup),
        cmocka_unit_test_setup(test_advanced_https_ota_example_resumes, setup),
        cmocka_unit_test_setup(test_native_ota_example, setup),
        cmocka_unit_test_setup(test_native_ota_example_rolls_back, setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
