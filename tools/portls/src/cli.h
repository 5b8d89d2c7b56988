/* What the subcommands share: option parsing and loading the files they are given. */
#pragma once

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#include "cert_file.h"

/* The subcommand's handler for one option: 0 to go on, or an exit status + 1 to stop. */
typedef int (*cli_option_fn)(int opt, char *arg, void *ctx);

/* getopt_long over argv with short_options ("" for long ones only). @return 0 when every option
 * was handled (optind then indexes the operands), or the exit status + 1 a handler asked for.
 * cli_parse_fields() does the handling from a table. */
int cli_parse(int argc, char **argv, const char *short_options, const struct option *options, cli_option_fn handle,
              void *ctx);

/* What an option does with its argument, for cli_parse_fields(). */
typedef enum {
    CLI_TEXT,  /* the argument into a const char * field */
    CLI_TRUE,  /* true into a bool field */
    CLI_FALSE, /* false into a bool field */
    CLI_VALUE, /* .min into an int (or enum) field: --tls1.2, say */
    CLI_INT,   /* cli_number() in [.min, .max] into an int field */
    CLI_LONG,  /* cli_number() in [.min, .max] into a long field */
    CLI_CALL,  /* .call(ctx, arg): 0 to go on, or an exit status + 1 */
    CLI_HELP,  /* the usage on stdout, exit 0 */
} cli_kind_t;

typedef struct {
    int opt;          /* getopt_long's value for the option; 0 ends a table */
    cli_kind_t kind;
    size_t offset;    /* of the field in the command's options (offsetof) */
    long min, max;
    int (*call)(void *ctx, char *arg);
} cli_field_t;

/* A table's rows, every member given (-Wmissing-field-initializers). */
#define CLI_FIELD(opt, kind, offset) { (opt), (kind), (offset), 0, 0, NULL }
#define CLI_NUMBER(opt, kind, offset, min, max) { (opt), (kind), (offset), (min), (max), NULL }
#define CLI_SETS(opt, offset, value) { (opt), CLI_VALUE, (offset), (value), 0, NULL }
#define CLI_FN(opt, fn) { (opt), CLI_CALL, 0, 0, 0, (fn) }
#define CLI_HELP_ROW(opt) { (opt), CLI_HELP, 0, 0, 0, NULL }
#define CLI_END { 0, CLI_TEXT, 0, 0, 0, NULL }

/* A command's options: getopt_long's tables, what each does, and its usage (0 on stdout, 2 on
 * stderr, as the exit status). */
typedef struct {
    const char *cmd;  /* "connect", "mqtt": names the command in messages */
    const char *short_options;
    const struct option *options;
    const cli_field_t *fields;
    int (*usage)(FILE *out);
} cli_spec_t;

/* cli_parse() with spec's tables, spec->fields doing the work: an option the table lacks is a
 * usage error; a number that is not one is refused naming the flag as the user may spell it
 * ("-p/--port", "--timeout") and the value. @return 0 (optind indexes the operands), or the exit
 * status + 1 (2 for bad usage). */
int cli_parse_fields(int argc, char **argv, const cli_spec_t *spec, void *ctx);

/* arg as a whole number in [min, max] into *out: decimal, or hexadecimal after 0x. Anything else
 * (empty, trailing text, out of range) is refused on stderr naming cmd, the flag and the value.
 * @return 0 or -1. */
int cli_number(const char *cmd, const char *flag, const char *arg, long min, long max, long *out);

/* HOST:PORT, with [v6addr]:PORT for IPv6, into host (size bytes, NUL-terminated, brackets
 * removed) and *port. Says why not on stderr, prefixed with cmd. @return 0 or -1. */
int cli_host_port(const char *cmd, const char *arg, char *host, size_t size, int *port);

/* Splits list at commas, in place, into out[0..max-1] followed by NULL (out has max + 1 slots).
 * More than max entries is refused on stderr, prefixed with cmd. @return 0 or -1. */
int cli_alpn_list(const char *cmd, char *list, char **out, int max);

/* Loads path into f if path is not NULL; says why not on stderr, prefixed with cmd.
 * @return 0 or -1. */
int cli_load(const char *cmd, const char *path, cert_file_t *f);

/* What the tools verify a server with when given no CA: NULL when the build has the built-in
 * certificate bundle (they attach it), else the system's trust store, ESP_TLS_SYSTEM_TRUST_STORE
 * (a build on a system mbedTLS without the trusted-certificate callback has no bundle). */
const char *cli_default_ca_file(void);

/* Where a client's trust comes from: what verification failures are reported against. */
typedef enum {
    CLI_TRUST_BUILTIN, /* the built-in bundle */
    CLI_TRUST_SYSTEM,  /* the system trust store (a build without a bundle) */
    CLI_TRUST_CACERT,  /* --cacert (mqtt: --cafile) */
    CLI_TRUST_CAPATH,  /* --capath */
    CLI_TRUST_BUNDLE,  /* --bundle */
} cli_trust_kind_t;

typedef struct {
    cli_trust_kind_t kind;
    const char *path; /* the file or directory given; NULL for the built-in bundle */
} cli_trust_t;

/* The trust of --cacert, --capath or --bundle (at most one may be given, else a usage error on
 * stderr and -1), or the default (cli_default_ca_file()). */
int cli_trust_of(const char *cmd, const char *cacert, const char *capath, const char *bundle, cli_trust_t *out);

/* The trust in words, for reports: "--cacert ca.pem", "the built-in bundle (Mozilla's CA set)"... */
const char *cli_trust_text(const cli_trust_t *trust, char *buf, size_t len);

/* --bundle FILE: reads it into f and makes it the bundle esp_crt_bundle_attach() attaches. f
 * keeps the bytes, which must outlive every connection. @return 0, or -1 (said why on stderr:
 * unreadable, or not a valid bundle). */
int cli_use_bundle(const char *cmd, const char *path, cert_file_t *f);

/* Writes len bytes to path (created or truncated); says why not on stderr, prefixed with cmd.
 * @return 0 or -1. */
int cli_write_file(const char *cmd, const char *path, const void *data, size_t len);
