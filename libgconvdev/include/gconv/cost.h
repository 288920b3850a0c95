/* SPDX-License-Identifier: MIT */
/*
 * libgconvdev: an analytical cost model of a convolution accelerator
 * running GCONVs, and of the two kinds of end-to-end accelerator the GCONV
 * Chain paper argues against.  docs/cost-model.md describes the model, its
 * parameters and their sources, and how it was validated.
 *
 * The accelerator: a PE array (pe_rows x pe_cols) with a register file per
 * PE, a global buffer (GLB) and DRAM.  For each GCONV the model searches a
 * bounded space of dataflow mappings (which loops are spread over the
 * array, how the loops are tiled for the register files and for the GLB,
 * and in which order the tiles are visited) and reports cycles, accesses at
 * each level and energy in units of one MAC.  gconv_cost_chain() walks a
 * chain and keeps an intermediate in the GLB when it fits and the next
 * GCONV reads it.
 *
 * This header and libgconvdev/cost/ are self-contained so that they can be
 * copied into other trees (the QEMU device model): they depend on nothing
 * but the C library's <stdint.h>, <stddef.h>, <string.h>, <math.h> and on
 * gconv/isa.h.  No function allocates memory, keeps state between calls or
 * aborts; all are safe to call from several threads.  Any input, valid or
 * not, gives a result or a negative GCONV_COST_E* code: counts that do not
 * fit in 64 bits saturate at UINT64_MAX.
 */
#ifndef GCONV_COST_H
#define GCONV_COST_H

#include <stddef.h>
#include <stdint.h>

#include <gconv/isa.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef GCONV_EXPORT
#if defined(__GNUC__)
#define GCONV_EXPORT __attribute__((visibility("default")))
#else
#define GCONV_EXPORT
#endif
#endif

/* ---- errors ----------------------------------------------------------- */

#define GCONV_COST_EPARAM   (-1) /* a parameter is out of range */
#define GCONV_COST_EDESC    (-2) /* a descriptor is malformed */
#define GCONV_COST_ECHAIN   (-3) /* a chain header is malformed */
#define GCONV_COST_ENOSPACE (-4) /* nothing fits the buffer left */
#define GCONV_COST_ERANGE   (-5) /* an output array is too small */
#define GCONV_COST_EARG	    (-6) /* a NULL or unknown argument */

/* A short English description of a GCONV_COST_E* code. */
GCONV_EXPORT const char *gconv_cost_strerror(int err);

/* ---- the layer kinds of the baselines ---------------------------------- */

enum gconv_cost_kind {
	GCONV_COST_KIND_OTHER = 0,   /* anything else (copies, softmax...) */
	GCONV_COST_KIND_CONV = 1,    /* Conv, ConvTranspose, Gemm, MatMul */
	GCONV_COST_KIND_POOL = 2,    /* max/average/global pooling */
	GCONV_COST_KIND_ACT = 3,     /* Relu, Clip, Sigmoid, ... */
	GCONV_COST_KIND_NORM = 4,    /* BatchNormalization and friends */
	GCONV_COST_KIND_LRN = 5,     /* cross-channel normalisation */
	GCONV_COST_KIND_ELTWISE = 6, /* Add, Mul, Sum, Max, ... */
	GCONV_COST_KIND_COUNT
};

/* The kind of an ONNX operator, by its op_type ("Conv", "Relu"...). */
GCONV_EXPORT uint32_t gconv_cost_kind_of_op(const char *op_type);
/* "conv", "pool", "act", "norm", "lrn", "eltwise", "other". */
GCONV_EXPORT const char *gconv_cost_kind_name(uint32_t kind);

/* ---- parameters -------------------------------------------------------- */

struct gconv_cost_params {
	uint32_t pe_rows, pe_cols;   /* PE array: 12 x 14 (Eyeriss) */
	uint32_t rf_bytes;	     /* register file per PE: 520 */
	uint32_t word_bytes;	     /* 2 (16-bit); 0: each operand's dtype */
	uint64_t glb_bytes;	     /* global buffer: 108 KiB */
	double dram_bytes_per_cycle; /* 2.4: 64 bits at 60 MHz / 200 MHz */
	double clock_hz;	     /* 200 MHz; only to print times */
	/* energy of one access, in units of one MAC (Eyeriss: 1, 1, 2, 6, 200)
	 */
	double e_mac, e_rf, e_noc, e_glb, e_dram;
	/* matrix/vector baseline: vector unit lanes (0: pe_cols) */
	uint32_t vector_lanes;
	uint32_t flags; /* GCONV_COST_P_* */
	/* dedicated-units baseline: elements per cycle of the unit that runs
	 * each kind (NVDLA nv_small: 1 each; CONV runs on the PE array) */
	double unit_rate[GCONV_COST_KIND_COUNT];
};

/*
 * Variants of the baselines (docs/cost-model.md, "baselines"):
 * IM2COL_ONCHIP: the matrix/vector design expands the input into the
 * im2col matrix on chip, from GLB tiles, instead of writing the matrix to
 * DRAM and reading it back; UNITS_STANDALONE: the dedicated units run one
 * layer at a time from DRAM, without NVDLA's fused (on-the-fly) mode.
 */
#define GCONV_COST_P_IM2COL_ONCHIP    (1u << 0)
#define GCONV_COST_P_UNITS_STANDALONE (1u << 1)
#define GCONV_COST_P_ALL	      0x3u

/* Fill @p with the defaults above (docs/cost-model.md gives the sources). */
GCONV_EXPORT void gconv_cost_params_default(struct gconv_cost_params *p);
/* 0, or GCONV_COST_EPARAM if a field is out of range (e.g. a zero array,
 * a register file smaller than 16 bytes, a NaN or negative energy). */
GCONV_EXPORT int gconv_cost_params_check(const struct gconv_cost_params *p);

/* ---- results ----------------------------------------------------------- */

/* Loop dimensions of a GCONV, in this order everywhere below. */
enum gconv_cost_dim {
	GCONV_COST_DIM_N = 0,
	GCONV_COST_DIM_G,
	GCONV_COST_DIM_K,
	GCONV_COST_DIM_C,
	GCONV_COST_DIM_P,
	GCONV_COST_DIM_Q,
	GCONV_COST_DIM_R,
	GCONV_COST_DIM_S,
	GCONV_COST_DIMS
};

#define GCONV_COST_NODIM 0xffu

/*
 * A dataflow mapping.  The array's rows hold up to two loops (row_dim[],
 * row_factor[]) and its columns one (col_dim, col_factor); spatial[d] is
 * the product of the factors given to loop d.  Each PE works through
 * rf_tile[] iterations of each loop from its register file; the GLB holds
 * glb_tile[] iterations.  The orders list loops outermost first
 * (GCONV_COST_NODIM ends a shorter list).
 */
struct gconv_cost_mapping {
	uint32_t spatial[GCONV_COST_DIMS];
	uint32_t rf_tile[GCONV_COST_DIMS];
	uint32_t glb_tile[GCONV_COST_DIMS];
	uint32_t row_factor[2], col_factor;
	uint8_t row_dim[2], col_dim;
	uint8_t rf_order[GCONV_COST_DIMS];  /* array-level tile order */
	uint8_t glb_order[GCONV_COST_DIMS]; /* DRAM-level tile order */
	uint8_t reserved[5];
};

/* What a cost describes (struct gconv_cost.flags). */
#define GCONV_COST_R_IN_ONCHIP	 (1u << 0) /* an input came from the GLB */
#define GCONV_COST_R_OUT_ONCHIP	 (1u << 1) /* the output stayed in the GLB */
#define GCONV_COST_R_OUT_NOWRITE (1u << 2) /* ...and never went to DRAM */
#define GCONV_COST_R_MAPPED	 (1u << 3) /* map holds a mapping */
#define GCONV_COST_R_STREAMED	 (1u << 4) /* ran fused behind its producer */

struct gconv_cost {
	uint64_t cycles;	 /* max(compute, DRAM transfer), or see
				  * gconv_cost_layers() */
	uint64_t compute_cycles; /* cycles the compute units need */
	uint64_t dram_cycles;	 /* cycles the DRAM traffic needs */
	uint64_t macs;		 /* n*g*k*p*q*c*r*s (taps, any op) */
	/* accesses, in words, at each level */
	uint64_t rf, noc, glb, dram;
	uint64_t dram_bytes;
	double energy;	    /* in units of one MAC */
	double utilization; /* macs / (compute_cycles * PEs) */
	uint32_t flags;	    /* GCONV_COST_R_* */
	uint32_t reserved;
	struct gconv_cost_mapping map; /* with GCONV_COST_R_MAPPED */
};

/* @sum += @c: counts saturate, energy adds, flags OR, map is dropped. */
GCONV_EXPORT void gconv_cost_add(struct gconv_cost *sum,
				 const struct gconv_cost *c);

/*
 * The mapping in one line, e.g. "array R3*C4 x P13 | rf K4 C2 S3 Q13 |
 * glb K96 C48 P13 Q13 R3 S3".  Always NUL-terminates (if @len > 0) and
 * returns the length it wanted, like snprintf.
 */
GCONV_EXPORT size_t gconv_cost_mapping_format(
	const struct gconv_cost_mapping *m, char *buf, size_t len);

/* ---- one GCONV ---------------------------------------------------------- */

/*
 * Where a GCONV's operands live when it starts and where its output goes,
 * for the chain-level reuse rule (docs/cost-model.md).  A resident operand
 * is already in the GLB and costs no DRAM reads; resident_bytes is the GLB
 * space all resident inputs take.  OUT_KEEP leaves the whole output in the
 * GLB (its partial sums never spill to DRAM; it takes GLB space);
 * OUT_NOWRITE skips the final write of the output to DRAM (it is consumed
 * on chip and dead afterwards).
 */
#define GCONV_COST_CTX_X_RESIDENT  (1u << 0)
#define GCONV_COST_CTX_Y_RESIDENT  (1u << 1)
#define GCONV_COST_CTX_B_RESIDENT  (1u << 2)
#define GCONV_COST_CTX_O_RESIDENT  (1u << 3) /* ACCUMULATE's initial O */
#define GCONV_COST_CTX_OUT_KEEP	   (1u << 4)
#define GCONV_COST_CTX_OUT_NOWRITE (1u << 5)
#define GCONV_COST_CTX_ALL	   0x3fu

struct gconv_cost_ctx {
	uint32_t flags;	   /* GCONV_COST_CTX_* */
	uint32_t reserved; /* must be zero */
	uint64_t resident_bytes;
};

/*
 * The cost of one GCONV on the GCONV Chain accelerator: the best mapping
 * of the search (fewest compute cycles first, then least energy; see
 * docs/cost-model.md).  Returns 0, GCONV_COST_EPARAM, GCONV_COST_EDESC for
 * a descriptor that the model cannot take (unknown opcode, zero or huge
 * dimension, unused operand without a type...), or GCONV_COST_ENOSPACE
 * when resident data leaves no room in the GLB.  On error @out is zeroed.
 */
GCONV_EXPORT int gconv_cost_desc(const struct gconv_cost_params *p,
				 const struct gconv_desc *d,
				 struct gconv_cost *out);
GCONV_EXPORT int gconv_cost_desc_ctx(const struct gconv_cost_params *p,
				     const struct gconv_desc *d,
				     const struct gconv_cost_ctx *ctx,
				     struct gconv_cost *out);

/* ---- chains ------------------------------------------------------------- */

/* A byte range [addr, addr + size) of the chain's address space. */
struct gconv_cost_range {
	uint64_t addr, size;
};

/*
 * A whole chain (header, then descriptors at header_size, desc_size bytes
 * apart) on the GCONV Chain accelerator, with the on-chip reuse of
 * intermediates.  @outputs lists the ranges that must reach DRAM at the
 * end (the model's outputs); NULL means "unknown", and then any data never
 * overwritten before the chain ends is assumed to be needed.  @per_desc,
 * if not NULL, receives @per_desc_len >= count results; @total the sum
 * (cycles add: GCONVs run one after the other).  The header is checked
 * (magic, major version, sizes, length); descriptors are checked as in
 * gconv_cost_desc().
 */
GCONV_EXPORT int
gconv_cost_chain(const struct gconv_cost_params *p, const void *chain,
		 size_t len, const struct gconv_cost_range *outputs,
		 uint32_t noutputs, struct gconv_cost *per_desc,
		 uint32_t per_desc_len, struct gconv_cost *total);

/* ---- the three architectures, per layer ------------------------------- */

enum gconv_cost_arch {
	GCONV_COST_ARCH_CHAIN = 0,     /* GCONV Chain (gconv_cost_chain) */
	GCONV_COST_ARCH_MATVEC = 1,    /* im2col GEMM + vector unit */
	GCONV_COST_ARCH_DEDICATED = 2, /* array + one unit per layer kind */
	GCONV_COST_ARCH_COUNT
};

GCONV_EXPORT const char *gconv_cost_arch_name(uint32_t arch);

/* A layer: a run of consecutive descriptors with the same tag. */
struct gconv_cost_layer {
	uint32_t tag;	       /* the descriptors' tag */
	uint32_t kind;	       /* enum gconv_cost_kind */
	uint32_t first, count; /* descriptors [first, first + count) */
	uint32_t synthetic;    /* 1: a split-off fused post op */
	uint32_t reserved;
	struct gconv_cost cost;
};

/*
 * Charge a fused non-identity post operator of a CONV layer as a layer of
 * its own (kind ACT, count 0) in the baselines: for chains compiled with
 * fusion, where the activation has no descriptor of its own.
 */
#define GCONV_COST_F_SPLIT_POST (1u << 0)
#define GCONV_COST_F_ALL	(GCONV_COST_F_SPLIT_POST)

/*
 * The chain's cost on architecture @arch, per layer.  @kinds gives the
 * kind of each descriptor (count entries, e.g. from
 * gconv_cost_kind_of_op() of its source node); a layer's kind is its first
 * descriptor's.  @layers receives up to @max_layers layers (count of them
 * are enough, 2 * count with GCONV_COST_F_SPLIT_POST), *@nlayers how many.
 * The matrix/vector and dedicated baselines are modelled with the same
 * parameters as GCONV Chain; docs/cost-model.md says how.  On the
 * dedicated units, a layer fed on the fly by the one before it
 * (GCONV_COST_R_STREAMED) counts in cycles only what it adds to their
 * pipeline.  Cycles add over layers.
 */
GCONV_EXPORT int gconv_cost_layers(const struct gconv_cost_params *p,
				   uint32_t arch, const void *chain, size_t len,
				   const uint8_t *kinds, uint32_t flags,
				   const struct gconv_cost_range *outputs,
				   uint32_t noutputs,
				   struct gconv_cost_layer *layers,
				   uint32_t max_layers, uint32_t *nlayers,
				   struct gconv_cost *total);

#ifdef __cplusplus
}
#endif

#endif /* GCONV_COST_H */
