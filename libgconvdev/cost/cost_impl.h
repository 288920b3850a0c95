/* SPDX-License-Identifier: MIT */
/*
 * The cost model's internals, shared by cost.c (one GCONV), cost_chain.c
 * (chains and the on-chip reuse rule) and baseline.c (the matrix/vector
 * and dedicated-unit accelerators).  Like cost.h, nothing here depends on
 * more than <stdint.h>, <stddef.h>, <string.h>, <math.h> and gconv/isa.h.
 */
#ifndef GCONV_COST_IMPL_H
#define GCONV_COST_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <gconv/cost.h>
#include <gconv/isa.h>

#define ND GCONV_COST_DIMS

enum { DN, DG, DK, DC, DP, DQ, DR, DS };

/* operands */
enum { OX, OY, OB, OO, NOPS };

/*
 * A GCONV as the model sees it: loop bounds, which loops each operand's
 * footprint depends on (from its strides), element sizes, and the
 * quantities every architecture needs.
 */
struct cprob {
	double D[ND];	   /* loop bounds */
	int used[NOPS];	   /* X, Y, B read; O always written */
	int dep[NOPS][ND]; /* the operand's footprint grows with loop d */
	int xrow, xcol;	   /* X is indexed by h = f(p, r), w = f(q, s) */
	double sh, sw, dh, dw, ih, iw, in_h, in_w;
	double esize[NOPS];	/* bytes per element in the model */
	double mem_esize[NOPS]; /* bytes per element in memory (dtype) */
	int accumulate;
	double macs, outputs;
	double total[NOPS]; /* distinct elements each operand touches */
};

/* Set up @pb from a descriptor; GCONV_COST_EDESC if the model cannot take
 * it. */
int gcost_prob_init(const struct gconv_cost_params *p,
		    const struct gconv_desc *d, struct cprob *pb);

/* Words of operand @op touched by a tile of @t iterations per loop. */
double gcost_footprint(const struct cprob *pb, int op, const double *t);

/* Saturating double -> uint64 (NaN and negatives give 0). */
uint64_t gcost_sat(double x);

/* The search of the DRAM-level tiling alone (used by the GEMM baseline):
 * the fewest DRAM words for @pb with @cap_bytes of GLB; 0 or
 * GCONV_COST_ENOSPACE.  @ctx_flags as in struct gconv_cost_ctx. */
int gcost_dram_search(const struct cprob *pb, double cap_bytes,
		      uint32_t ctx_flags, double *words, double *bytes);

/* The address range of an operand in memory (dtype sizes). */
void gcost_operand_range(const struct gconv_operand *op,
			 struct gconv_cost_range *r);

/* Chain walking shared by cost_chain.c and baseline.c */
struct cost_chain_view {
	const unsigned char *base;
	uint32_t header_size, desc_size, count;
};

int gcost_chain_open(const void *chain, size_t len, struct cost_chain_view *v);
/* A copy of descriptor @i (the chain may be unaligned). */
void gcost_chain_get(const struct cost_chain_view *v, uint32_t i,
		     struct gconv_desc *d);

/* Does descriptor @d read bytes inside @r (X, Y, B, or O when it
 * accumulates)?  Which operands: a GCONV_COST_CTX_*_RESIDENT mask of the
 * operands that lie wholly inside @r. */
int gcost_reads(const struct gconv_desc *d, const struct gconv_cost_range *r,
		uint32_t *inside_mask);

/*
 * Is the output range @r of descriptor @i still needed after descriptor
 * i + 1 (read by a later descriptor before being overwritten, or one of
 * @outputs)?  Looks at most GCOST_LIVE_WINDOW descriptors ahead.
 */
#define GCOST_LIVE_WINDOW 256u
int gcost_live_after(const struct cost_chain_view *v, uint32_t i,
		     const struct gconv_cost_range *r,
		     const struct gconv_cost_range *outputs, uint32_t noutputs);

/*
 * The chain accelerator as a step function: cost of descriptor @i given
 * what the previous step left in the GLB (@st), which it updates.
 */
struct cost_chain_state {
	int have;		     /* a previous output is in the GLB */
	struct gconv_cost_range res; /* its range */
	double res_bytes;	     /* its size in the model */
};

int gcost_chain_step(const struct gconv_cost_params *p,
		     const struct cost_chain_view *v, uint32_t i,
		     const struct gconv_cost_range *outputs, uint32_t noutputs,
		     struct cost_chain_state *st, struct gconv_cost *out);

#endif /* GCONV_COST_IMPL_H */
