/* SPDX-License-Identifier: MIT */
/*
 * libgconvdev internals shared by the GCONV engines (not installed).
 *
 * Nothing here is exported from libgconvdev.so (the library is built with
 * -fvisibility=hidden); the static library exposes it to gconv's own tests
 * and benchmarks, which force a path of the fast engine to measure or
 * check it.
 */
#ifndef GCONV_ENGINE_IMPL_H
#define GCONV_ENGINE_IMPL_H

#include <gconv/engine.h>

/* Executes one validated descriptor (gconv_golden_run_desc's contract). */
typedef int (*gconv_desc_runner)(const struct gconv_desc *d, const void *x,
				 const void *y, const void *b, void *o);

/*
 * gconv_golden_run_chain_mapped()'s contract with @run as the executor:
 * validate the chain, place every operand of every descriptor in a region
 * (outputs in writable ones), and only then run the descriptors in order.
 * The one implementation of those checks, so that every engine rejects
 * exactly the same chains with exactly the same errors.
 */
int gconv_engine_run_chain_mapped(const void *chain, size_t chain_len,
				  const struct gconv_region *regions,
				  unsigned int nregions,
				  struct gconv_verror *err,
				  gconv_desc_runner run);

/*
 * The fast engine's implementations (libgconvdev/engine/fast.c,
 * docs/engines.md).  GCONV_FAST_AUTO is what gconv_fast_run_desc() does.
 */
enum gconv_fast_path {
	GCONV_FAST_AUTO = 0,
	GCONV_FAST_GEMM,    /* im2col + OpenBLAS SGEMM, then the epilogue */
	GCONV_FAST_ROW,	    /* row loops with fused conv/pool/eltwise steps */
	GCONV_FAST_GENERIC, /* row loops, every operator step by step */
	GCONV_FAST_PATH_COUNT
};

/* The path GCONV_FAST_AUTO takes for @d (never AUTO). */
enum gconv_fast_path gconv_fast_choose(const struct gconv_desc *d);

/* Whether @path can execute @d at all (GENERIC and ROW always can). */
int gconv_fast_path_ok(const struct gconv_desc *d, enum gconv_fast_path path);

/*
 * gconv_fast_run_desc() on a given path.  Returns what it returns, or
 * -EOPNOTSUPP when @path cannot execute @d.
 */
int gconv_fast_run_desc_path(const struct gconv_desc *d, const void *x,
			     const void *y, const void *b, void *o,
			     enum gconv_fast_path path);

/*
 * The fast engine's tuning, read on every call: for gconv's tests (which
 * shrink the blocks to exercise blocking on small shapes) and benchmarks.
 * Not synchronised: change it only while no fast engine call runs.
 */
enum gconv_fast_isa {
	GCONV_FAST_ISA_BEST = 0, /* the best copy the CPU can run */
	GCONV_FAST_ISA_BASE,	 /* x86-64 baseline (SSE2) */
	GCONV_FAST_ISA_AVX2,	 /* AVX2 and FMA */
	GCONV_FAST_ISA_COUNT
};

struct gconv_fast_tuning {
	uint64_t pack_floats; /* im2col block of the gemm path, in floats */
	uint32_t gemm_min_k;  /* auto: fewer channels per group use rows */
	int isa;	      /* enum gconv_fast_isa: at most this copy */
};
extern struct gconv_fast_tuning gconv_fast_tune;

/* The path's name ("gemm", "row", ...). */
const char *gconv_fast_path_name(enum gconv_fast_path path);

#endif /* GCONV_ENGINE_IMPL_H */
