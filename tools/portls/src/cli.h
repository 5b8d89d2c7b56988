/* What the subcommands share: option parsing and loading the files they are given. */
#pragma once

#include <getopt.h>
#include <stddef.h>

#include "cert_file.h"

/* The subcommand's handler for one option: 0 to go on, or an exit status + 1 to stop. */
typedef int (*cli_option_fn)(int opt, char *arg, void *ctx);

/* getopt_long over argv with short_options ("" for long ones only). @return 0 when every option
 * was handled (optind then indexes the operands), or the exit status + 1 a handler asked for. */
int cli_parse(int argc, char **argv, const char *short_options, const struct option *options, cli_option_fn handle,
              void *ctx);

/* arg as a whole decimal number in [min, max] into *out. Anything else (empty, trailing text,
 * out of range) is refused on stderr naming cmd, the flag and the value. @return 0 or -1. */
int cli_number(const char *cmd, const char *flag, const char *arg, long min, long max, long *out);

/* Loads path into f if path is not NULL; says why not on stderr, prefixed with cmd.
 * @return 0 or -1. */
int cli_load(const char *cmd, const char *path, cert_file_t *f);

/* What the tools verify a server with when given no CA: NULL when the build has the built-in
 * certificate bundle (they attach it), else the system's trust store, ESP_TLS_SYSTEM_TRUST_STORE
 * (a build on a system mbedTLS without the trusted-certificate callback has no bundle). */
const char *cli_default_ca_file(void);

/* Writes len bytes to path (created or truncated); says why not on stderr, prefixed with cmd.
 * @return 0 or -1. */
int cli_write_file(const char *cmd, const char *path, const void *data, size_t len);
