/* portls: the command-line face of the stack. */
#include <stdio.h>
#include <string.h>

#include "mbedtls/version.h"

#include "commands.h"
#include "portls_build_info.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    { "connect", cmd_connect, "connect HOST:PORT over TLS and report what was negotiated" },
    { "serve", cmd_serve, "a TLS server (echo or HTTP status page) on ESP-TLS server sessions" },
    { "get", cmd_get, "an HTTP(S) request with esp_http_client, curl's flags for the same things" },
    { "mqtt", cmd_mqtt, "MQTT sub or pub with the esp-mqtt client, mosquitto_sub's and _pub's flags" },
    { "diagnose", cmd_diagnose, "what a device meets at HOST:PORT, each finding with its Kconfig fix" },
    { "bundle", cmd_bundle, "build or list a certificate bundle (esp_crt_bundle format)" },
    { "flash", cmd_flash, "make, inspect and change a flash image file (partition table, otadata, apps)" },
    { "image", cmd_image, "wrap a payload into an app image, or check and show one (esptool image_info)" },
    { "ota", cmd_ota, "update the app in a flash image file over HTTPS (esp_https_ota)" },
};

static int usage(FILE *out)
{
    fputs("usage: portls COMMAND [OPTIONS]\n\ncommands:\n", out);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    }
    fputs("\n'portls COMMAND --help' describes a command; 'portls --version' what portls is built on.\n", out);
    return out == stdout ? 0 : 2;
}

/* The portls version, and which mbedTLS the build was made of: version, source package, the
 * tarballs' SHA-256, the patches, and whether the suite was verified on it; then the build's
 * options, as its sdkconfig.h has them. */
static int version(void)
{
    printf("portls %s\n%s", PORTLS_VERSION, PORTLS_MBEDTLS_BUILD_INFO);
#ifdef MBEDTLS_VERSION_C
    char running[18];
    mbedtls_version_get_string_full(running);
    printf("  at run time: %s\n", running);
#endif
    fputs(PORTLS_BUILD_OPTIONS, stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        return usage(stderr);
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        return usage(stdout);
    }
    if (strcmp(argv[1], "--version") == 0) {
        return version();
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            return commands[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "portls: unknown command '%s'\n", argv[1]);
    return usage(stderr);
}
