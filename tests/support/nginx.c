#include "nginx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tls_test.h"

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void write_site(const char *dir)
{
    char www[128];
    snprintf(www, sizeof(www), "%s/www", dir);
    assert_int_equal(mkdir(www, 0755), 0);
    strcat(www, "/private");
    assert_int_equal(mkdir(www, 0755), 0);
    write_file(dir, "www/hello.txt", "hello from nginx\n", 17);
    write_file(dir, "www/private/secret.txt", "the secret\n", 11);
    write_file(dir, "htpasswd", "portls:{PLAIN}secret\n", 21);
    static char text[4096];
    for (size_t i = 0; i < sizeof(text); i++) {
        text[i] = "compressible text "[i % 18];
    }
    write_file(dir, "www/gzip.txt", text, sizeof(text));
    unsigned char *big = malloc(NGINX_BIG_LEN);
    assert_non_null(big);
    for (size_t i = 0; i < NGINX_BIG_LEN; i++) {
        big[i] = (unsigned char)(i % 251);
    }
    write_file(dir, "www/big.bin", big, NGINX_BIG_LEN);
    free(big);
}

static void write_config(const nginx_t *n)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/nginx.conf", n->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    const char *d = n->dir;
    char suites[160] = "";
    if (n->tls13_suites != NULL) {
        snprintf(suites, sizeof(suites), "ssl_conf_command Ciphersuites %s;", n->tls13_suites);
    }
    fprintf(f,
            "daemon off; master_process off; pid %s/nginx.pid; error_log %s/error.log;\n"
            "events { worker_connections 64; }\n"
            "http {\n"
            "  log_format conn '$connection $request $status range=$http_range sent=$body_bytes_sent "
            "$ssl_protocol/$ssl_cipher $ssl_session_reused';\n"
            "  access_log %s/access.log conn;\n"
            "  client_body_temp_path %s/tmp; proxy_temp_path %s/tmp; fastcgi_temp_path %s/tmp;\n"
            "  uwsgi_temp_path %s/tmp; scgi_temp_path %s/tmp;\n"
            "  default_type text/plain; keepalive_requests 100000; %s\n"
            "  server {\n"
            "    listen 127.0.0.1:%d; listen [::1]:%d; listen 127.0.0.1:%d ssl; listen 127.0.0.1:%d ssl;\n"
            "    ssl_certificate %s; ssl_certificate_key %s; ssl_protocols TLSv1.2 TLSv1.3;\n"
            "    root %s/www;\n"
            "    location /private/ { auth_basic portls; auth_basic_user_file %s/htpasswd; }\n"
            "    location = /gzip.txt { gzip on; gzip_types text/plain; gzip_min_length 1; }\n"
            "    location /gzip/ { gzip on; gzip_types *; gzip_min_length 1; alias %s/www/; }\n"
            "    location = /post { client_max_body_size 0; return 200 \"$request_method $content_length\"; }\n"
            "    location = /echo-auth { return 200 \"auth=$http_authorization cookie=$http_cookie\\n\"; }\n"
            "    location = /goto { return 302 $arg_to; }\n"
            "    location = /r301 { return 301 /hello.txt; }\n"
            "    location = /r302 { return 302 /hello.txt; }\n"
            "    location = /r303 { return 303 /hello.txt; }\n"
            "    location = /r307 { return 307 /hello.txt; }\n"
            "    location = /r308 { return 308 /hello.txt; }\n"
            "    location = /abs { return 302 https://localhost:%d/hello.txt; }\n"
            "    location = /downgrade { return 302 http://localhost:%d/hello.txt; }\n"
            "    location = /loop { return 302 /loop; }\n"
            "    location = /chain1 { return 301 /chain2; }\n"
            "    location = /chain2 { return 307 https://localhost:%d/chain3; }\n"
            "    location = /chain3 { return 308 /hello.txt; }\n"
            "    location = /chain-down { return 302 /downgrade; }\n"
            "    location = /query-url { absolute_redirect off; return 302 /hello.txt?from=http://example.invalid/x; }\n"
            "    location = /netpath { absolute_redirect off; return 302 //localhost:%d/hello.txt; }\n"
            "    location = /dots/a { absolute_redirect off; return 302 ../hello.txt; }\n"
            "    location = /host { return 200 $http_host; }\n"
            "    location /norange/ { max_ranges 0; alias %s/www/; }\n"
            "    location /redir/ { rewrite ^/redir/(.*)$ /$1 redirect; }\n"
            "    location /slow/ { limit_rate 16k; alias %s/www/; }\n"
            "    location /firstrange/ {\n"
            "      if ($http_range !~ \"^bytes=0-\") { rewrite ^/firstrange/(.*)$ /norange/$1 last; }\n"
            "      alias %s/www/;\n"
            "    }\n"
            "  }\n"
            "  server {\n"
            "    listen 127.0.0.1:%d ssl;\n"
            "    ssl_certificate %s; ssl_certificate_key %s; ssl_protocols TLSv1.2 TLSv1.3;\n"
            "    ssl_client_certificate %s; ssl_verify_client optional;\n"
            "    location /mtls/ {\n"
            "      if ($ssl_client_verify != SUCCESS) { return 403 \"$ssl_client_verify\\n\"; }\n"
            "      return 200 \"client $ssl_client_s_dn\\n\";\n"
            "    }\n"
            "  }\n"
            "}\n",
            d, d, d, d, d, d, d, d, suites, n->http_port, n->http_port, n->https_port, n->alt_port,
            cert_path("server_ec.pem"), cert_path("server_ec.key"), d, d, d, n->https_port, n->http_port, n->https_port,
            n->http_port, d, d, d, n->mtls_port,
            cert_path("server_ec.pem"), cert_path("server_ec.key"), cert_path("ca.pem"));
    fclose(f);
}

/* A free port none of the first taken ones has. */
static int next_free_port(int *const ports[], size_t taken)
{
    for (;;) {
        int port = peer_free_port();
        size_t i = 0;
        while (i < taken && *ports[i] != port) {
            i++;
        }
        if (i == taken) {
            return port;
        }
    }
}

void nginx_start(nginx_t *n)
{
    snprintf(n->dir, sizeof(n->dir), "/tmp/portls-nginx-XXXXXX");
    assert_non_null(mkdtemp(n->dir));
    char tmp[128];
    snprintf(tmp, sizeof(tmp), "%s/tmp", n->dir);
    assert_int_equal(mkdir(tmp, 0755), 0);
    int *ports[] = { &n->http_port, &n->https_port, &n->alt_port, &n->mtls_port };
    for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
        *ports[i] = next_free_port(ports, i);
    }
    write_site(n->dir);
    write_config(n);
    char conf[128];
    snprintf(conf, sizeof(conf), "%s/nginx.conf", n->dir);
    const char *argv[] = { PORTLS_NGINX, "-p", n->dir, "-c", conf, NULL };
    assert_int_equal(peer_start_on(&n->peer, "127.0.0.1", n->https_port, argv), 0);
}

void nginx_write_file(const nginx_t *n, const char *name, const void *data, size_t len)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/www", n->dir);
    write_file(path, name, data, len);
}

void nginx_stop(nginx_t *n)
{
    peer_stop(&n->peer);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", n->dir);
    assert_int_equal(system(cmd), 0);
}

/* "<serial> <request...> <status> range=<Range> sent=<body bytes> <protocol>/<cipher> <r|.>". */
static bool parse_access(char *line, nginx_access_t *a)
{
    line[strcspn(line, "\n")] = '\0';
    char *reused = strrchr(line, ' ');
    char *fields = strstr(line, " range=");
    if (reused == NULL || fields == NULL || fields - line < 4) {
        return false;
    }
    *reused++ = '\0';
    const char *cipher = strrchr(line, ' ');
    *a = (nginx_access_t){ .connection = strtol(line, NULL, 10), .resumed = reused[0] == 'r',
                           .status = atoi(fields - 3) };
    snprintf(a->cipher, sizeof(a->cipher), "%s", cipher != NULL ? cipher + 1 : "");
    if (sscanf(fields, " range=%47s sent=%ld", a->range, &a->sent) != 2) {
        return false;
    }
    return true;
}

int nginx_accesses(const nginx_t *n, const char *marker, nginx_access_t *out, int max)
{
    char path[128], line[512];
    snprintf(path, sizeof(path), "%s/access.log", n->dir);
    FILE *f = fopen(path, "r");
    int count = 0;
    while (f != NULL && count < max && fgets(line, sizeof(line), f) != NULL) {
        if (strstr(line, marker) != NULL && parse_access(line, &out[count])) {
            count++;
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    return count;
}

nginx_t nginx_group;

int nginx_group_setup(void **state)
{
    (void)state;
    nginx_start(&nginx_group);
    return 0;
}

int nginx_group_teardown(void **state)
{
    (void)state;
    nginx_stop(&nginx_group);
    return 0;
}
