/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * The one validator for GCONV descriptors and chains.
 *
 * Header-only so that the engine, the compiler, the QEMU device model and
 * the kernel driver compile the same code with no build-system coupling.
 * It needs no libc, no allocation and no floating point.  Every check is
 * listed in docs/gconv-isa.md ("Validation"); each failure names a
 * specific reason (enum gconv_verr), the descriptor index and the field.
 *
 * After gconv_validate_desc() succeeds, an executor may compute every
 * element offset with plain 64-bit arithmetic: every offset is proven to
 * be below the operand's extent, and addr + extent * esize does not wrap.
 */
#ifndef GCONV_VALIDATE_H
#define GCONV_VALIDATE_H

#include "isa.h"

enum gconv_verr {
	GCONV_VERR_OK = 0,
	/* chain level */
	GCONV_VERR_CHAIN_ALIGN,		/* buffer not 8-byte aligned */
	GCONV_VERR_CHAIN_TRUNCATED,	/* buffer shorter than the header says */
	GCONV_VERR_BAD_MAGIC,
	GCONV_VERR_BAD_VERSION,		/* major version not understood */
	GCONV_VERR_HEADER_SIZE,		/* too small, too big or unaligned */
	GCONV_VERR_DESC_SIZE,		/* too small, too big or unaligned */
	GCONV_VERR_COUNT,		/* zero or above the limit */
	GCONV_VERR_TOTAL_SIZE,		/* header_size + count * desc_size */
	GCONV_VERR_CHAIN_FLAGS,		/* unknown chain flag */
	GCONV_VERR_EXTENSION,		/* non-zero bytes in an unknown extension */
	/* descriptor level */
	GCONV_VERR_RESERVED,		/* reserved field not zero */
	GCONV_VERR_DESC_FLAGS,		/* unknown descriptor flag */
	GCONV_VERR_OPCODE,		/* unknown pre/main/reduce/combine/post */
	GCONV_VERR_ZERO_DIM,		/* an extent of the loop nest is zero */
	GCONV_VERR_DIM_LIMIT,		/* a size, stride or pad above limits */
	GCONV_VERR_ZERO_STEP,		/* stride or dilation is zero */
	GCONV_VERR_WORK_LIMIT,		/* N*G*K*P*Q*C*R*S overflows or too big */
	GCONV_VERR_ACCUMULATE_MEAN,	/* ACCUMULATE with a MEAN reduction */
	/* operand level */
	GCONV_VERR_OPERAND_MISSING,	/* operand read or written, dtype NONE */
	GCONV_VERR_OPERAND_UNUSED,	/* operand not used but not all zero */
	GCONV_VERR_DTYPE_UNKNOWN,
	GCONV_VERR_DTYPE_UNSUPPORTED,	/* known type this consumer lacks */
	GCONV_VERR_QUANT,		/* scale/zero_point set on a non-I8 type */
	GCONV_VERR_SLOT,		/* B or O with a non-zero C stride */
	GCONV_VERR_MISALIGNED,		/* addr not a multiple of the esize */
	GCONV_VERR_INDEX_OVERFLOW,	/* offset arithmetic overflows 64 bits */
	GCONV_VERR_OUT_OF_EXTENT,	/* an access at or beyond extent */
	GCONV_VERR_ADDR_OVERFLOW,	/* addr + extent * esize wraps */
	/* executor level: checked against the memory a chain may touch */
	GCONV_VERR_OUT_OF_RANGE,	/* operand outside that memory */
	GCONV_VERR_READ_ONLY,		/* output in memory that is read-only */
	GCONV_VERR_COUNT_
};

/* Where validation failed. */
struct gconv_verror {
	uint32_t code;		/* enum gconv_verr */
	uint32_t desc;		/* descriptor index, or GCONV_VERR_NO_DESC */
	char operand;		/* 'X', 'Y', 'B', 'O' or 0 */
	const char *field;	/* field name, e.g. "stride[k]"; never NULL */
};

#define GCONV_VERR_NO_DESC	0xffffffffu

/*
 * What a consumer accepts.  Devices advertise theirs in capability
 * registers; GCONV_LIMITS_DEFAULT is what the software engine takes.
 */
struct gconv_limits {
	uint32_t max_count;	/* descriptors per chain */
	uint32_t max_dim;	/* n, g, k, p, q, c, r, s, in_h, in_w */
	uint32_t max_step;	/* strides, dilations and pads */
	uint32_t dtypes;	/* bit (1 << dtype) per supported type */
	uint64_t max_work;	/* N*G*K*P*Q*C*R*S per descriptor */
};

#define GCONV_MAX_RECORD_SIZE	4096u	/* header_size and desc_size cap */
/*
 * Hard caps on max_dim and max_step whatever a consumer's limits say: they
 * keep every coordinate an executor forms below 2^48 (see docs).
 */
#define GCONV_MAX_DIM_HARD	(1u << 24)
#define GCONV_MAX_STEP_HARD	(1u << 24)

#define GCONV_LIMITS_DEFAULT {				\
	.max_count = 1u << 16,				\
	.max_dim = 1u << 24,				\
	.max_step = 1u << 24,				\
	.dtypes = 1u << GCONV_DTYPE_F32,		\
	.max_work = 1ull << 44,				\
}

static inline const char *gconv_verr_str(uint32_t code)
{
	static const char *const str[GCONV_VERR_COUNT_] = {
		[GCONV_VERR_OK] = "valid",
		[GCONV_VERR_CHAIN_ALIGN] = "chain buffer is not 8-byte aligned",
		[GCONV_VERR_CHAIN_TRUNCATED] = "chain is truncated",
		[GCONV_VERR_BAD_MAGIC] = "bad chain magic",
		[GCONV_VERR_BAD_VERSION] = "unsupported ISA major version",
		[GCONV_VERR_HEADER_SIZE] = "bad header size",
		[GCONV_VERR_DESC_SIZE] = "bad descriptor size",
		[GCONV_VERR_COUNT] = "bad descriptor count",
		[GCONV_VERR_TOTAL_SIZE] =
			"total size disagrees with header, count and descriptor sizes",
		[GCONV_VERR_CHAIN_FLAGS] = "unknown chain flags",
		[GCONV_VERR_EXTENSION] = "non-zero bytes in an unknown extension",
		[GCONV_VERR_RESERVED] = "reserved field is not zero",
		[GCONV_VERR_DESC_FLAGS] = "unknown descriptor flags",
		[GCONV_VERR_OPCODE] = "unknown operator",
		[GCONV_VERR_ZERO_DIM] = "zero dimension",
		[GCONV_VERR_DIM_LIMIT] = "dimension above the device limit",
		[GCONV_VERR_ZERO_STEP] = "zero stride or dilation",
		[GCONV_VERR_WORK_LIMIT] = "loop nest too large",
		[GCONV_VERR_ACCUMULATE_MEAN] =
			"accumulate is not defined for mean reductions",
		[GCONV_VERR_OPERAND_MISSING] = "operand is used but has no type",
		[GCONV_VERR_OPERAND_UNUSED] =
			"operand is not used but is not all zero",
		[GCONV_VERR_DTYPE_UNKNOWN] = "unknown element type",
		[GCONV_VERR_DTYPE_UNSUPPORTED] = "unsupported element type",
		[GCONV_VERR_QUANT] = "quantisation fields set on a float type",
		[GCONV_VERR_SLOT] = "operand indexed by c, which it cannot see",
		[GCONV_VERR_MISALIGNED] = "operand address not element aligned",
		[GCONV_VERR_INDEX_OVERFLOW] = "index arithmetic overflows 64 bits",
		[GCONV_VERR_OUT_OF_EXTENT] = "access outside the operand's extent",
		[GCONV_VERR_ADDR_OVERFLOW] = "operand address range wraps",
		[GCONV_VERR_OUT_OF_RANGE] =
			"operand outside the memory the chain may access",
		[GCONV_VERR_READ_ONLY] = "output operand in read-only memory",
	};

	if (code >= GCONV_VERR_COUNT_ || !str[code])
		return "unknown validation error";
	return str[code];
}

static inline int gconv_verr_set(struct gconv_verror *err, uint32_t code,
				 uint32_t desc, char operand,
				 const char *field)
{
	if (err) {
		err->code = code;
		err->desc = desc;
		err->operand = operand;
		err->field = field;
	}
	return -(int)code;
}

/* True if the n bytes at p are all zero. */
static inline int gconv_bytes_zero(const void *p, uint64_t n)
{
	const uint8_t *b = (const uint8_t *)p;
	uint64_t i;

	for (i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

/* Which operands a descriptor reads or writes. */
static inline int gconv_desc_reads_x(const struct gconv_desc *d)
{
	return d->main != GCONV_MAIN_TAKE_Y;
}

static inline int gconv_desc_reads_y(const struct gconv_desc *d)
{
	return d->main != GCONV_MAIN_TAKE_X;
}

static inline int gconv_desc_reads_b(const struct gconv_desc *d)
{
	return d->combine != GCONV_COMBINE_NONE;
}

/*
 * Number of loop iterations along each slot for an operand: X walks
 * (n, g, k, c, in_h, in_w), Y (n, g, k, c, r, s), B and O (n, g, k, -, p, q).
 */
static inline void gconv_operand_dims(const struct gconv_desc *d, char which,
				      uint64_t dims[GCONV_SLOTS])
{
	dims[GCONV_SLOT_N] = d->n;
	dims[GCONV_SLOT_G] = d->g;
	dims[GCONV_SLOT_K] = d->k;
	switch (which) {
	case 'X':
		dims[GCONV_SLOT_C] = d->c;
		dims[GCONV_SLOT_ROW] = d->in_h;
		dims[GCONV_SLOT_COL] = d->in_w;
		break;
	case 'Y':
		dims[GCONV_SLOT_C] = d->c;
		dims[GCONV_SLOT_ROW] = d->r;
		dims[GCONV_SLOT_COL] = d->s;
		break;
	default: /* 'B', 'O' */
		dims[GCONV_SLOT_C] = 1;
		dims[GCONV_SLOT_ROW] = d->p;
		dims[GCONV_SLOT_COL] = d->q;
		break;
	}
}

static inline int gconv_validate_operand(const struct gconv_desc *d,
					 const struct gconv_operand *op,
					 char which, int used, uint32_t idx,
					 const struct gconv_limits *lim,
					 struct gconv_verror *err)
{
	static const char *const stride_name[GCONV_SLOTS] = {
		"stride[n]", "stride[g]", "stride[k]", "stride[c]",
		"stride[row]", "stride[col]",
	};
	uint64_t dims[GCONV_SLOTS];
	uint64_t max_off = 0, span, end;
	uint32_t esize;
	int i;

	if (!used) {
		if (!gconv_bytes_zero(op, sizeof(*op)))
			return gconv_verr_set(err, GCONV_VERR_OPERAND_UNUSED,
					      idx, which, "operand");
		return 0;
	}
	if (op->dtype == GCONV_DTYPE_NONE)
		return gconv_verr_set(err, GCONV_VERR_OPERAND_MISSING, idx,
				      which, "dtype");
	if (op->dtype >= GCONV_DTYPE_COUNT)
		return gconv_verr_set(err, GCONV_VERR_DTYPE_UNKNOWN, idx, which,
				      "dtype");
	if (!(lim->dtypes & (1u << op->dtype)))
		return gconv_verr_set(err, GCONV_VERR_DTYPE_UNSUPPORTED, idx,
				      which, "dtype");
	if (!gconv_bytes_zero(op->reserved0, sizeof(op->reserved0)))
		return gconv_verr_set(err, GCONV_VERR_RESERVED, idx, which,
				      "reserved0");
	if (op->reserved1)
		return gconv_verr_set(err, GCONV_VERR_RESERVED, idx, which,
				      "reserved1");
	if (op->dtype != GCONV_DTYPE_I8 && (op->scale || op->zero_point))
		return gconv_verr_set(err, GCONV_VERR_QUANT, idx, which,
				      op->scale ? "scale" : "zero_point");
	if ((which == 'B' || which == 'O') && op->stride[GCONV_SLOT_C])
		return gconv_verr_set(err, GCONV_VERR_SLOT, idx, which,
				      "stride[c]");

	esize = gconv_dtype_size(op->dtype);
	if (op->addr % esize)
		return gconv_verr_set(err, GCONV_VERR_MISALIGNED, idx, which,
				      "addr");

	/* The largest offset any loop iteration can form. */
	gconv_operand_dims(d, which, dims);
	for (i = 0; i < GCONV_SLOTS; i++) {
		uint64_t term;

		if (__builtin_mul_overflow(dims[i] - 1, op->stride[i], &term) ||
		    __builtin_add_overflow(max_off, term, &max_off))
			return gconv_verr_set(err, GCONV_VERR_INDEX_OVERFLOW,
					      idx, which,
					      stride_name[i]);
	}
	if (max_off >= op->extent)
		return gconv_verr_set(err, GCONV_VERR_OUT_OF_EXTENT, idx, which,
				      "extent");
	if (__builtin_mul_overflow(op->extent, (uint64_t)esize, &span) ||
	    __builtin_add_overflow(op->addr, span, &end))
		return gconv_verr_set(err, GCONV_VERR_ADDR_OVERFLOW, idx, which,
				      "extent");
	return 0;
}

/*
 * Validate one descriptor.  @idx only labels errors.  Returns 0 or a
 * negative enum gconv_verr; @err (may be NULL) says where.
 */
static inline int gconv_validate_desc(const struct gconv_desc *d, uint32_t idx,
				      const struct gconv_limits *lim,
				      struct gconv_verror *err)
{
	const struct {
		uint32_t v;
		const char *name;
	} dims[] = {
		{ d->n, "n" }, { d->g, "g" }, { d->k, "k" }, { d->p, "p" },
		{ d->q, "q" }, { d->c, "c" }, { d->r, "r" }, { d->s, "s" },
		{ d->in_h, "in_h" }, { d->in_w, "in_w" },
	};
	const struct {
		uint32_t v;
		const char *name;
		int nonzero;
	} steps[] = {
		{ d->stride_h, "stride_h", 1 },
		{ d->stride_w, "stride_w", 1 },
		{ d->dilation_h, "dilation_h", 1 },
		{ d->dilation_w, "dilation_w", 1 },
		{ d->in_dilation_h, "in_dilation_h", 1 },
		{ d->in_dilation_w, "in_dilation_w", 1 },
		{ d->pad_top, "pad_top", 0 },
		{ d->pad_bottom, "pad_bottom", 0 },
		{ d->pad_left, "pad_left", 0 },
		{ d->pad_right, "pad_right", 0 },
	};
	uint32_t max_dim = lim->max_dim < GCONV_MAX_DIM_HARD ?
			   lim->max_dim : GCONV_MAX_DIM_HARD;
	uint32_t max_step = lim->max_step < GCONV_MAX_STEP_HARD ?
			    lim->max_step : GCONV_MAX_STEP_HARD;
	uint64_t work = 1;
	unsigned int i;
	int ret;

	if (d->flags & ~GCONV_DESC_F_ALL)
		return gconv_verr_set(err, GCONV_VERR_DESC_FLAGS, idx, 0,
				      "flags");
	if (!gconv_bytes_zero(d->reserved0, sizeof(d->reserved0)))
		return gconv_verr_set(err, GCONV_VERR_RESERVED, idx, 0,
				      "reserved0");
	if (d->reserved1)
		return gconv_verr_set(err, GCONV_VERR_RESERVED, idx, 0,
				      "reserved1");
	if (!gconv_bytes_zero(d->reserved2, sizeof(d->reserved2)))
		return gconv_verr_set(err, GCONV_VERR_RESERVED, idx, 0,
				      "reserved2");

	if (d->pre >= GCONV_PRE_COUNT)
		return gconv_verr_set(err, GCONV_VERR_OPCODE, idx, 0, "pre");
	if (d->main >= GCONV_MAIN_COUNT)
		return gconv_verr_set(err, GCONV_VERR_OPCODE, idx, 0, "main");
	if (d->reduce >= GCONV_REDUCE_COUNT)
		return gconv_verr_set(err, GCONV_VERR_OPCODE, idx, 0, "reduce");
	if (d->combine >= GCONV_COMBINE_COUNT)
		return gconv_verr_set(err, GCONV_VERR_OPCODE, idx, 0,
				      "combine");
	if (d->post >= GCONV_POST_COUNT)
		return gconv_verr_set(err, GCONV_VERR_OPCODE, idx, 0, "post");

	for (i = 0; i < sizeof(dims) / sizeof(dims[0]); i++) {
		if (!dims[i].v)
			return gconv_verr_set(err, GCONV_VERR_ZERO_DIM, idx, 0,
					      dims[i].name);
		if (dims[i].v > max_dim)
			return gconv_verr_set(err, GCONV_VERR_DIM_LIMIT, idx, 0,
					      dims[i].name);
	}
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (steps[i].nonzero && !steps[i].v)
			return gconv_verr_set(err, GCONV_VERR_ZERO_STEP, idx, 0,
					      steps[i].name);
		if (steps[i].v > max_step)
			return gconv_verr_set(err, GCONV_VERR_DIM_LIMIT, idx, 0,
					      steps[i].name);
	}
	/* dims 0..7 are the loop nest n, g, k, p, q, c, r, s */
	for (i = 0; i < 8; i++)
		if (__builtin_mul_overflow(work, (uint64_t)dims[i].v, &work))
			return gconv_verr_set(err, GCONV_VERR_WORK_LIMIT, idx,
					      0, "n*g*k*p*q*c*r*s");
	if (work > lim->max_work)
		return gconv_verr_set(err, GCONV_VERR_WORK_LIMIT, idx, 0,
				      "n*g*k*p*q*c*r*s");

	if ((d->flags & GCONV_DESC_F_ACCUMULATE) &&
	    (d->reduce == GCONV_REDUCE_MEAN_ALL ||
	     d->reduce == GCONV_REDUCE_MEAN_VALID ||
	     d->reduce == GCONV_REDUCE_MEAN_PADDED))
		return gconv_verr_set(err, GCONV_VERR_ACCUMULATE_MEAN, idx, 0,
				      "flags");

	ret = gconv_validate_operand(d, &d->x, 'X', gconv_desc_reads_x(d), idx,
				     lim, err);
	if (ret)
		return ret;
	ret = gconv_validate_operand(d, &d->y, 'Y', gconv_desc_reads_y(d), idx,
				     lim, err);
	if (ret)
		return ret;
	ret = gconv_validate_operand(d, &d->b, 'B', gconv_desc_reads_b(d), idx,
				     lim, err);
	if (ret)
		return ret;
	return gconv_validate_operand(d, &d->o, 'O', 1, idx, lim, err);
}

/* Bytes an operand spans from its addr; 0 if it is unused. */
static inline uint64_t gconv_operand_bytes(const struct gconv_operand *op)
{
	return op->extent * gconv_dtype_size(op->dtype);
}

/*
 * For executors over one flat memory of @size bytes at address 0 (the CPU
 * backend): check that every operand @d uses lies inside it.  @d must have
 * passed gconv_validate_desc(), so addr + bytes cannot wrap.
 */
static inline int gconv_validate_desc_range(const struct gconv_desc *d,
					    uint32_t idx, uint64_t size,
					    struct gconv_verror *err)
{
	const struct {
		const struct gconv_operand *op;
		char name;
		int used;
	} ops[] = {
		{ &d->x, 'X', gconv_desc_reads_x(d) },
		{ &d->y, 'Y', gconv_desc_reads_y(d) },
		{ &d->b, 'B', gconv_desc_reads_b(d) },
		{ &d->o, 'O', 1 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (!ops[i].used)
			continue;
		if (ops[i].op->addr > size ||
		    gconv_operand_bytes(ops[i].op) > size - ops[i].op->addr)
			return gconv_verr_set(err, GCONV_VERR_OUT_OF_RANGE, idx,
					      ops[i].name, "addr");
	}
	return 0;
}

/* Descriptor @i of a chain whose header has been validated. */
static inline const struct gconv_desc *
gconv_chain_desc(const struct gconv_chain_header *h, uint32_t i)
{
	return (const struct gconv_desc *)((const uint8_t *)h +
					   h->header_size +
					   (uint64_t)i * h->desc_size);
}

/*
 * Validate a whole chain held in @len bytes at @buf (8-byte aligned).
 * Checks the header, then every descriptor in order, and stops at the
 * first problem.  Returns 0 or a negative enum gconv_verr.
 */
static inline int gconv_validate_chain(const void *buf, uint64_t len,
				       const struct gconv_limits *lim,
				       struct gconv_verror *err)
{
	const struct gconv_chain_header *h = buf;
	uint64_t total;
	uint32_t i;
	int ret;

	if ((uintptr_t)buf % 8)
		return gconv_verr_set(err, GCONV_VERR_CHAIN_ALIGN,
				      GCONV_VERR_NO_DESC, 0, "buffer");
	if (len < sizeof(*h))
		return gconv_verr_set(err, GCONV_VERR_CHAIN_TRUNCATED,
				      GCONV_VERR_NO_DESC, 0, "header");
	if (h->magic != GCONV_CHAIN_MAGIC)
		return gconv_verr_set(err, GCONV_VERR_BAD_MAGIC,
				      GCONV_VERR_NO_DESC, 0, "magic");
	if (h->version_major != GCONV_ISA_VERSION_MAJOR)
		return gconv_verr_set(err, GCONV_VERR_BAD_VERSION,
				      GCONV_VERR_NO_DESC, 0, "version_major");
	if (h->header_size < sizeof(*h) ||
	    h->header_size > GCONV_MAX_RECORD_SIZE || h->header_size % 8)
		return gconv_verr_set(err, GCONV_VERR_HEADER_SIZE,
				      GCONV_VERR_NO_DESC, 0, "header_size");
	if (h->desc_size < sizeof(struct gconv_desc) ||
	    h->desc_size > GCONV_MAX_RECORD_SIZE || h->desc_size % 8)
		return gconv_verr_set(err, GCONV_VERR_DESC_SIZE,
				      GCONV_VERR_NO_DESC, 0, "desc_size");
	if (!h->count || h->count > lim->max_count)
		return gconv_verr_set(err, GCONV_VERR_COUNT,
				      GCONV_VERR_NO_DESC, 0, "count");
	if (h->flags & ~GCONV_CHAIN_F_ALL)
		return gconv_verr_set(err, GCONV_VERR_CHAIN_FLAGS,
				      GCONV_VERR_NO_DESC, 0, "flags");
	if (!gconv_bytes_zero(h->reserved, sizeof(h->reserved)))
		return gconv_verr_set(err, GCONV_VERR_RESERVED,
				      GCONV_VERR_NO_DESC, 0, "reserved");
	/* cannot overflow: both factors are below 2^32 */
	total = h->header_size + (uint64_t)h->count * h->desc_size;
	if (h->total_size != total)
		return gconv_verr_set(err, GCONV_VERR_TOTAL_SIZE,
				      GCONV_VERR_NO_DESC, 0, "total_size");
	if (len < total)
		return gconv_verr_set(err, GCONV_VERR_CHAIN_TRUNCATED,
				      GCONV_VERR_NO_DESC, 0, "total_size");
	if (!gconv_bytes_zero((const uint8_t *)h + sizeof(*h),
			      h->header_size - sizeof(*h)))
		return gconv_verr_set(err, GCONV_VERR_EXTENSION,
				      GCONV_VERR_NO_DESC, 0, "header");

	for (i = 0; i < h->count; i++) {
		const struct gconv_desc *d = gconv_chain_desc(h, i);

		if (!gconv_bytes_zero((const uint8_t *)d + sizeof(*d),
				      h->desc_size - sizeof(*d)))
			return gconv_verr_set(err, GCONV_VERR_EXTENSION, i, 0,
					      "descriptor");
		ret = gconv_validate_desc(d, i, lim, err);
		if (ret)
			return ret;
	}
	return 0;
}

#endif /* GCONV_VALIDATE_H */
