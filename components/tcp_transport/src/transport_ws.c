/*
 * WebSocket (RFC 6455) over a parent transport: the upgrade, then frames. Client frames are
 * masked (section 5.3); server frames are read with their header parsed from a cursor, each
 * length checked before it is used.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifndef __linux__ /* a port supplies another source of random bytes for getrandom() */
#error "getrandom() (<sys/random.h>) is Linux's"
#endif
#include <sys/random.h>

#include "esp_log.h"
#include "esp_transport_internal.h"
#include "esp_transport_ws.h"
#include "esp_url.h"
#include "mbedtls/base64.h"
#include "mbedtls/sha1.h"

static const char *TAG = "transport_ws";

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define MAX_HEAD 4096        /* the upgrade response's head */
#define MAX_CONTROL 125      /* a control frame's payload (5.5) */
#define MASK_CHUNK 1024      /* payload masked this much at a time */
#define DEFAULT_USER_AGENT "ESP32 Websocket Client"

typedef struct {
    esp_transport_handle_t parent;
    char *path, *sub_protocol, *user_agent, *headers, *auth;
    char *response_headers;
    size_t response_headers_len;
    ws_header_hook_t header_hook;
    void *header_user_context;
    bool propagate_control_frames;
    bool close_sent;          /* ours went first: the server's CLOSE is its answer, not ours to answer */
    int http_status;
    char *redir_uri;
    /* the frame being read */
    int opcode;
    bool fin;
    int payload_len;
    int remaining;
    /* the upgrade response's head, then the bytes that came with it, read before the socket;
     * allocated for the upgrade and freed once they are read: an idle connection holds none */
    char *pending;
    int pending_len, pending_off;
} transport_ws_t;

static int ws_connect(esp_transport_handle_t t, const char *host, int port, int timeout_ms);

static transport_ws_t *ws_ctx(esp_transport_handle_t t)
{
    return t != NULL && t->_connect == ws_connect ? t->data : NULL;
}

/* ---- bytes from the server: what came with the head first, then the parent ---- */

static void drop_pending(transport_ws_t *ws)
{
    free(ws->pending);
    ws->pending = NULL;
    ws->pending_len = ws->pending_off = 0;
}

static int read_some(transport_ws_t *ws, char *buf, int len, int timeout_ms)
{
    if (ws->pending_off < ws->pending_len) {
        int n = ws->pending_len - ws->pending_off < len ? ws->pending_len - ws->pending_off : len;
        memcpy(buf, ws->pending + ws->pending_off, (size_t)n);
        ws->pending_off += n;
        if (ws->pending_off == ws->pending_len) {
            drop_pending(ws);
        }
        return n;
    }
    return esp_transport_read(ws->parent, buf, len, timeout_ms);
}

/* Exactly len bytes. @return len; 0 if none came within timeout_ms; < 0 on failure or a
 * timeout part-way. */
static int read_exact(transport_ws_t *ws, char *buf, int len, int timeout_ms)
{
    int got = 0;
    while (got < len) {
        int n = read_some(ws, buf + got, len - got, timeout_ms);
        if (n <= 0) {
            return got == 0 ? n : ERR_TCP_TRANSPORT_CONNECTION_FAILED;
        }
        got += n;
    }
    return got;
}

/* ---- the upgrade ---- */

/* key: 16 random bytes in base64; accept: base64(SHA-1(key + GUID)) (section 4.2.2). */
static bool make_key(char *key, size_t key_len)
{
    unsigned char random[16];
    size_t olen;
    return getrandom(random, sizeof(random), 0) == (ssize_t)sizeof(random) &&
           mbedtls_base64_encode((unsigned char *)key, key_len, &olen, random, sizeof(random)) == 0;
}

static bool expected_accept(const char *key, char *accept, size_t accept_len)
{
    char joined[128];
    unsigned char sha[20];
    size_t olen;
    snprintf(joined, sizeof(joined), "%s%s", key, WS_GUID);
    return mbedtls_sha1((const unsigned char *)joined, strlen(joined), sha) == 0 &&
           mbedtls_base64_encode((unsigned char *)accept, accept_len, &olen, sha, sizeof(sha)) == 0;
}

static bool send_upgrade(transport_ws_t *ws, const char *host, int port, const char *key, int timeout_ms)
{
    size_t len = 512 + strlen(ws->path) + strlen(host) + strlen(ws->user_agent) +
                 (ws->sub_protocol ? strlen(ws->sub_protocol) : 0) + (ws->auth ? strlen(ws->auth) : 0) +
                 (ws->headers ? strlen(ws->headers) : 0);
    char *req = malloc(len);
    if (req == NULL) {
        return false;
    }
    int n = snprintf(req, len, "GET %s HTTP/1.1\r\nConnection: Upgrade\r\nHost: ", ws->path);
    n += esp_url_format_host(req + n, len - (size_t)n, host, port); /* an IPv6 literal in brackets */
    n += snprintf(req + n, len - (size_t)n,
                  "\r\nUser-Agent: %s\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n",
                  ws->user_agent, key);
    if (ws->sub_protocol != NULL) {
        n += snprintf(req + n, len - (size_t)n, "Sec-WebSocket-Protocol: %s\r\n", ws->sub_protocol);
    }
    if (ws->auth != NULL) {
        n += snprintf(req + n, len - (size_t)n, "Authorization: %s\r\n", ws->auth);
    }
    n += snprintf(req + n, len - (size_t)n, "%s\r\n", ws->headers != NULL ? ws->headers : "");
    bool ok = esp_transport_write_all(ws->parent, req, n, timeout_ms) == n;
    free(req);
    return ok;
}

/* Reads the response head into ws->pending; bytes after it stay there for the first frame.
 * @return the head's length (its blank line included), or -1. */
static int read_head(transport_ws_t *ws, int timeout_ms)
{
    drop_pending(ws);
    ws->pending = malloc(MAX_HEAD);
    if (ws->pending == NULL) {
        ESP_LOGE(TAG, "no memory for the upgrade response");
        return -1;
    }
    while (ws->pending_len < MAX_HEAD - 1) {
        int n = esp_transport_read(ws->parent, ws->pending + ws->pending_len, MAX_HEAD - 1 - ws->pending_len, timeout_ms);
        if (n <= 0) {
            return -1;
        }
        ws->pending_len += n;
        ws->pending[ws->pending_len] = '\0';
        char *end = strstr(ws->pending, "\r\n\r\n");
        if (end != NULL) {
            return (int)(end - ws->pending) + 4;
        }
    }
    ESP_LOGE(TAG, "the upgrade response's head is larger than %d bytes", MAX_HEAD);
    return -1;
}

/* One header line: its name, and its value without the whitespace around it (RFC 7230, 3.2). */
typedef struct {
    const char *name, *value;
    size_t name_len, value_len;
} field_t;

static void trim(const char **begin, const char **end)
{
    while (*begin < *end && (**begin == ' ' || **begin == '\t')) {
        (*begin)++;
    }
    while (*end > *begin && ((*end)[-1] == ' ' || (*end)[-1] == '\t')) {
        (*end)--;
    }
}

static bool split_field(const char *line, size_t len, field_t *f)
{
    const char *colon = memchr(line, ':', len);
    if (colon == NULL) {
        return false;
    }
    const char *v = colon + 1, *end = line + len;
    trim(&v, &end);
    *f = (field_t){ .name = line, .name_len = (size_t)(colon - line), .value = v, .value_len = (size_t)(end - v) };
    return true;
}

/* text equals s, in any case (case_matters false) or exactly. */
static bool text_is(const char *text, size_t len, const char *s, bool case_matters)
{
    if (len != strlen(s)) {
        return false;
    }
    return case_matters ? memcmp(text, s, len) == 0 : strncasecmp(text, s, len) == 0;
}

/* A comma-separated list (RFC 7230, 7) holds token, in any case. */
static bool list_has(const char *value, size_t len, const char *token)
{
    const char *end = value + len;
    while (value < end) {
        const char *comma = memchr(value, ',', (size_t)(end - value));
        const char *item = value, *item_end = comma != NULL ? comma : end;
        trim(&item, &item_end);
        if (text_is(item, (size_t)(item_end - item), token, false)) {
            return true;
        }
        value = comma != NULL ? comma + 1 : end;
    }
    return false;
}

/* What the response's head says about the upgrade (RFC 6455, 4.1: the client's checks 2-4). */
typedef struct {
    int upgrade_lines, accept_lines;
    bool upgrade_ok;    /* Upgrade: websocket, in any case */
    bool connection_ok; /* a Connection list with the token Upgrade, in any case */
    bool accept_ok;     /* Sec-WebSocket-Accept: exactly the value our key calls for */
} upgrade_check_t;

static void check_field(const field_t *f, const char *accept, upgrade_check_t *c)
{
    if (text_is(f->name, f->name_len, "Upgrade", false)) {
        c->upgrade_lines++;
        c->upgrade_ok = text_is(f->value, f->value_len, "websocket", false);
    } else if (text_is(f->name, f->name_len, "Connection", false)) {
        c->connection_ok |= list_has(f->value, f->value_len, "Upgrade");
    } else if (text_is(f->name, f->name_len, "Sec-WebSocket-Accept", false)) {
        c->accept_lines++;
        c->accept_ok = text_is(f->value, f->value_len, accept, true);
    }
}

/* Why the head does not complete the upgrade, or NULL when it does. A field given twice is a
 * list (RFC 7230, 3.2.2), which "websocket" or the accept value never is. */
static const char *upgrade_refusal(const upgrade_check_t *c)
{
    if (c->accept_lines != 1 || !c->accept_ok) {
        return "no valid Sec-WebSocket-Accept";
    }
    if (c->upgrade_lines != 1 || !c->upgrade_ok) {
        return "no Upgrade: websocket";
    }
    return c->connection_ok ? NULL : "no Connection: Upgrade";
}

static void keep_response_header(transport_ws_t *ws, const char *line, size_t len, size_t *used)
{
    if (ws->header_hook != NULL) {
        ws->header_hook(ws->header_user_context, line, (int)len);
    }
    if (ws->response_headers != NULL && *used + len + 3 <= ws->response_headers_len) {
        memcpy(ws->response_headers + *used, line, len);
        memcpy(ws->response_headers + *used + len, "\r\n", 3);
        *used += len + 2;
    }
}

/* Walks the header lines: the hook, the copy, Location and the upgrade's checks. */
static void check_headers(transport_ws_t *ws, char *head, const char *accept, upgrade_check_t *c)
{
    size_t used = 0;
    for (char *line = strstr(head, "\r\n") + 2; line[0] != '\r'; line = strstr(line, "\r\n") + 2) {
        size_t len = (size_t)(strstr(line, "\r\n") - line);
        keep_response_header(ws, line, len, &used);
        field_t f;
        if (!split_field(line, len, &f)) {
            continue;
        }
        check_field(&f, accept, c);
        if (text_is(f.name, f.name_len, "Location", false)) {
            free(ws->redir_uri);
            ws->redir_uri = strndup(f.value, f.value_len);
        }
    }
}

static int upgrade(transport_ws_t *ws, const char *host, int port, int timeout_ms)
{
    char key[32], accept[32];
    if (!make_key(key, sizeof(key)) || !expected_accept(key, accept, sizeof(accept)) ||
        !send_upgrade(ws, host, port, key, timeout_ms)) {
        return -1;
    }
    int head_len = read_head(ws, timeout_ms);
    if (head_len < 0 || sscanf(ws->pending, "HTTP/1.%*d %d", &ws->http_status) != 1) {
        ESP_LOGE(TAG, "no HTTP answer to the upgrade");
        return -1;
    }
    upgrade_check_t check = { 0 };
    check_headers(ws, ws->pending, accept, &check);
    ws->pending_off = head_len; /* what follows the head is the first frame's */
    if (ws->pending_off == ws->pending_len) {
        drop_pending(ws);
    }
    if (ws->http_status != 101) {
        ESP_LOGE(TAG, "upgrade refused: HTTP %d", ws->http_status);
        return -1;
    }
    const char *refusal = upgrade_refusal(&check);
    if (refusal != NULL) {
        ESP_LOGE(TAG, "upgrade refused: HTTP 101, but %s", refusal);
        return -1;
    }
    return 0;
}

static int ws_connect(esp_transport_handle_t t, const char *host, int port, int timeout_ms)
{
    transport_ws_t *ws = t->data;
    ws->http_status = -1;
    ws->opcode = WS_TRANSPORT_OPCODES_NONE;
    ws->remaining = 0;
    ws->close_sent = false;
    if (esp_transport_connect(ws->parent, host, port, timeout_ms) != 0) {
        t->errors = ws->parent->errors;
        return -1;
    }
    if (upgrade(ws, host, port, timeout_ms) != 0) {
        esp_transport_close(ws->parent);
        return -1;
    }
    return 0;
}

/* ---- frames ---- */

/* Header: FIN|opcode, MASK|length (7, 16 or 64 bits), the mask key. @return its length. */
static int frame_header(uint8_t *h, int opcode, uint64_t len, const uint8_t mask[4])
{
    int n = 0;
    h[n++] = (uint8_t)opcode;
    if (len < 126) {
        h[n++] = (uint8_t)(0x80 | len);
    } else if (len <= 0xffff) {
        h[n++] = 0x80 | 126;
        h[n++] = (uint8_t)(len >> 8);
        h[n++] = (uint8_t)len;
    } else {
        h[n++] = 0x80 | 127;
        for (int shift = 56; shift >= 0; shift -= 8) {
            h[n++] = (uint8_t)(len >> shift);
        }
    }
    memcpy(h + n, mask, 4);
    return n + 4;
}

static int send_frame(transport_ws_t *ws, int opcode, const char *payload, int len, int timeout_ms)
{
    uint8_t mask[4], header[14];
    if (getrandom(mask, sizeof(mask), 0) != (ssize_t)sizeof(mask)) {
        return -1;
    }
    int header_len = frame_header(header, opcode, (uint64_t)len, mask);
    ws->close_sent |= (opcode & 0x0f) == WS_TRANSPORT_OPCODES_CLOSE;
    if (esp_transport_write_all(ws->parent, (const char *)header, header_len, timeout_ms) != header_len) {
        return -1;
    }
    char chunk[MASK_CHUNK];
    for (int done = 0; done < len;) {
        int n = len - done < MASK_CHUNK ? len - done : MASK_CHUNK;
        for (int i = 0; i < n; i++) {
            chunk[i] = (char)(payload[done + i] ^ mask[(done + i) % 4]);
        }
        if (esp_transport_write_all(ws->parent, chunk, n, timeout_ms) != n) {
            return -1;
        }
        done += n;
    }
    return len;
}

/* What RFC 6455 forbids in the header of a frame from the server, or NULL. */
static const char *frame_fault(const transport_ws_t *ws, int rsv, bool masked, uint64_t len)
{
    if (rsv != 0) {
        return "RSV bits set, and no extension was negotiated"; /* 5.2 */
    }
    if ((ws->opcode >= 0x3 && ws->opcode <= 0x7) || ws->opcode >= 0xb) {
        return "a reserved opcode"; /* 5.2 */
    }
    if (masked) {
        return "masked (a server never masks, 5.1)";
    }
    if (len > INT32_MAX) {
        return "longer than 2^31 bytes";
    }
    bool control = (ws->opcode & 0x08) != 0;
    if (control && (len > MAX_CONTROL || !ws->fin)) {
        return "a control frame longer than 125 bytes or fragmented (5.5)";
    }
    return NULL;
}

/* Reads a frame header. @return 1 read; 0 nothing within timeout_ms; < 0 failed. */
static int read_frame_header(transport_ws_t *ws, int timeout_ms)
{
    uint8_t h[8];
    int rc = read_exact(ws, (char *)h, 2, timeout_ms);
    if (rc <= 0) {
        return rc;
    }
    ws->fin = (h[0] & 0x80) != 0;
    ws->opcode = h[0] & 0x0f;
    int rsv = h[0] & 0x70;
    bool masked = (h[1] & 0x80) != 0;
    uint64_t len = h[1] & 0x7f;
    int extra = len == 126 ? 2 : len == 127 ? 8 : 0;
    if (extra > 0 && read_exact(ws, (char *)h, extra, timeout_ms) != extra) {
        return ERR_TCP_TRANSPORT_CONNECTION_FAILED;
    }
    for (int i = 0; i < extra; i++) {
        len = i == 0 ? h[0] : (len << 8) | h[i];
    }
    const char *fault = frame_fault(ws, rsv, masked, len);
    if (fault != NULL) {
        ESP_LOGE(TAG, "a malformed frame from the server: %s (opcode %d, length %llu)", fault, ws->opcode,
                 (unsigned long long)len);
        return ERR_TCP_TRANSPORT_CONNECTION_FAILED;
    }
    ws->payload_len = ws->remaining = (int)len;
    return 1;
}

/* A PING gets its PONG, a CLOSE its CLOSE (echoing the status code). @return 0, or < 0. */
static int answer_control(transport_ws_t *ws, int timeout_ms)
{
    char payload[MAX_CONTROL];
    int len = ws->remaining;
    if (len > 0 && read_exact(ws, payload, len, timeout_ms) != len) {
        return ERR_TCP_TRANSPORT_CONNECTION_FAILED;
    }
    ws->remaining = 0;
    if (ws->opcode == WS_TRANSPORT_OPCODES_PING) {
        return send_frame(ws, WS_TRANSPORT_OPCODES_PONG | WS_TRANSPORT_OPCODES_FIN, payload, len, timeout_ms) < 0 ? -1 : 0;
    }
    if (ws->opcode == WS_TRANSPORT_OPCODES_CLOSE && !ws->close_sent) {
        int code_len = len >= 2 ? 2 : 0;
        return send_frame(ws, WS_TRANSPORT_OPCODES_CLOSE | WS_TRANSPORT_OPCODES_FIN, payload, code_len, timeout_ms) < 0 ? -1 : 0;
    }
    return 0; /* a PONG */
}

static int ws_read(esp_transport_handle_t t, char *buffer, int len, int timeout_ms)
{
    transport_ws_t *ws = t->data;
    if (ws->remaining == 0) {
        int rc = read_frame_header(ws, timeout_ms);
        if (rc <= 0) {
            return rc;
        }
    }
    if ((ws->opcode & 0x08) != 0 && !ws->propagate_control_frames) {
        return answer_control(ws, timeout_ms);
    }
    if (ws->remaining == 0) {
        return 0; /* an empty frame: see the opcode */
    }
    int n = read_some(ws, buffer, ws->remaining < len ? ws->remaining : len, timeout_ms);
    if (n > 0) {
        ws->remaining -= n;
    }
    return n;
}

static int ws_write(esp_transport_handle_t t, const char *buffer, int len, int timeout_ms)
{
    return send_frame(t->data, WS_TRANSPORT_OPCODES_BINARY | WS_TRANSPORT_OPCODES_FIN, buffer, len, timeout_ms);
}

int esp_transport_ws_send_raw(esp_transport_handle_t t, ws_transport_opcodes_t opcode, const char *b, int len,
                              int timeout_ms)
{
    transport_ws_t *ws = ws_ctx(t);
    if (ws == NULL || len < 0 || (b == NULL && len > 0) || (opcode & ~(0x8f)) != 0) {
        return -1;
    }
    return send_frame(ws, (int)opcode, b, len, timeout_ms);
}

static int ws_poll_read(esp_transport_handle_t t, int timeout_ms)
{
    transport_ws_t *ws = t->data;
    if (ws->pending_off < ws->pending_len) {
        return ws->pending_len - ws->pending_off;
    }
    return esp_transport_poll_read(ws->parent, timeout_ms);
}

static int ws_poll_write(esp_transport_handle_t t, int timeout_ms)
{
    return esp_transport_poll_write(((transport_ws_t *)t->data)->parent, timeout_ms);
}

static int ws_close(esp_transport_handle_t t)
{
    transport_ws_t *ws = t->data;
    drop_pending(ws);
    ws->remaining = 0;
    return esp_transport_close(ws->parent);
}

static int ws_destroy(esp_transport_handle_t t)
{
    transport_ws_t *ws = t->data;
    free(ws->path);
    free(ws->sub_protocol);
    free(ws->user_agent);
    free(ws->headers);
    free(ws->auth);
    free(ws->redir_uri);
    free(ws->pending);
    free(ws);
    t->data = NULL;
    return 0;
}

static int ws_get_socket(esp_transport_handle_t t)
{
    return esp_transport_get_socket(((transport_ws_t *)t->data)->parent);
}

static esp_transport_handle_t ws_parent(esp_transport_handle_t t)
{
    return ((transport_ws_t *)t->data)->parent;
}

esp_transport_handle_t esp_transport_ws_init(esp_transport_handle_t parent_handle)
{
    if (parent_handle == NULL) {
        return NULL;
    }
    esp_transport_handle_t t = esp_transport_init();
    transport_ws_t *ws = calloc(1, sizeof(*ws));
    char *path = strdup("/"), *agent = strdup(DEFAULT_USER_AGENT);
    if (t == NULL || ws == NULL || path == NULL || agent == NULL) {
        free(t);
        free(ws);
        free(path);
        free(agent);
        return NULL;
    }
    *ws = (transport_ws_t){ .parent = parent_handle, .path = path, .user_agent = agent, .http_status = -1,
                            .opcode = WS_TRANSPORT_OPCODES_NONE };
    esp_transport_set_context_data(t, ws);
    esp_transport_set_func(t, ws_connect, ws_read, ws_write, ws_close, ws_poll_read, ws_poll_write, ws_destroy);
    esp_transport_set_parent_transport_func(t, ws_parent);
    esp_transport_set_get_socket_func(t, ws_get_socket);
    esp_transport_set_default_port(t, esp_transport_get_default_port(parent_handle));
    return t;
}

/* ---- settings and getters ---- */

static esp_err_t set_string(esp_transport_handle_t t, size_t offset, const char *value, bool required)
{
    transport_ws_t *ws = ws_ctx(t);
    if (ws == NULL || (required && value == NULL)) {
        return ESP_ERR_INVALID_ARG;
    }
    char *copy = value != NULL ? strdup(value) : NULL;
    if (value != NULL && copy == NULL) {
        return ESP_ERR_NO_MEM;
    }
    char **slot = (char **)((char *)ws + offset);
    free(*slot);
    *slot = copy;
    return ESP_OK;
}

esp_err_t esp_transport_ws_set_path(esp_transport_handle_t t, const char *path)
{
    return set_string(t, offsetof(transport_ws_t, path), path, true);
}

esp_err_t esp_transport_ws_set_subprotocol(esp_transport_handle_t t, const char *sub_protocol)
{
    return set_string(t, offsetof(transport_ws_t, sub_protocol), sub_protocol, false);
}

esp_err_t esp_transport_ws_set_user_agent(esp_transport_handle_t t, const char *user_agent)
{
    return set_string(t, offsetof(transport_ws_t, user_agent), user_agent, true);
}

esp_err_t esp_transport_ws_set_headers(esp_transport_handle_t t, const char *headers)
{
    return set_string(t, offsetof(transport_ws_t, headers), headers, false);
}

esp_err_t esp_transport_ws_set_auth(esp_transport_handle_t t, const char *auth)
{
    return set_string(t, offsetof(transport_ws_t, auth), auth, false);
}

esp_err_t esp_transport_ws_set_header_hook(esp_transport_handle_t t, ws_header_hook_t hook, void *user_context)
{
    transport_ws_t *ws = ws_ctx(t);
    if (ws == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    ws->header_hook = hook;
    ws->header_user_context = user_context;
    return ESP_OK;
}

esp_err_t esp_transport_ws_set_response_headers(esp_transport_handle_t t, char *buffer, size_t buffer_len)
{
    transport_ws_t *ws = ws_ctx(t);
    if (ws == NULL || (buffer == NULL && buffer_len > 0)) {
        return ESP_ERR_INVALID_ARG;
    }
    ws->response_headers = buffer;
    ws->response_headers_len = buffer_len;
    return ESP_OK;
}

esp_err_t esp_transport_ws_set_config(esp_transport_handle_t t, const esp_transport_ws_config_t *config)
{
    transport_ws_t *ws = ws_ctx(t);
    if (ws == NULL || config == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t err = config->ws_path != NULL ? esp_transport_ws_set_path(t, config->ws_path) : ESP_OK;
    if (err == ESP_OK && config->user_agent != NULL) {
        err = esp_transport_ws_set_user_agent(t, config->user_agent);
    }
    if (err == ESP_OK) {
        err = esp_transport_ws_set_subprotocol(t, config->sub_protocol);
    }
    if (err == ESP_OK) {
        err = esp_transport_ws_set_headers(t, config->headers);
    }
    if (err == ESP_OK) {
        err = esp_transport_ws_set_auth(t, config->auth);
    }
    ws->header_hook = config->header_hook;
    ws->header_user_context = config->header_user_context;
    ws->response_headers = config->response_headers;
    ws->response_headers_len = config->response_headers != NULL ? config->response_headers_len : 0;
    ws->propagate_control_frames = config->propagate_control_frames;
    return err;
}

ws_transport_opcodes_t esp_transport_ws_get_read_opcode(esp_transport_handle_t t)
{
    transport_ws_t *ws = ws_ctx(t);
    return ws != NULL ? (ws_transport_opcodes_t)ws->opcode : WS_TRANSPORT_OPCODES_NONE;
}

int esp_transport_ws_get_read_payload_len(esp_transport_handle_t t)
{
    transport_ws_t *ws = ws_ctx(t);
    return ws != NULL ? ws->payload_len : -1;
}

bool esp_transport_ws_get_fin_flag(esp_transport_handle_t t)
{
    transport_ws_t *ws = ws_ctx(t);
    return ws != NULL && ws->fin;
}

int esp_transport_ws_get_upgrade_request_status(esp_transport_handle_t t)
{
    transport_ws_t *ws = ws_ctx(t);
    return ws != NULL ? ws->http_status : -1;
}

char *esp_transport_ws_get_redir_uri(esp_transport_handle_t t)
{
    transport_ws_t *ws = ws_ctx(t);
    return ws != NULL ? ws->redir_uri : NULL;
}

int esp_transport_ws_poll_connection_closed(esp_transport_handle_t t, int timeout_ms)
{
    transport_ws_t *ws = ws_ctx(t);
    if (ws == NULL) {
        return -1;
    }
    char scratch[128]; /* after our CLOSE, what the server still sends is of no use */
    for (;;) {
        int n = read_some(ws, scratch, sizeof(scratch), timeout_ms);
        if (n == ERR_TCP_TRANSPORT_CONNECTION_CLOSED_BY_FIN) {
            return 1;
        }
        if (n <= 0) {
            return n == ERR_TCP_TRANSPORT_CONNECTION_TIMEOUT ? 0 : -1;
        }
    }
}
