/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * GCONV instruction set: the binary encoding of one general convolution
 * (struct gconv_desc) and of a chain of them (struct gconv_chain_header
 * followed by descriptors).
 *
 * This header is the single source of truth shared by the engine, the
 * compiler, the QEMU device model and the kernel driver.  It depends on
 * nothing but fixed-width integer types, so it can be included from the
 * kernel (linux/types.h) and from freestanding or hosted userspace
 * (stdint.h).  docs/gconv-isa.md describes every field and rule.
 *
 * All multi-byte fields are little-endian.  Scalars that are real numbers
 * (pad value, operator parameters, quantisation scales) are stored as the
 * bit pattern of an IEEE-754 binary32 value in a uint32_t, so that code
 * which must not use floating point (the kernel) can copy and validate
 * descriptors without touching an FPU.
 */
#ifndef GCONV_ISA_H
#define GCONV_ISA_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

/* The encoding is read in place: only little-endian hosts are supported. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the GCONV encoding is little-endian; big-endian hosts are unsupported"
#endif

/* ------------------------------------------------------------------------
 * Versioning
 */

/* "GCCH" in memory order: 'G' 'C' 'C' 'H'. */
#define GCONV_CHAIN_MAGIC		0x48434347u
#define GCONV_ISA_VERSION_MAJOR		1u
#define GCONV_ISA_VERSION_MINOR		0u

/* ------------------------------------------------------------------------
 * Element types.  Only F32 is required; the others are reserved encodings
 * so that producers and consumers agree on their numbers.  A consumer that
 * does not implement a type rejects it (GCONV_VERR_DTYPE_UNSUPPORTED).
 */
enum gconv_dtype {
	GCONV_DTYPE_NONE = 0,	/* operand not used by this descriptor */
	GCONV_DTYPE_F32 = 1,
	GCONV_DTYPE_F16 = 2,	/* reserved */
	GCONV_DTYPE_BF16 = 3,	/* reserved */
	GCONV_DTYPE_I8 = 4,	/* reserved: real = scale * (q - zero_point) */
	GCONV_DTYPE_COUNT
};

/* ------------------------------------------------------------------------
 * Operators.  Every enum below is dense from 0; a value >= *_COUNT is an
 * unknown opcode.  The numbers are part of the ABI: append only.
 */

/* pre: applied to each input element x (after padding). */
enum gconv_pre_op {
	GCONV_PRE_IDENTITY = 0,	/* x */
	GCONV_PRE_NEG = 1,	/* -x */
	GCONV_PRE_ABS = 2,	/* |x| */
	GCONV_PRE_SQUARE = 3,	/* x * x */
	GCONV_PRE_EXP = 4,	/* e^x */
	GCONV_PRE_LOG = 5,	/* ln x */
	GCONV_PRE_SQRT = 6,	/* sqrt x */
	GCONV_PRE_RECIP = 7,	/* 1 / x */
	GCONV_PRE_AFFINE = 8,	/* a * x + b        (a = param[0], b = param[1]) */
	GCONV_PRE_COUNT
};

/* main: combines pre(x) and the weight/second operand y. */
enum gconv_main_op {
	GCONV_MAIN_MUL = 0,	/* x * y */
	GCONV_MAIN_ADD = 1,	/* x + y */
	GCONV_MAIN_SUB = 2,	/* x - y */
	GCONV_MAIN_DIV = 3,	/* x / y */
	GCONV_MAIN_MAX = 4,	/* max(x, y) */
	GCONV_MAIN_MIN = 5,	/* min(x, y) */
	GCONV_MAIN_TAKE_X = 6,	/* x        (Y is not read) */
	GCONV_MAIN_TAKE_Y = 7,	/* y        (X is not read) */
	GCONV_MAIN_SQDIFF = 8,	/* (x - y)^2 */
	GCONV_MAIN_PRELU = 9,	/* x >= 0 ? x : x * y */
	GCONV_MAIN_POW = 10,	/* x ^ y */
	GCONV_MAIN_COUNT
};

/* reduce: folds main(...) over the reduction space (c, r, s). */
enum gconv_reduce_op {
	GCONV_REDUCE_SUM = 0,
	GCONV_REDUCE_MAX = 1,
	GCONV_REDUCE_MIN = 2,
	GCONV_REDUCE_MEAN_ALL = 3,	/* sum / (C * R * S) */
	GCONV_REDUCE_MEAN_VALID = 4,	/* sum / taps that read X (not padding) */
	GCONV_REDUCE_MEAN_PADDED = 5,	/* sum / taps inside the padded input */
	GCONV_REDUCE_COUNT
};

/* combine: merges the reduced value acc with the third operand b. */
enum gconv_combine_op {
	GCONV_COMBINE_NONE = 0,	/* acc        (B is not read) */
	GCONV_COMBINE_ADD = 1,	/* acc + b */
	GCONV_COMBINE_SUB = 2,	/* acc - b */
	GCONV_COMBINE_MUL = 3,	/* acc * b */
	GCONV_COMBINE_DIV = 4,	/* acc / b */
	GCONV_COMBINE_MAX = 5,	/* max(acc, b) */
	GCONV_COMBINE_MIN = 6,	/* min(acc, b) */
	GCONV_COMBINE_COUNT
};

/* post: applied to the combined value v.  a, b, c = param[0..2]. */
enum gconv_post_op {
	GCONV_POST_IDENTITY = 0,	/* v */
	GCONV_POST_RELU = 1,		/* max(v, 0) */
	GCONV_POST_CLIP = 2,		/* min(max(v, a), b) */
	GCONV_POST_LEAKY = 3,		/* v >= 0 ? v : a * v */
	GCONV_POST_SIGMOID = 4,		/* 1 / (1 + e^-v) */
	GCONV_POST_TANH = 5,		/* tanh v */
	GCONV_POST_EXP = 6,		/* e^v */
	GCONV_POST_LOG = 7,		/* ln v */
	GCONV_POST_SQRT = 8,		/* sqrt v */
	GCONV_POST_RSQRT = 9,		/* 1 / sqrt v */
	GCONV_POST_RECIP = 10,		/* 1 / v */
	GCONV_POST_POW = 11,		/* v ^ a */
	GCONV_POST_HARD_SIGMOID = 12,	/* max(0, min(1, a * v + b)) */
	GCONV_POST_HARD_SWISH = 13,	/* v * max(0, min(1, v / 6 + 1/2)) */
	GCONV_POST_ELU = 14,		/* v >= 0 ? v : a * (e^v - 1) */
	GCONV_POST_SELU = 15,		/* b * (v >= 0 ? v : a * (e^v - 1)) */
	GCONV_POST_SOFTPLUS = 16,	/* ln(1 + e^v) */
	GCONV_POST_AFFINE = 17,		/* a * v + b */
	GCONV_POST_AFFINE_POW = 18,	/* (a * v + b) ^ c */
	GCONV_POST_ABS = 19,		/* |v| */
	GCONV_POST_NEG = 20,		/* -v */
	GCONV_POST_COUNT
};

/* ------------------------------------------------------------------------
 * Operands
 *
 * Each of X, Y, B and O is a base address plus one element stride for each
 * of six index slots.  Element (i0..i5) lives at byte address
 *
 *	addr + esize(dtype) * (i0*stride[0] + ... + i5*stride[5])
 *
 * and every element a descriptor touches must satisfy
 *
 *	i0*stride[0] + ... + i5*stride[5] < extent
 *
 * which the validator proves from the loop bounds before anything runs.
 * A zero stride broadcasts along that index.
 */
enum gconv_slot {
	GCONV_SLOT_N = 0,	/* batch */
	GCONV_SLOT_G = 1,	/* group */
	GCONV_SLOT_K = 2,	/* output channel within the group */
	GCONV_SLOT_C = 3,	/* reduction channel (X, Y); must be 0 for B, O */
	GCONV_SLOT_ROW = 4,	/* X: h   Y: r   B, O: p */
	GCONV_SLOT_COL = 5,	/* X: w   Y: s   B, O: q */
	GCONV_SLOTS = 6
};

struct gconv_operand {
	uint64_t addr;		/* byte address of element (0,...,0) */
	uint64_t extent;	/* elements addressable from addr */
	uint64_t stride[GCONV_SLOTS];	/* element strides, see enum gconv_slot */
	uint8_t dtype;		/* enum gconv_dtype */
	uint8_t reserved0[3];	/* must be zero */
	uint32_t scale;		/* I8 only: fp32 bits of the scale; else 0 */
	int32_t zero_point;	/* I8 only; else 0 */
	uint32_t reserved1;	/* must be zero */
};

/* ------------------------------------------------------------------------
 * One GCONV.
 *
 *	for n<N, g<G, k<K, p<P, q<Q:
 *	    acc = ACCUMULATE ? O[n,g,k,p,q] : identity(reduce)
 *	    for c<C, r<R, s<S:
 *	        hv = p*stride_h + r*dilation_h - pad_top
 *	        wv = q*stride_w + s*dilation_w - pad_left
 *	        x  = tap(hv, wv) ? pre(X[n,g,k,c,hv/in_dil_h,wv/in_dil_w])
 *	                         : pre(pad_value)
 *	        acc = reduce(acc, main(x, Y[n,g,k,c,r,s]))
 *	    O[n,g,k,p,q] = post(combine(finish(acc), B[n,g,k,p,q]))
 *
 * where tap(hv, wv) holds when 0 <= hv < (in_h-1)*in_dil_h+1, hv is a
 * multiple of in_dil_h, and the same for wv (input dilation inserts holes
 * that read as pad_value, as transposed convolution needs), and finish()
 * divides by the tap count for the MEAN reductions.
 */
#define GCONV_DESC_F_ACCUMULATE	(1u << 0)	/* acc starts from O */
#define GCONV_DESC_F_ALL	(GCONV_DESC_F_ACCUMULATE)

struct gconv_desc {
	uint32_t flags;		/* GCONV_DESC_F_*; others must be zero */
	uint32_t tag;		/* producer's own (e.g. source node); ignored */

	/* output space */
	uint32_t n, g, k, p, q;
	/* reduction space */
	uint32_t c, r, s;
	/* input spatial size (undilated), bounds the taps that read X */
	uint32_t in_h, in_w;

	uint32_t stride_h, stride_w;		/* >= 1 */
	uint32_t dilation_h, dilation_w;	/* >= 1 (kernel dilation) */
	uint32_t in_dilation_h, in_dilation_w;	/* >= 1 (holes in input) */
	uint32_t pad_top, pad_bottom, pad_left, pad_right;
	uint32_t pad_value;	/* fp32 bits: value read outside the input */

	uint8_t pre;		/* enum gconv_pre_op */
	uint8_t main;		/* enum gconv_main_op */
	uint8_t reduce;		/* enum gconv_reduce_op */
	uint8_t combine;	/* enum gconv_combine_op */
	uint8_t post;		/* enum gconv_post_op */
	uint8_t reserved0[3];	/* must be zero */

	uint32_t pre_param[2];	/* fp32 bits */
	uint32_t post_param[4];	/* fp32 bits */
	uint32_t reserved1;	/* must be zero */

	struct gconv_operand x, y, b, o;

	uint64_t reserved2[8];	/* must be zero */
};

/* ------------------------------------------------------------------------
 * A chain: one header, then `count` descriptors of `desc_size` bytes each,
 * executed in order.  A later descriptor sees every write of an earlier one.
 *
 * Size-extensible: a producer built against a newer minor version may use
 * a larger header_size or desc_size; a consumer accepts the larger record
 * only if every byte past the part it knows is zero.
 */
#define GCONV_CHAIN_F_ALL	0u	/* no chain flags defined in 1.0 */

struct gconv_chain_header {
	uint32_t magic;		/* GCONV_CHAIN_MAGIC */
	uint16_t version_major;	/* GCONV_ISA_VERSION_MAJOR */
	uint16_t version_minor;	/* any; newer minors only append */
	uint32_t header_size;	/* bytes, >= sizeof(struct gconv_chain_header) */
	uint32_t desc_size;	/* bytes, >= sizeof(struct gconv_desc) */
	uint32_t count;		/* descriptors, >= 1 */
	uint32_t flags;		/* GCONV_CHAIN_F_*; others must be zero */
	uint64_t total_size;	/* header_size + count * desc_size */
	uint32_t reserved[8];	/* must be zero */
};

/* ------------------------------------------------------------------------
 * The layout is the ABI: pin every size and the offsets that matter.
 */
#define GCONV_ISA_ASSERT(cond, what) _Static_assert(cond, what)

GCONV_ISA_ASSERT(sizeof(struct gconv_operand) == 80, "operand size");
GCONV_ISA_ASSERT(__builtin_offsetof(struct gconv_operand, extent) == 8,
		 "operand.extent");
GCONV_ISA_ASSERT(__builtin_offsetof(struct gconv_operand, stride) == 16,
		 "operand.stride");
GCONV_ISA_ASSERT(__builtin_offsetof(struct gconv_operand, dtype) == 64,
		 "operand.dtype");
GCONV_ISA_ASSERT(__builtin_offsetof(struct gconv_operand, scale) == 68,
		 "operand.scale");

GCONV_ISA_ASSERT(sizeof(struct gconv_desc) == 512, "descriptor size");
GCONV_ISA_ASSERT(__builtin_offsetof(struct gconv_desc, n) == 8, "desc.n");
GCONV_ISA_ASSERT(__builtin_offsetof(struct gconv_desc, c) == 28, "desc.c");
GCONV_ISA_ASSERT(__builtin_offsetof(struct gconv_desc, in_h) == 40,
		 "desc.in_h");
GCONV_ISA_ASSERT(__builtin_offsetof(struct gconv_desc, stride_h) == 48,
		 "desc.stride_h");
GCONV_ISA_ASSERT(__builtin_offsetof(struct gconv_desc, pad_top) == 72,
		 "desc.pad_top");
GCONV_ISA_ASSERT(__builtin_offsetof(struct gconv_desc, pad_value) == 88,
		 "desc.pad_value");
GCONV_ISA_ASSERT(__builtin_offsetof(struct gconv_desc, pre) == 92,
		 "desc.pre");
GCONV_ISA_ASSERT(__builtin_offsetof(struct gconv_desc, pre_param) == 100,
		 "desc.pre_param");
GCONV_ISA_ASSERT(__builtin_offsetof(struct gconv_desc, post_param) == 108,
		 "desc.post_param");
GCONV_ISA_ASSERT(__builtin_offsetof(struct gconv_desc, x) == 128,
		 "desc.x");
GCONV_ISA_ASSERT(__builtin_offsetof(struct gconv_desc, y) == 208,
		 "desc.y");
GCONV_ISA_ASSERT(__builtin_offsetof(struct gconv_desc, b) == 288,
		 "desc.b");
GCONV_ISA_ASSERT(__builtin_offsetof(struct gconv_desc, o) == 368,
		 "desc.o");
GCONV_ISA_ASSERT(__builtin_offsetof(struct gconv_desc, reserved2) == 448,
		 "desc.reserved2");

GCONV_ISA_ASSERT(sizeof(struct gconv_chain_header) == 64, "header size");
GCONV_ISA_ASSERT(__builtin_offsetof(struct gconv_chain_header, count) == 16,
		 "header.count");
GCONV_ISA_ASSERT(__builtin_offsetof(struct gconv_chain_header,
				    total_size) == 24, "header.total_size");

/* Bytes per element of a dtype; 0 for NONE and unknown values. */
static inline uint32_t gconv_dtype_size(uint32_t dtype)
{
	switch (dtype) {
	case GCONV_DTYPE_F32:
		return 4;
	case GCONV_DTYPE_F16:
	case GCONV_DTYPE_BF16:
		return 2;
	case GCONV_DTYPE_I8:
		return 1;
	default:
		return 0;
	}
}

#endif /* GCONV_ISA_H */
