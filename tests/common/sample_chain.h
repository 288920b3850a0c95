/* SPDX-License-Identifier: MIT */
/*
 * A small hand-built network as one GCONV chain, shared by the chain test
 * and the foundation demo:
 *
 *	input 1x1x8x8 -> conv 3x3 (4 filters, pad 1, bias) -> relu (in place)
 *	-> maxpool 2x2/2 -> fully connected 64->10 (bias)
 *	-> softmax as four GCONVs (max, exp(x - max), sum, divide)
 *
 * and the same network computed directly with plain loops.
 */
#ifndef GCONV_SAMPLE_CHAIN_H
#define GCONV_SAMPLE_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#define SAMPLE_IN	64	/* 1x1x8x8 */
#define SAMPLE_CLASSES	10

struct sample_params {
	float conv_w[4 * 9];	/* [k][c=1][r][s] */
	float conv_b[4];
	float fc_w[SAMPLE_CLASSES * 64];	/* [class][channel][h][w] */
	float fc_b[SAMPLE_CLASSES];
};

/* Random parameters from a seed. */
void sample_params_random(struct sample_params *prm, unsigned long long seed);

/*
 * Build the chain and a memory image holding the parameters.  The caller
 * writes the input at *in_off (bytes) and reads the probabilities at
 * *out_off after running.  Free *chain and *mem with free().
 */
int sample_chain_build(const struct sample_params *prm, void **chain,
		       size_t *chain_len, float **mem, size_t *mem_size,
		       size_t *in_off, size_t *out_off);

/* The same network with plain loops. */
void sample_reference(const struct sample_params *prm,
		      const float in[SAMPLE_IN], float out[SAMPLE_CLASSES]);

#endif
