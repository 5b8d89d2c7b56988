#include "bench_util.h"

#include <stdlib.h>

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(v[0]), by_value);
    return v[n / 2];
}

FILE *bench_results_open(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s RESULTS_JSON (PORTLS_TEST_CERTS names the test PKI)\n", argv[0]);
        exit(2);
    }
    FILE *json = fopen(argv[1], "w");
    if (json == NULL) {
        perror(argv[1]);
        exit(1);
    }
    return json;
}
