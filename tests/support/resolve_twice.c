/*
 * resolve_twice PORT NAME COMMAND: system_resolver.sh's one process across a configuration
 * change. A plain connect to NAME:PORT, which must fail to resolve; COMMAND, run by the shell,
 * which changes the resolver's configuration; the same connect again, which must succeed. The
 * process's resolver is made by the first connect, so the second one resolves under the new
 * configuration only if the change was seen. Exit 0 if both did as expected, else 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_tls.h"

/* A plain TCP connect to name:port. @return ESP_OK, or the error it left. */
static esp_err_t connect_once(const char *name, int port)
{
    esp_tls_cfg_t cfg = { .timeout_ms = 5000, .is_plain_tcp = true };
    esp_tls_t *tls = esp_tls_init();
    if (tls == NULL) {
        return ESP_ERR_NO_MEM;
    }
    esp_err_t err = ESP_OK;
    if (esp_tls_conn_new_sync(name, (int)strlen(name), port, &cfg, tls) != 1) {
        esp_tls_error_handle_t h = NULL;
        esp_tls_get_error_handle(tls, &h);
        err = esp_tls_get_and_clear_last_error(h, NULL, NULL);
    }
    esp_tls_conn_destroy(tls);
    return err;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s PORT NAME COMMAND\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    esp_err_t before = connect_once(argv[2], port);
    if (before != ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME) {
        fprintf(stderr, "before the change: %s, not ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME\n", esp_err_to_name(before));
        return 1;
    }
    if (system(argv[3]) != 0) {
        fprintf(stderr, "the command failed: %s\n", argv[3]);
        return 1;
    }
    esp_err_t after = connect_once(argv[2], port);
    if (after != ESP_OK) {
        fprintf(stderr, "after the change: %s\n", esp_err_to_name(after));
        return 1;
    }
    return 0;
}
