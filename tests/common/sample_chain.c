// SPDX-License-Identifier: MIT
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gconv/engine.h>

#include "sample_chain.h"

/* Memory map of the image, in floats. */
enum {
	M_IN = 0,				/* 64 */
	M_CONV_W = M_IN + 64,			/* 36 */
	M_CONV_B = M_CONV_W + 36,		/* 4 */
	M_CONV = M_CONV_B + 4,			/* 256: 1x4x8x8 */
	M_POOL = M_CONV + 256,			/* 64: 1x4x4x4 */
	M_FC_W = M_POOL + 64,			/* 640 */
	M_FC_B = M_FC_W + 640,			/* 10 */
	M_LOGITS = M_FC_B + 10,			/* 10 */
	M_MAX = M_LOGITS + 10,			/* 1 */
	M_EXP = M_MAX + 1,			/* 10 */
	M_SUM = M_EXP + 10,			/* 1 */
	M_PROB = M_SUM + 1,			/* 10 */
	M_TOTAL = M_PROB + 10,
};

#define B(f) ((uint64_t)(f) * sizeof(float))

static unsigned long long next(unsigned long long *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static float randf(unsigned long long *s)
{
	return (float)((next(s) >> 40) / (double)(1ULL << 24) - 0.5);
}

void sample_params_random(struct sample_params *prm, unsigned long long seed)
{
	unsigned long long s = seed * 2654435761ULL + 1;
	size_t i;

	for (i = 0; i < sizeof(prm->conv_w) / sizeof(float); i++)
		prm->conv_w[i] = randf(&s);
	for (i = 0; i < 4; i++)
		prm->conv_b[i] = randf(&s) * 0.2f;
	for (i = 0; i < sizeof(prm->fc_w) / sizeof(float); i++)
		prm->fc_w[i] = randf(&s) * 0.5f;
	for (i = 0; i < SAMPLE_CLASSES; i++)
		prm->fc_b[i] = randf(&s) * 0.2f;
}

int sample_chain_build(const struct sample_params *prm, void **chain,
		       size_t *chain_len, float **mem, size_t *mem_size,
		       size_t *in_off, size_t *out_off)
{
	struct gconv_chain_builder cb = { 0 };
	struct gconv_desc d;
	float *m;
	int ret = 0;

	m = calloc(M_TOTAL, sizeof(float));
	if (!m)
		return -ENOMEM;
	memcpy(m + M_CONV_W, prm->conv_w, sizeof(prm->conv_w));
	memcpy(m + M_CONV_B, prm->conv_b, sizeof(prm->conv_b));
	memcpy(m + M_FC_W, prm->fc_w, sizeof(prm->fc_w));
	memcpy(m + M_FC_B, prm->fc_b, sizeof(prm->fc_b));

	/* 0: conv 3x3, pad 1: K=4 filters over C=1, bias through combine */
	gconv_desc_init(&d);
	d.tag = 0;
	d.k = 4, d.p = 8, d.q = 8, d.r = 3, d.s = 3;
	d.in_h = 8, d.in_w = 8;
	d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
	d.combine = GCONV_COMBINE_ADD;
	gconv_operand_f32(&d.x, B(M_IN), 64, 64, 0, 0, 64, 8, 1);
	gconv_operand_f32(&d.y, B(M_CONV_W), 36, 0, 0, 9, 9, 3, 1);
	gconv_operand_f32(&d.b, B(M_CONV_B), 4, 0, 0, 1, 0, 0, 0);
	gconv_operand_f32(&d.o, B(M_CONV), 256, 256, 0, 64, 0, 8, 1);
	ret |= gconv_chain_append(&cb, &d);

	/* 1: relu, element-wise and in place: channels walk k */
	gconv_desc_init(&d);
	d.tag = 1;
	d.k = 4, d.p = 8, d.q = 8, d.in_h = 8, d.in_w = 8;
	d.main = GCONV_MAIN_TAKE_X;
	d.post = GCONV_POST_RELU;
	gconv_operand_f32(&d.x, B(M_CONV), 256, 256, 0, 64, 0, 8, 1);
	gconv_operand_f32(&d.o, B(M_CONV), 256, 256, 0, 64, 0, 8, 1);
	ret |= gconv_chain_append(&cb, &d);

	/* 2: maxpool 2x2 stride 2 */
	gconv_desc_init(&d);
	d.tag = 2;
	d.k = 4, d.p = 4, d.q = 4, d.r = 2, d.s = 2;
	d.in_h = 8, d.in_w = 8, d.stride_h = 2, d.stride_w = 2;
	d.main = GCONV_MAIN_TAKE_X;
	d.reduce = GCONV_REDUCE_MAX;
	d.pad_value = gconv_f32_bits(-INFINITY);
	gconv_operand_f32(&d.x, B(M_CONV), 256, 256, 0, 64, 0, 8, 1);
	gconv_operand_f32(&d.o, B(M_POOL), 64, 64, 0, 16, 0, 4, 1);
	ret |= gconv_chain_append(&cb, &d);

	/* 3: fully connected as a window covering the whole 4x4x4 input */
	gconv_desc_init(&d);
	d.tag = 3;
	d.k = SAMPLE_CLASSES, d.c = 4, d.r = 4, d.s = 4;
	d.in_h = 4, d.in_w = 4;
	d.combine = GCONV_COMBINE_ADD;
	gconv_operand_f32(&d.x, B(M_POOL), 64, 64, 0, 0, 16, 4, 1);
	gconv_operand_f32(&d.y, B(M_FC_W), 640, 0, 0, 64, 16, 4, 1);
	gconv_operand_f32(&d.b, B(M_FC_B), 10, 0, 0, 1, 0, 0, 0);
	gconv_operand_f32(&d.o, B(M_LOGITS), 10, 10, 0, 1, 0, 0, 0);
	ret |= gconv_chain_append(&cb, &d);

	/* 4: softmax 1/4: m = max over classes (classes walk c) */
	gconv_desc_init(&d);
	d.tag = 4;
	d.c = SAMPLE_CLASSES;
	d.main = GCONV_MAIN_TAKE_X;
	d.reduce = GCONV_REDUCE_MAX;
	gconv_operand_f32(&d.x, B(M_LOGITS), 10, 10, 0, 0, 1, 0, 0);
	gconv_operand_f32(&d.o, B(M_MAX), 1, 1, 0, 0, 0, 0, 0);
	ret |= gconv_chain_append(&cb, &d);

	/* 5: softmax 2/4: e = exp(x - m), m broadcast by a zero k-stride */
	gconv_desc_init(&d);
	d.tag = 5;
	d.k = SAMPLE_CLASSES;
	d.main = GCONV_MAIN_SUB;
	d.post = GCONV_POST_EXP;
	gconv_operand_f32(&d.x, B(M_LOGITS), 10, 10, 0, 1, 0, 0, 0);
	gconv_operand_f32(&d.y, B(M_MAX), 1, 0, 0, 0, 0, 0, 0);
	gconv_operand_f32(&d.o, B(M_EXP), 10, 10, 0, 1, 0, 0, 0);
	ret |= gconv_chain_append(&cb, &d);

	/* 6: softmax 3/4: s = sum of e */
	gconv_desc_init(&d);
	d.tag = 6;
	d.c = SAMPLE_CLASSES;
	d.main = GCONV_MAIN_TAKE_X;
	gconv_operand_f32(&d.x, B(M_EXP), 10, 10, 0, 0, 1, 0, 0);
	gconv_operand_f32(&d.o, B(M_SUM), 1, 1, 0, 0, 0, 0, 0);
	ret |= gconv_chain_append(&cb, &d);

	/* 7: softmax 4/4: p = e / s */
	gconv_desc_init(&d);
	d.tag = 7;
	d.k = SAMPLE_CLASSES;
	d.main = GCONV_MAIN_DIV;
	gconv_operand_f32(&d.x, B(M_EXP), 10, 10, 0, 1, 0, 0, 0);
	gconv_operand_f32(&d.y, B(M_SUM), 1, 0, 0, 0, 0, 0, 0);
	gconv_operand_f32(&d.o, B(M_PROB), 10, 10, 0, 1, 0, 0, 0);
	ret |= gconv_chain_append(&cb, &d);

	if (!ret)
		ret = gconv_chain_encode(&cb, chain, chain_len);
	gconv_chain_builder_free(&cb);
	if (ret) {
		free(m);
		return ret;
	}
	*mem = m;
	*mem_size = B(M_TOTAL);
	*in_off = B(M_IN);
	*out_off = B(M_PROB);
	return 0;
}

void sample_reference(const struct sample_params *prm,
		      const float in[SAMPLE_IN], float out[SAMPLE_CLASSES])
{
	double conv[4][8][8], pool[4][4][4], logits[SAMPLE_CLASSES];
	double mx = -INFINITY, sum = 0;
	int k, h, w, r, s, c, j;

	for (k = 0; k < 4; k++)
		for (h = 0; h < 8; h++)
			for (w = 0; w < 8; w++) {
				double acc = prm->conv_b[k];

				for (r = 0; r < 3; r++)
					for (s = 0; s < 3; s++) {
						int ih = h + r - 1, iw = w + s - 1;

						if (ih < 0 || ih >= 8 || iw < 0 ||
						    iw >= 8)
							continue;
						acc += (double)in[ih * 8 + iw] *
						       prm->conv_w[k * 9 + r * 3 + s];
					}
				conv[k][h][w] = acc > 0 ? acc : 0;
			}
	for (k = 0; k < 4; k++)
		for (h = 0; h < 4; h++)
			for (w = 0; w < 4; w++) {
				double m = -INFINITY;

				for (r = 0; r < 2; r++)
					for (s = 0; s < 2; s++)
						if (conv[k][2 * h + r][2 * w + s] > m)
							m = conv[k][2 * h + r][2 * w + s];
				pool[k][h][w] = m;
			}
	for (j = 0; j < SAMPLE_CLASSES; j++) {
		double acc = prm->fc_b[j];

		for (c = 0; c < 4; c++)
			for (h = 0; h < 4; h++)
				for (w = 0; w < 4; w++)
					acc += pool[c][h][w] *
					       prm->fc_w[j * 64 + c * 16 + h * 4 + w];
		logits[j] = acc;
		if (acc > mx)
			mx = acc;
	}
	for (j = 0; j < SAMPLE_CLASSES; j++)
		sum += exp(logits[j] - mx);
	for (j = 0; j < SAMPLE_CLASSES; j++)
		out[j] = (float)(exp(logits[j] - mx) / sum);
}
