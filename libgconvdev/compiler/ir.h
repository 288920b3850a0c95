/* SPDX-License-Identifier: MIT */
/*
 * The compiler's graph IR (internal to libgconvdev).
 *
 * values  - every ONNX tensor name: shape, element type, constant data if
 *           known at compile time, and once lowered, a view (buffer +
 *           element offset + strides) of where it lives.
 * nodes   - ONNX nodes in topological order.
 * buffers - storage: weights (constants) or arena (activations).
 * emits   - GCONVs in chain order, with operand addresses still symbolic
 *           (buffer + offset) until the memory planner places the buffers.
 */
#ifndef GCONV_COMPILER_IR_H
#define GCONV_COMPILER_IR_H

#include <stdarg.h>
#include <stdint.h>

#include <gconv/engine.h>
#include <gconv/model.h>

#include "onnx.pb-c.h"

#define MAXD GCONV_MAX_DIMS

/* ONNX TensorProto.DataType values we handle */
enum {
	ET_FLOAT = 1,
	ET_UINT8 = 2,
	ET_INT8 = 3,
	ET_INT32 = 6,
	ET_INT64 = 7,
	ET_BOOL = 9,
	ET_DOUBLE = 11,
};

struct view {
	int buf;		/* buffer index, -1: none yet */
	int64_t off;		/* element offset in the buffer */
	int64_t strides[MAXD];	/* element strides, one per dim */
};

struct value {
	char *name;
	int elem;		/* ET_*, 0 unknown */
	int ndim;		/* -1: shape unknown */
	int64_t dims[MAXD];
	/* compile-time constant: float (ET_FLOAT) or int64 (all int types) */
	float *fdata;
	int64_t *idata;
	int producer;		/* node index, -1 for inputs and constants */
	int uses;		/* number of node inputs naming it */
	int is_input, is_output;
	/* storage */
	struct view v;
	int has_view;
	struct view pre;	/* preassigned view (concat slice) */
	int has_pre;
	int last_gconv;		/* emit that last wrote it, -1 */
};

struct node {
	const Onnx__NodeProto *p;
	const char *name;	/* node name or, if empty, its first output */
	const char *op;
	int nin, nout;
	int *in;		/* value index, -1 for an omitted optional */
	int *out;
	int done;		/* folded or rewritten away */
};

enum buf_kind { BUF_WEIGHT, BUF_ARENA };

struct buffer {
	enum buf_kind kind;
	int64_t elems;
	float *data;		/* weights only */
	int first, last;	/* emits touching it (arena liveness) */
	uint64_t addr;		/* byte address once placed */
	int pinned_start;	/* graph input: live from the start */
	int pinned_end;		/* graph output: live to the end */
};

struct emit {
	struct gconv_desc d;
	int node;		/* source node, -1 */
	int buf[4];		/* X, Y, B, O buffers, -1 unused */
	int64_t off[4];		/* element offsets in them */
};

struct graph {
	int opset;
	uint32_t flags;		/* GCONV_COMPILE_* */
	const char *external_dir;

	struct value *val;
	int nval, capval;
	struct node *node;
	int nnode;
	struct buffer *buf;
	int nbuf, capbuf;
	struct emit *emit;
	int nemit, capemit;
	int *inputs, ninputs;	/* value indices */
	int *outputs, noutputs;

	const struct gconv_const_input *consts;
	uint32_t nconsts;
	uint32_t batch;		/* gconv_compile_opts.batch, 0: as declared */

	char *err;
	size_t errlen;
	int cur_node;		/* for error messages, -1 */
};

/* errors: sets g->err (prefixed with the batch, if one is forced, and the
 * current node) and returns -EINVAL */
int gc_error(struct graph *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* values */
int gc_value_find(struct graph *g, const char *name);
int gc_value_add(struct graph *g, const char *name);
int64_t gc_numel(const struct value *v);
int gc_set_shape(struct graph *g, int vi, int elem, int ndim,
		 const int64_t *dims);
void gc_contig_strides(int ndim, const int64_t *dims, int64_t *strides);

/* buffers and emits */
int gc_buffer_add(struct graph *g, enum buf_kind kind, int64_t elems);
int gc_weight_buffer(struct graph *g, const float *data, int64_t elems);
int gc_emit(struct graph *g, const struct gconv_desc *d, const int buf[4],
	    const int64_t off[4]);

/* attributes */
const Onnx__AttributeProto *gc_attr(const struct node *n, const char *name);
int64_t gc_attr_int(const struct node *n, const char *name, int64_t def);
float gc_attr_float(const struct node *n, const char *name, float def);
const char *gc_attr_str(const struct node *n, const char *name,
			const char *def);
/* ints attribute into out[max]; returns count, or -1 if absent */
int gc_attr_ints(const struct node *n, const char *name, int64_t *out,
		 int max);

/* passes */
int gc_import(struct graph *g, const Onnx__ModelProto *m);
int gc_check_batch_outputs(struct graph *g);
int gc_infer_and_fold(struct graph *g);
int gc_fold_batchnorm(struct graph *g);
int gc_lower(struct graph *g);
void gc_graph_free(struct graph *g);

/* tensor proto to float/int64 data (allocates) */
int gc_tensor_load(struct graph *g, const Onnx__TensorProto *t, int vi);

/* model assembly (model.c) */
int gc_build_model(struct graph *g, struct gconv_model **out);

#endif
