/*
 * nginx for the HTTP tests: a generated configuration in a scratch directory, loopback ports
 * chosen at start, run in the foreground as a child. The site is served over http on http_port
 * and over TLS on https_port and alt_port (a second origin of the same site). Locations:
 *   /hello.txt            "hello from nginx\n"
 *   /big.bin              NGINX_BIG_LEN bytes, byte i = i % 251
 *   /private/secret.txt   basic auth: user "portls", password "secret"
 *   /gzip.txt             gzip-encoded, hence chunked, for a client that accepts gzip
 *   /gzip/<file>          any file of the site, the same way (big.bin: several chunks)
 *   /post                 answers "<method> <content-length>" (a body of any size is read)
 *   /echo-auth            answers "auth=<Authorization> cookie=<Cookie>\n", as they arrived
 *   /goto?to=URL          302 to URL (any URL, for redirects to another host, port or scheme)
 *   /r301 /r302 /r303 /r307 /r308   redirects to /hello.txt (relative)
 *   /abs                  302 to https://localhost:<https>/hello.txt
 *   /downgrade            302 to http://localhost:<http>/hello.txt
 *   /loop                 302 to itself
 *   /chain1               301 /chain2, 307 https://localhost:<https>/chain3, 308 /hello.txt
 *   /chain-down           302 /downgrade, which leaves https for http
 *   /query-url            302 /hello.txt?from=http://example.invalid/x (relative, as sent)
 *   /netpath              302 //localhost:<http>/hello.txt (a network-path reference, as sent)
 *   /dots/a               302 ../hello.txt (relative, as sent)
 *   /host                 answers the request's Host header
 *   /norange/<file>       any file of the site, ignoring Range (always 200, the whole file)
 *   /redir/<path>         302 to /<path>: each /redir/ in front is one more redirect
 *   /slow/<file>          any file of the site, sent at 16 KiB/s
 *   /firstrange/<file>    any file of the site, taking a Range only from byte 0 (another: 200)
 * Every file answers HEAD, Range (206, or 416 past its end) and If-None-Match with its ETag (304),
 * as nginx serves static files.
 * The plain HTTP port listens on 127.0.0.1 and on [::1].
 *   /status/404 (any 404) a plain 404
 * On mtls_port, a TLS server that asks for a client certificate (verified against ca.pem):
 *   /mtls/...             200 "client <subject DN>\n" with a valid one, else 403 "<why>\n"
 * Every access is logged as "<connection serial> <request> <status> range=<Range header, - if none>
 * sent=<body bytes sent> <protocol>/<cipher> <r if the TLS session was resumed, else .>" in access.log.
 */
#pragma once

#include <stdbool.h>

#include "peer.h"

#define NGINX_BIG_LEN (1024 * 1024 + 17)

typedef struct {
    peer_t peer;
    int http_port;
    int https_port;
    int alt_port; /* the site over TLS again: another origin */
    int mtls_port;
    char dir[64];
    const char *tls13_suites; /* set before nginx_start(): the only TLS 1.3 suites offered (OpenSSL's names) */
} nginx_t;

/* Writes the configuration and files, and starts nginx (asserted). */
void nginx_start(nginx_t *n);

/* Adds a file under the site's root (asserted). */
void nginx_write_file(const nginx_t *n, const char *name, const void *data, size_t len);

/* Stops nginx and removes its directory. */
void nginx_stop(nginx_t *n);

/* cmocka group fixtures for a test program that shares one nginx: nginx_group. */
extern nginx_t nginx_group;
int nginx_group_setup(void **state);
int nginx_group_teardown(void **state);

/* One line of the access log. */
typedef struct {
    long connection; /* nginx's connection serial */
    bool resumed;    /* the TLS session was resumed */
    char cipher[64]; /* "TLSv1.3/TLS_AES_256_GCM_SHA384"; "/" for plain HTTP */
    int status;      /* the response's status */
    char range[48];  /* the request's Range header, "-" if none */
    long sent;       /* body bytes sent */
} nginx_access_t;

/* The access log's lines that contain marker, oldest first. @return how many (<= max). */
int nginx_accesses(const nginx_t *n, const char *marker, nginx_access_t *out, int max);
