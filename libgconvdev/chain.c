// SPDX-License-Identifier: MIT
/*
 * Building, encoding and printing GCONV descriptors and chains.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gconv/engine.h>

uint32_t gconv_f32_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

float gconv_bits_f32(uint32_t bits)
{
	float f;

	memcpy(&f, &bits, sizeof(f));
	return f;
}

void gconv_desc_init(struct gconv_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->n = d->g = d->k = d->p = d->q = 1;
	d->c = d->r = d->s = 1;
	d->in_h = d->in_w = 1;
	d->stride_h = d->stride_w = 1;
	d->dilation_h = d->dilation_w = 1;
	d->in_dilation_h = d->in_dilation_w = 1;
	d->pre = GCONV_PRE_IDENTITY;
	d->main = GCONV_MAIN_MUL;
	d->reduce = GCONV_REDUCE_SUM;
	d->combine = GCONV_COMBINE_NONE;
	d->post = GCONV_POST_IDENTITY;
}

void gconv_operand_f32(struct gconv_operand *op, uint64_t addr,
		       uint64_t extent, uint64_t sn, uint64_t sg, uint64_t sk,
		       uint64_t sc, uint64_t srow, uint64_t scol)
{
	memset(op, 0, sizeof(*op));
	op->addr = addr;
	op->extent = extent;
	op->dtype = GCONV_DTYPE_F32;
	op->stride[GCONV_SLOT_N] = sn;
	op->stride[GCONV_SLOT_G] = sg;
	op->stride[GCONV_SLOT_K] = sk;
	op->stride[GCONV_SLOT_C] = sc;
	op->stride[GCONV_SLOT_ROW] = srow;
	op->stride[GCONV_SLOT_COL] = scol;
}

uint64_t gconv_operand_min_extent(const struct gconv_desc *d, char which)
{
	const struct gconv_operand *op;
	uint64_t dims[GCONV_SLOTS], max = 0;
	int i;

	switch (which) {
	case 'X':
		op = &d->x;
		break;
	case 'Y':
		op = &d->y;
		break;
	case 'B':
		op = &d->b;
		break;
	default:
		op = &d->o;
		break;
	}
	gconv_operand_dims(d, which, dims);
	for (i = 0; i < GCONV_SLOTS; i++)
		max += (dims[i] - 1) * op->stride[i];
	return max + 1;
}

int gconv_chain_append(struct gconv_chain_builder *b,
		       const struct gconv_desc *d)
{
	if (b->count == b->cap) {
		uint32_t cap = b->cap ? b->cap * 2 : 8;
		struct gconv_desc *n;

		if (cap < b->cap)
			return -EOVERFLOW;
		n = realloc(b->desc, (size_t)cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		b->desc = n;
		b->cap = cap;
	}
	b->desc[b->count++] = *d;
	return 0;
}

int gconv_chain_encode(const struct gconv_chain_builder *b, void **buf,
		       size_t *len)
{
	struct gconv_chain_header h = {
		.magic = GCONV_CHAIN_MAGIC,
		.version_major = GCONV_ISA_VERSION_MAJOR,
		.version_minor = GCONV_ISA_VERSION_MINOR,
		.header_size = sizeof(h),
		.desc_size = sizeof(struct gconv_desc),
		.count = b->count,
	};
	size_t size = sizeof(h) + (size_t)b->count * sizeof(struct gconv_desc);
	void *p;

	h.total_size = size;
	/* aligned_alloc wants a multiple of the alignment: size is one */
	p = aligned_alloc(8, size);
	if (!p)
		return -ENOMEM;
	memcpy(p, &h, sizeof(h));
	if (b->count)
		memcpy((uint8_t *)p + sizeof(h), b->desc,
		       (size_t)b->count * sizeof(struct gconv_desc));
	*buf = p;
	*len = size;
	return 0;
}

void gconv_chain_builder_free(struct gconv_chain_builder *b)
{
	free(b->desc);
	memset(b, 0, sizeof(*b));
}

#define NAME(table, v) \
	((v) < sizeof(table) / sizeof(table[0]) && table[v] ? table[v] : "?")

const char *gconv_pre_name(uint32_t op)
{
	static const char *const t[GCONV_PRE_COUNT] = {
		"identity", "neg", "abs", "square", "exp",
		"log", "sqrt", "recip", "affine",
	};
	return NAME(t, op);
}

const char *gconv_main_name(uint32_t op)
{
	static const char *const t[GCONV_MAIN_COUNT] = {
		"mul", "add", "sub", "div", "max", "min",
		"take-x", "take-y", "sqdiff", "prelu", "pow",
	};
	return NAME(t, op);
}

const char *gconv_reduce_name(uint32_t op)
{
	static const char *const t[GCONV_REDUCE_COUNT] = {
		"sum", "max", "min", "mean-all", "mean-valid", "mean-padded",
	};
	return NAME(t, op);
}

const char *gconv_combine_name(uint32_t op)
{
	static const char *const t[GCONV_COMBINE_COUNT] = {
		"none", "add", "sub", "mul", "div", "max", "min",
	};
	return NAME(t, op);
}

const char *gconv_post_name(uint32_t op)
{
	static const char *const t[GCONV_POST_COUNT] = {
		"identity", "relu", "clip", "leaky", "sigmoid", "tanh",
		"exp", "log", "sqrt", "rsqrt", "recip", "pow",
		"hard-sigmoid", "hard-swish", "elu", "selu", "softplus",
		"affine", "affine-pow", "abs", "neg",
	};
	return NAME(t, op);
}

const char *gconv_dtype_name(uint32_t dtype)
{
	static const char *const t[GCONV_DTYPE_COUNT] = {
		"none", "f32", "f16", "bf16", "i8",
	};
	return NAME(t, dtype);
}

int gconv_verror_format(const struct gconv_verror *err, char *buf,
			size_t len)
{
	char where[64] = "chain header";

	if (err->desc != GCONV_VERR_NO_DESC) {
		if (err->operand)
			snprintf(where, sizeof(where),
				 "descriptor %u, operand %c", err->desc,
				 err->operand);
		else
			snprintf(where, sizeof(where), "descriptor %u",
				 err->desc);
	}
	return snprintf(buf, len, "%s, %s: %s", where,
			err->field ? err->field : "?",
			gconv_verr_str(err->code));
}

int gconv_desc_format(const struct gconv_desc *d, char *buf, size_t len)
{
	return snprintf(buf, len,
			"out[n=%u g=%u k=%u p=%u q=%u] red[c=%u r=%u s=%u] "
			"in[%ux%u] stride %ux%u dil %ux%u idil %ux%u "
			"pad %u,%u,%u,%u  %s/%s/%s/%s/%s%s",
			d->n, d->g, d->k, d->p, d->q, d->c, d->r, d->s,
			d->in_h, d->in_w, d->stride_h, d->stride_w,
			d->dilation_h, d->dilation_w, d->in_dilation_h,
			d->in_dilation_w, d->pad_top, d->pad_left,
			d->pad_bottom, d->pad_right, gconv_pre_name(d->pre),
			gconv_main_name(d->main), gconv_reduce_name(d->reduce),
			gconv_combine_name(d->combine),
			gconv_post_name(d->post),
			(d->flags & GCONV_DESC_F_ACCUMULATE) ? " +acc" : "");
}
