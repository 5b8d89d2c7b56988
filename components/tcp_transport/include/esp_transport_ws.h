/*
 * WebSocket transport (RFC 6455) over a TCP or TLS transport, as ESP-IDF's esp_transport_ws.h.
 *
 * connect() connects the parent and upgrades: a GET with a random Sec-WebSocket-Key (the Host
 * header writes an IPv6 host in brackets). It succeeds only on a 101 with exactly one
 * Sec-WebSocket-Accept of exactly the value the key calls for, exactly one "Upgrade: websocket"
 * and a Connection list holding "Upgrade" (RFC 6455 4.1; names and tokens in any case).
 * read() fails (ERR_TCP_TRANSPORT_CONNECTION_FAILED) on a frame RFC 6455 forbids from a server:
 * RSV bits set (no extension is negotiated), a reserved opcode (3-7, 0xB-0xF), a mask, a length
 * above 2^31, a control frame over 125 bytes or fragmented.
 *
 * write() sends one masked binary frame; send_raw() any opcode, with WS_TRANSPORT_OPCODES_FIN or
 * without it (a fragment to be continued with WS_TRANSPORT_OPCODES_CONT). read() returns payload
 * bytes: a frame larger than the buffer comes over several reads, and get_read_payload_len()/
 * get_read_opcode()/get_fin_flag() describe the frame being read. A PING is answered with a PONG
 * and a CLOSE with a CLOSE, unless propagate_control_frames hands them to the caller (read returns
 * their payload, possibly 0 bytes).
 */
#pragma once

#include <stdbool.h>

#include "esp_transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ws_transport_opcodes {
    WS_TRANSPORT_OPCODES_CONT = 0x00,
    WS_TRANSPORT_OPCODES_TEXT = 0x01,
    WS_TRANSPORT_OPCODES_BINARY = 0x02,
    WS_TRANSPORT_OPCODES_CLOSE = 0x08,
    WS_TRANSPORT_OPCODES_PING = 0x09,
    WS_TRANSPORT_OPCODES_PONG = 0x0a,
    WS_TRANSPORT_OPCODES_FIN = 0x80,
    WS_TRANSPORT_OPCODES_NONE = 0x100, /*!< no frame read yet */
} ws_transport_opcodes_t;

/** Called with each line of the server's upgrade response headers (without the CRLF). */
typedef void (*ws_header_hook_t)(void *user_context, const char *line, int line_len);

typedef struct {
    const char *ws_path;              /*!< request path; default "/" */
    const char *sub_protocol;         /*!< Sec-WebSocket-Protocol, or NULL */
    const char *user_agent;           /*!< default "ESP32 Websocket Client" */
    const char *headers;              /*!< extra "Name: value\r\n" lines, or NULL */
    const char *auth;                 /*!< an Authorization value, or NULL */
    char *response_headers;           /*!< receives the upgrade response's headers, or NULL */
    size_t response_headers_len;      /*!< its size */
    ws_header_hook_t header_hook;     /*!< or NULL */
    void *header_user_context;
    bool propagate_control_frames;    /*!< hand PING, PONG and CLOSE to the caller */
} esp_transport_ws_config_t;

/** A WebSocket transport carried by parent (a TCP or TLS transport, or another of the caller's).
 * Destroying it does not destroy parent. @return NULL on bad argument or no memory. */
esp_transport_handle_t esp_transport_ws_init(esp_transport_handle_t parent_handle);

/* The setters copy the strings. @return ESP_OK; ESP_ERR_INVALID_ARG; ESP_ERR_NO_MEM. */
esp_err_t esp_transport_ws_set_path(esp_transport_handle_t t, const char *path);
esp_err_t esp_transport_ws_set_subprotocol(esp_transport_handle_t t, const char *sub_protocol);
esp_err_t esp_transport_ws_set_user_agent(esp_transport_handle_t t, const char *user_agent);
esp_err_t esp_transport_ws_set_headers(esp_transport_handle_t t, const char *headers);
esp_err_t esp_transport_ws_set_auth(esp_transport_handle_t t, const char *auth);
esp_err_t esp_transport_ws_set_header_hook(esp_transport_handle_t t, ws_header_hook_t hook, void *user_context);
esp_err_t esp_transport_ws_set_response_headers(esp_transport_handle_t t, char *buffer, size_t buffer_len);
esp_err_t esp_transport_ws_set_config(esp_transport_handle_t t, const esp_transport_ws_config_t *config);

/** Sends one frame: opcode (with WS_TRANSPORT_OPCODES_FIN unless more fragments follow) and len
 * payload bytes. @return len, or -1. */
int esp_transport_ws_send_raw(esp_transport_handle_t t, ws_transport_opcodes_t opcode, const char *b, int len,
                              int timeout_ms);

/** The frame being read: its opcode (without FIN), total payload length, and FIN flag. */
ws_transport_opcodes_t esp_transport_ws_get_read_opcode(esp_transport_handle_t t);
int esp_transport_ws_get_read_payload_len(esp_transport_handle_t t);
bool esp_transport_ws_get_fin_flag(esp_transport_handle_t t);

/** The HTTP status of the upgrade response (101 when it worked), or -1. */
int esp_transport_ws_get_upgrade_request_status(esp_transport_handle_t t);

/** After an upgrade answered with a 3xx: its Location (owned by t), or NULL. */
char *esp_transport_ws_get_redir_uri(esp_transport_handle_t t);

/** Waits up to timeout_ms for the server to close the connection (after a CLOSE was sent).
 * @return 1 closed, 0 still open, -1 failed. */
int esp_transport_ws_poll_connection_closed(esp_transport_handle_t t, int timeout_ms);

#ifdef __cplusplus
}
#endif
