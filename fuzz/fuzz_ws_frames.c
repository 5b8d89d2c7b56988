/*
 * libFuzzer target for the WebSocket transport's client side: the upgrade response and the
 * frames a server sends. The harness plays a server that accepts the upgrade (it answers the
 * client's key with the right Sec-WebSocket-Accept), then sends the fuzz bytes as frames; the
 * client reads them in small pieces, answering PINGs and CLOSEs itself.
 *
 * Input: byte 0 sets the read size (1..256) and, when odd, sends the bytes as they are, upgrade
 * response included, so the head's parsing is fuzzed too; byte 1 sets the size of each read
 * the caller asks for (1..256); the rest is the server's side.
 */
#define _GNU_SOURCE /* memmem */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_transport_ws.h"
#include "fuzz_transport.h"
#include "mbedtls/base64.h"
#include "mbedtls/sha1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_READS 100000 /* a bound on the caller's loop: each read consumes input or ends */

/* The server's side: the fuzz bytes, sent after an accepting head once the client's key is known
 * (or as they are, raw). */
typedef struct {
    fuzz_stream_t *stream;
    const uint8_t *in;
    size_t in_len;
    uint8_t *bytes; /* head + in, once built */
} server_t;

static void serve(server_t *server, const char *head, size_t head_len)
{
    server->bytes = malloc(head_len + server->in_len + 1);
    if (server->bytes == NULL) {
        return;
    }
    memcpy(server->bytes, head, head_len);
    memcpy(server->bytes + head_len, server->in, server->in_len);
    server->stream->data = server->bytes;
    server->stream->len = head_len + server->in_len;
}

/* The accept value for the key in the client's upgrade request (RFC 6455 4.2.2). @return its
 * length, or 0 when the request has no key. */
static size_t accept_for(const char *buf, int len, char *accept, size_t accept_len)
{
    static const char name[] = "Sec-WebSocket-Key: ";
    const char *key = memmem(buf, (size_t)len, name, sizeof(name) - 1);
    const char *end = key != NULL ? memchr(key, '\r', (size_t)(buf + len - key)) : NULL;
    if (end == NULL) {
        return 0;
    }
    key += sizeof(name) - 1;
    char joined[128];
    unsigned char sha[20];
    size_t olen = 0;
    int n = snprintf(joined, sizeof(joined), "%.*s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", (int)(end - key), key);
    bool ok = n > 0 && (size_t)n < sizeof(joined) && mbedtls_sha1((unsigned char *)joined, (size_t)n, sha) == 0 &&
              mbedtls_base64_encode((unsigned char *)accept, accept_len, &olen, sha, sizeof(sha)) == 0;
    return ok ? olen : 0;
}

static void on_client_write(void *ctx, const char *buf, int len)
{
    server_t *server = ctx;
    char accept[64], head[256];
    if (server->bytes != NULL || accept_for(buf, len, accept, sizeof(accept)) == 0) {
        return; /* frames the client sends (PONG, CLOSE), or no key */
    }
    int head_len = snprintf(head, sizeof(head), "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
    serve(server, head, (size_t)head_len);
}

static void read_frames(esp_transport_handle_t ws, int read_len)
{
    char buf[256];
    for (int i = 0; i < MAX_READS; i++) {
        int n = esp_transport_read(ws, buf, read_len, 0);
        (void)esp_transport_ws_get_read_opcode(ws);
        (void)esp_transport_ws_get_read_payload_len(ws);
        (void)esp_transport_ws_get_fin_flag(ws);
        if (n < 0) {
            return;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    fuzz_stream_t stream = { .step = 1 + (size_t)data[0], .on_write = on_client_write };
    server_t server = { .stream = &stream, .in = data + 2, .in_len = size - 2 };
    stream.ctx = &server;
    if ((data[0] & 1) != 0) {
        serve(&server, "", 0); /* raw: the upgrade response is fuzzed too */
    }
    esp_transport_handle_t parent = fuzz_transport_new(&stream);
    esp_transport_handle_t ws = parent != NULL ? esp_transport_ws_init(parent) : NULL;
    if (ws == NULL) {
        esp_transport_destroy(parent);
    } else {
        if (esp_transport_connect(ws, "fuzz.invalid", 80, 1) == 0) {
            read_frames(ws, 1 + data[1]);
        }
        esp_transport_destroy(ws);
        esp_transport_destroy(parent); /* the WebSocket transport does not own its parent */
    }
    free(server.bytes);
    return 0;
}
