/* SPDX-License-Identifier: MIT */
/*
 * OpenBLAS for the fast engine's gemm path, loaded on first use
 * (libgconvdev/engine/blas.c, docs/engines.md).  Internal, not installed.
 */
#ifndef GCONV_BLAS_H
#define GCONV_BLAS_H

#include <cblas.h>

struct gconv_blas {
	void (*sgemm)(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta,
		      enum CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k,
		      float alpha, const float *a, blasint lda, const float *b,
		      blasint ldb, float beta, float *c, blasint ldc);
	void (*sgemv)(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta,
		      blasint m, blasint n, float alpha, const float *a,
		      blasint lda, const float *x, blasint incx, float beta,
		      float *y, blasint incy);
};

/*
 * The BLAS, or NULL when it cannot be loaded (the fast engine then runs
 * every descriptor on its row path).  The first call loads it: programs
 * that never multiply matrices never load OpenBLAS or start its threads,
 * and a daemon that blocks signals before its first inference gives those
 * threads its signal mask.  Thread-safe.
 */
const struct gconv_blas *gconv_blas_get(void);

#endif /* GCONV_BLAS_H */
