/*
 * protocol_examples_utils.h: the URI helper ESP-IDF's protocol examples share (esp_http_client's
 * example encodes a query value with it).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Percent-encodes len bytes of src into dest, as a URI component (RFC 3986, 2.1): every byte but
 * the unreserved ALPHA, DIGIT, "-", ".", "_" and "~" becomes "%XX" (upper-case hex). No NUL is
 * written. dest is the caller's and must hold 3 * len bytes in the worst case; src need not be
 * NUL-terminated.
 * @return the bytes written to dest; 0 if dest or src is NULL
 */
uint32_t example_uri_encode(char *dest, const char *src, size_t len);

#ifdef __cplusplus
}
#endif
