/* The floor of matmul_expr: x.dot(x.T + 1) is computed as the Gram product x @ x.T (plus a
 * rank-one correction), whose multiplications are one DSYRK, half a DGEMM's. Times one
 * OpenBLAS DSYRK of n x n (best of 3 after a warm-up), as ../shared/research/probes/dgemm.c
 * times the DGEMM.
 *   OPENBLAS_NUM_THREADS=2 syrk_probe N    prints: n=N seconds=S */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: syrk_probe N\n");
        return 2;
    }
    const int n = atoi(argv[1]);
    double* a = malloc(sizeof(double) * (size_t)n * (size_t)n);
    double* c = malloc(sizeof(double) * (size_t)n * (size_t)n);
    if (!a || !c) {
        fprintf(stderr, "syrk_probe: out of memory for n=%d\n", n);
        return 1;
    }
    for (long i = 0; i < (long)n * n; i++) {
        a[i] = 1.0 / (double)(i % 7 + 1);
        c[i] = 0;
    }
    double best = 1e30;
    for (int k = 0; k < 4; k++) { /* the first run warms up (page faults, thread start) */
        const double t0 = now();
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, n, n, 1.0, a, n, 0.0, c, n);
        const double t = now() - t0;
        if (k > 0 && t < best) best = t;
    }
    printf("n=%d seconds=%.3f\n", n, best);
    free(a);
    free(c);
    return 0;
}
