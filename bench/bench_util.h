/* What the benchmark programs share: medians and their results file. They time with
 * esp_timer_get_time(), the library's clock. */
#pragma once

#include <stdio.h>

/* The median of v[0..n) (v is sorted in place). */
double bench_median(double *v, int n);

/* argv[1], the JSON results file, opened for writing; exits with a usage line (status 2) or the
 * reason (status 1) when that fails. */
FILE *bench_results_open(int argc, char **argv);
