/* example_uri_encode(): percent-encoding of a URI component for the examples' queries. */
#include <stdbool.h>

#include "protocol_examples_utils.h"

/* RFC 3986's unreserved characters; ASCII only, whatever the locale. */
static bool is_unreserved(unsigned char c)
{
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    bool digit = c >= '0' && c <= '9';
    return alpha || digit || c == '-' || c == '.' || c == '_' || c == '~';
}

uint32_t example_uri_encode(char *dest, const char *src, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    if (dest == NULL || src == NULL) {
        return 0;
    }
    char *out = dest;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)src[i];
        if (is_unreserved(c)) {
            *out++ = (char)c;
            continue;
        }
        *out++ = '%';
        *out++ = hex[c >> 4];
        *out++ = hex[c & 0xf];
    }
    return (uint32_t)(out - dest);
}
