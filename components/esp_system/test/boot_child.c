/*
 * A device's app for the restart and power-cut tests: boots from the flash file, says what it
 * booted, then does what its arguments ask.
 *   boot_child FLASH [--cut N] OP...
 * Prints "boot LABEL VERSION verified|unverified pid=PID" ("boot none" when nothing booted), then
 * one line per operation. --cut N cuts the power after N flash cycles (esp_partition_fail_after),
 * counted from before the boot. Operations:
 *   set-boot=N   make OTA slot N boot next       mark-valid   confirm the running app
 *   args         print the arguments             handlers     register two shutdown handlers
 *   keep-fd=PATH first boot: open PATH and note its descriptor in PATH.fd; later: is it open?
 *   scribble     overwrite the argument strings before it
 *   restart-once=MARKER  restart unless MARKER exists (then create it)
 * Other arguments are ignored (and said so).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esp_image_format.h"
#include "esp_partition.h"
#include "esp_private/partition_linux.h"
#include "esp_system.h"
#include "portls_boot.h"
#include "portls_partition.h"

static void print_boot(void)
{
    const esp_partition_t *running = portls_partition_get_running();
    if (running == NULL) {
        printf("boot none pid=%d\n", (int)getpid());
        return;
    }
    esp_partition_pos_t pos = { running->address, running->size };
    esp_image_metadata_t md;
    bool verified = esp_image_verify(ESP_IMAGE_VERIFY_SILENT, &pos, &md) == ESP_OK;
    printf("boot %s %s %s pid=%d\n", running->label, esp_app_get_description()->version,
           verified ? "verified" : "unverified", (int)getpid());
}

static void handler_1(void)
{
    printf("handler 1\n");
}

static void handler_2(void)
{
    printf("handler 2\n");
}

static void keep_fd(const char *path)
{
    char note[4096];
    snprintf(note, sizeof(note), "%s.fd", path);
    FILE *f = fopen(note, "r");
    int fd;
    if (f != NULL && fscanf(f, "%d", &fd) == 1) {
        printf("fd %s\n", fcntl(fd, F_GETFD) == -1 ? "closed" : "open");
        fclose(f);
        return;
    }
    fd = open(path, O_RDONLY); /* not close-on-exec */
    f = fopen(note, "w");
    fprintf(f, "%d\n", fd);
    fclose(f);
}

static void restart_once(const char *marker)
{
    if (access(marker, F_OK) == 0) {
        return;
    }
    fclose(fopen(marker, "w"));
    printf("restart\n");
    esp_restart();
}

static void otadata_op(const char *op)
{
    bootloader_state_t bs;
    esp_err_t err = ESP_FAIL;
    if (bootloader_utility_load_partition_table(&bs)) {
        err = strcmp(op, "mark-valid") == 0 ? portls_otadata_mark_active(&bs, ESP_OTA_IMG_VALID)
                                            : portls_otadata_set_boot(&bs, (uint32_t)atoi(op + strlen("set-boot=")));
    }
    printf("%s %s\n", op, err == ESP_OK ? "ok" : "failed");
}

static void print_args(int argc, char **argv)
{
    printf("args");
    for (int j = 0; j < argc; j++) {
        printf(" [%s]", argv[j]);
    }
    printf("\n");
}

static void scribble(char **argv, int upto)
{
    for (int j = 1; j < upto; j++) {
        memset(argv[j], 'X', strlen(argv[j]));
    }
}

static void register_handlers(void)
{
    esp_register_shutdown_handler(handler_1);
    esp_register_shutdown_handler(handler_2);
}

/* One operation; false if op is none of those taking an argument after '='. */
static bool run_prefixed(const char *op)
{
    if (strncmp(op, "keep-fd=", 8) == 0) {
        keep_fd(op + 8);
    } else if (strncmp(op, "restart-once=", 13) == 0) {
        restart_once(op + 13);
    } else if (strncmp(op, "set-boot=", 9) == 0) {
        otadata_op(op);
    } else {
        return false;
    }
    return true;
}

static void run(int argc, char **argv, int i)
{
    for (; i < argc; i++) {
        const char *op = argv[i];
        if (strcmp(op, "args") == 0) {
            print_args(argc, argv);
        } else if (strcmp(op, "handlers") == 0) {
            register_handlers();
        } else if (strcmp(op, "scribble") == 0) {
            scribble(argv, i);
        } else if (strcmp(op, "mark-valid") == 0) {
            otadata_op(op);
        } else if (!run_prefixed(op)) {
            printf("ignored [%s]\n", op);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: boot_child FLASH [--cut N] OP...\n");
        return 2;
    }
    setenv("PORTLS_FLASH", argv[1], 1);
    int i = 2;
    if (i + 1 < argc && strcmp(argv[i], "--cut") == 0) {
        esp_partition_fail_after((size_t)atoi(argv[i + 1]), ESP_PARTITION_FAIL_AFTER_MODE_BOTH);
        i += 2;
    }
    print_boot();
    run(argc, argv, i);
    return 0;
}
