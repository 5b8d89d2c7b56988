#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert_file.h"

static int read_all(FILE *fp, cert_file_t *out)
{
    size_t cap = 4096, len = 0;
    unsigned char *buf = malloc(cap);
    while (buf != NULL) {
        len += fread(buf + len, 1, cap - len - 1, fp);
        if (len < cap - 1) {
            break;
        }
        unsigned char *bigger = realloc(buf, cap * 2);
        if (bigger == NULL) {
            free(buf);
        }
        buf = bigger;
        cap *= 2;
    }
    if (buf == NULL || ferror(fp)) {
        errno = buf ? EIO : ENOMEM;
        free(buf);
        return -1;
    }
    buf[len] = '\0';
    out->data = buf;
    out->len = (unsigned int)len;
    return 0;
}

int cert_file_load_raw(const char *path, cert_file_t *out)
{
    if (path == NULL || out == NULL) {
        errno = EINVAL;
        return -1;
    }
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        return -1;
    }
    int rc = read_all(fp, out);
    fclose(fp);
    return rc;
}

int cert_file_load(const char *path, cert_file_t *out)
{
    int rc = cert_file_load_raw(path, out);
    if (rc == 0 && strstr((const char *)out->data, "-----BEGIN ") != NULL) {
        out->len += 1; /* PEM: the size includes the NUL */
    }
    return rc;
}

void cert_file_free(cert_file_t *f)
{
    if (f != NULL) {
        free(f->data);
        f->data = NULL;
        f->len = 0;
    }
}
