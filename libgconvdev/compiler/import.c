// SPDX-License-Identifier: MIT
/*
 * ONNX import: ModelProto (decoded by protobuf-c code generated from
 * Debian's onnx.proto) to the graph IR.  Initializers and Constant nodes
 * become constant values; graph inputs get their declared shapes, with
 * the first dimension replaced by gconv_compile_opts.batch if one is given.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

static int elem_size(int elem)
{
	switch (elem) {
	case ET_FLOAT:
	case ET_INT32:
		return 4;
	case ET_INT64:
	case ET_DOUBLE:
		return 8;
	case ET_UINT8:
	case ET_INT8:
	case ET_BOOL:
		return 1;
	default:
		return 0;
	}
}

/* Read @len bytes at @off of an external data file next to the model. */
static int read_external(struct graph *g, const Onnx__TensorProto *t,
			 uint8_t **out, size_t *out_len)
{
	const char *loc = NULL;
	long long off = 0, len = -1;
	char path[4096];
	uint8_t *data;
	FILE *f;
	size_t i;

	for (i = 0; i < t->n_external_data; i++) {
		const Onnx__StringStringEntryProto *e = t->external_data[i];

		if (!e->key || !e->value)
			continue;
		if (!strcmp(e->key, "location"))
			loc = e->value;
		else if (!strcmp(e->key, "offset"))
			off = atoll(e->value);
		else if (!strcmp(e->key, "length"))
			len = atoll(e->value);
	}
	if (!loc || !loc[0])
		return gc_error(g, "tensor '%s': external data has no location",
				t->name);
	if (loc[0] == '/' || strstr(loc, ".."))
		return gc_error(g, "tensor '%s': external data location '%s' "
				"must be a relative path inside the model's "
				"directory", t->name, loc);
	if (off < 0)
		return gc_error(g, "tensor '%s': negative external offset",
				t->name);
	snprintf(path, sizeof(path), "%s/%s",
		 g->external_dir ? g->external_dir : ".", loc);
	f = fopen(path, "rb");
	if (!f)
		return gc_error(g, "tensor '%s': cannot open external data "
				"'%s': %s", t->name, path, strerror(errno));
	if (len < 0) {
		if (fseek(f, 0, SEEK_END) || (len = ftell(f) - off) < 0) {
			fclose(f);
			return gc_error(g, "tensor '%s': external data '%s' is "
					"shorter than its offset", t->name,
					path);
		}
	}
	if (len > (1LL << 34) || fseek(f, off, SEEK_SET)) {
		fclose(f);
		return gc_error(g, "tensor '%s': bad external data range",
				t->name);
	}
	data = malloc(len ? (size_t)len : 1);
	if (!data) {
		fclose(f);
		return -ENOMEM;
	}
	if (fread(data, 1, (size_t)len, f) != (size_t)len) {
		free(data);
		fclose(f);
		return gc_error(g, "tensor '%s': external data '%s' is "
				"truncated", t->name, path);
	}
	fclose(f);
	*out = data;
	*out_len = (size_t)len;
	return 0;
}

/*
 * Load a TensorProto's data into value @vi as float (FLOAT, DOUBLE) or
 * int64 (integer and bool types).  Checks that the data's size matches
 * the dimensions.
 */
int gc_tensor_load(struct graph *g, const Onnx__TensorProto *t, int vi)
{
	struct value *v;
	int64_t dims[MAXD], n = 1, i;
	int elem = t->has_data_type ? t->data_type : 0;
	int esize = elem_size(elem);
	uint8_t *ext = NULL;
	const uint8_t *raw = NULL;
	size_t raw_len = 0;
	int ret;

	if (!esize)
		return gc_error(g, "tensor '%s' has unsupported element type %d",
				t->name ? t->name : "", elem);
	if (t->n_dims > MAXD)
		return gc_error(g, "tensor '%s' has rank %zu (at most %d)",
				t->name, t->n_dims, MAXD);
	for (i = 0; i < (int64_t)t->n_dims; i++) {
		dims[i] = t->dims[i];
		if (dims[i] < 0 || dims[i] > (1 << 30) ||
		    (dims[i] && n > (INT64_C(1) << 36) / dims[i]))
			return gc_error(g, "tensor '%s' has bad dimensions",
					t->name);
		n *= dims[i];
	}
	ret = gc_set_shape(g, vi, elem == ET_FLOAT || elem == ET_DOUBLE ?
				  ET_FLOAT : ET_INT64,
			   (int)t->n_dims, dims);
	if (ret)
		return ret;
	v = &g->val[vi];

	if (t->has_data_location &&
	    t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
		ret = read_external(g, t, &ext, &raw_len);
		if (ret)
			return ret;
		raw = ext;
	} else if (t->has_raw_data) {
		raw = t->raw_data.data;
		raw_len = t->raw_data.len;
	}

	if (v->elem == ET_FLOAT) {
		v->fdata = malloc((size_t)(n ? n : 1) * sizeof(float));
		if (!v->fdata)
			goto nomem;
	} else {
		v->idata = malloc((size_t)(n ? n : 1) * sizeof(int64_t));
		if (!v->idata)
			goto nomem;
	}

	if (raw) {
		if (raw_len != (size_t)n * esize) {
			free(ext);
			return gc_error(g, "tensor '%s': %zu bytes of data for "
					"%lld elements of %d bytes", t->name,
					raw_len, (long long)n, esize);
		}
		for (i = 0; i < n; i++) {
			const uint8_t *p = raw + i * esize;

			switch (elem) {
			case ET_FLOAT: {
				float f;

				memcpy(&f, p, 4);
				v->fdata[i] = f;
				break;
			}
			case ET_DOUBLE: {
				double d;

				memcpy(&d, p, 8);
				v->fdata[i] = (float)d;
				break;
			}
			case ET_INT64:
				memcpy(&v->idata[i], p, 8);
				break;
			case ET_INT32: {
				int32_t x;

				memcpy(&x, p, 4);
				v->idata[i] = x;
				break;
			}
			case ET_INT8:
				v->idata[i] = (int8_t)*p;
				break;
			default: /* UINT8, BOOL */
				v->idata[i] = *p;
				break;
			}
		}
		free(ext);
		return 0;
	}

	switch (elem) {
	case ET_FLOAT:
		if (t->n_float_data != (size_t)n)
			goto mismatch;
		if (n)
			memcpy(v->fdata, t->float_data,
			       (size_t)n * sizeof(float));
		break;
	case ET_DOUBLE:
		if (t->n_double_data != (size_t)n)
			goto mismatch;
		for (i = 0; i < n; i++)
			v->fdata[i] = (float)t->double_data[i];
		break;
	case ET_INT64:
		if (t->n_int64_data != (size_t)n)
			goto mismatch;
		if (n)
			memcpy(v->idata, t->int64_data,
			       (size_t)n * sizeof(int64_t));
		break;
	default: /* int32, int8, uint8, bool travel in int32_data */
		if (t->n_int32_data != (size_t)n)
			goto mismatch;
		for (i = 0; i < n; i++)
			v->idata[i] = t->int32_data[i];
		break;
	}
	return 0;

mismatch:
	return gc_error(g, "tensor '%s': data count does not match its "
			"dimensions (%lld elements)", t->name, (long long)n);
nomem:
	free(ext);
	return -ENOMEM;
}

/* A graph input the caller fixed at compile time becomes a constant.
 * Returns 1 if bound, 0 if not, or a negative error. */
static int bind_const(struct graph *g, int vi)
{
	const struct gconv_const_input *c = NULL;
	struct value *v;
	int64_t n;
	uint32_t i;
	int ret;

	for (i = 0; i < g->nconsts; i++)
		if (g->consts[i].name &&
		    !strcmp(g->consts[i].name, g->val[vi].name))
			c = &g->consts[i];
	if (!c)
		return 0;
	if ((!c->fdata) == (!c->idata) || c->ndim > MAXD ||
	    (c->ndim && !c->dims))
		return gc_error(g, "constant for input '%s' needs float or "
				"integer data and its dimensions", c->name);
	ret = gc_set_shape(g, vi, c->fdata ? ET_FLOAT : ET_INT64,
			   (int)c->ndim, c->dims);
	if (ret)
		return ret;
	v = &g->val[vi];
	n = gc_numel(v);
	if (c->fdata) {
		v->fdata = malloc((size_t)(n ? n : 1) * sizeof(float));
		if (!v->fdata)
			return -ENOMEM;
		if (n)
			memcpy(v->fdata, c->fdata, (size_t)n * sizeof(float));
	} else {
		v->idata = malloc((size_t)(n ? n : 1) * sizeof(int64_t));
		if (!v->idata)
			return -ENOMEM;
		if (n)
			memcpy(v->idata, c->idata,
			       (size_t)n * sizeof(int64_t));
	}
	return 1;
}

/* Operators whose semantics are the same before opset 7 as at 7 (apart
 * from attributes that were ignored, such as consumed_inputs). */
static int old_opset_ok(const char *op)
{
	static const char *const ops[] = {
		"Relu", "LeakyRelu", "Elu", "Selu", "HardSigmoid", "Softplus",
		"Sigmoid", "Tanh", "Abs", "Neg", "Exp", "Log", "Sqrt",
		"Reciprocal", "GlobalAveragePool", "GlobalMaxPool",
		"InstanceNormalization", "ReduceMean", "ReduceMax", "ReduceMin",
		"ReduceSum", "ReduceSumSquare", "ReduceL1", "ReduceL2",
		"ReduceLogSum", "ReduceLogSumExp", "Softmax", "LogSoftmax",
		"Conv", "ConvTranspose", "MaxPool", "AveragePool", "LRN",
		"Flatten", "Transpose", "Identity", "Constant", "PRelu",
		"Gemm", "MatMul", "Concat", "Clip",
	};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(op, ops[i]))
			return 1;
	return 0;
}

static int add_node(struct graph *g, int idx, const Onnx__NodeProto *p)
{
	struct node *n = &g->node[idx];
	size_t i;

	n->p = p;
	n->op = p->op_type ? p->op_type : "";
	n->name = p->name && p->name[0] ? p->name :
		  (p->n_output && p->output[0] ? p->output[0] : "?");
	n->nin = (int)p->n_input;
	n->nout = (int)p->n_output;
	n->in = calloc(n->nin ? n->nin : 1, sizeof(int));
	n->out = calloc(n->nout ? n->nout : 1, sizeof(int));
	if (!n->in || !n->out)
		return -ENOMEM;
	g->cur_node = idx;
	if (p->domain && p->domain[0] && strcmp(p->domain, "ai.onnx"))
		return gc_error(g, "operator domain '%s' is not supported",
				p->domain);
	if (g->opset < 7 && !old_opset_ok(n->op))
		return gc_error(g, "operator '%s' at opset %d: its semantics "
				"before opset 7 are not supported", n->op,
				g->opset);
	for (i = 0; i < p->n_input; i++) {
		int vi;

		if (!p->input[i] || !p->input[i][0]) {
			n->in[i] = -1; /* omitted optional input */
			continue;
		}
		vi = gc_value_find(g, p->input[i]);
		if (vi < 0)
			return gc_error(g, "input '%s' is not produced by any "
					"earlier node, initializer or graph "
					"input (graph not topologically "
					"sorted?)", p->input[i]);
		n->in[i] = vi;
		g->val[vi].uses++;
	}
	for (i = 0; i < p->n_output; i++) {
		int vi;

		if (!p->output[i] || !p->output[i][0]) {
			n->out[i] = -1;
			continue;
		}
		if (gc_value_find(g, p->output[i]) >= 0)
			return gc_error(g, "output '%s' is defined twice",
					p->output[i]);
		vi = gc_value_add(g, p->output[i]);
		if (vi < 0)
			return vi;
		g->val[vi].producer = idx;
		n->out[i] = vi;
	}
	g->cur_node = -1;
	return 0;
}

/*
 * The first dimension of graph input @name under gconv_compile_opts.batch:
 * 1 or symbolic (dim_param, or no value at all) in the model, compiled as
 * the batch.
 */
static int batch_dim(struct graph *g, const char *name,
		     const Onnx__TensorShapeProto__Dimension *dim, int64_t *out)
{
	if (dim->value_case ==
		    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
	    dim->dim_value != 1)
		return gc_error(g,
				"graph input '%s' has first dimension %lld "
				"(must be 1 or symbolic to batch)",
				name, (long long)dim->dim_value);
	*out = g->batch;
	return 0;
}

/*
 * Under gconv_compile_opts.batch, after shape inference: the caller splits
 * every output by rows, so each must have the batch as its first dimension.
 */
int gc_check_batch_outputs(struct graph *g)
{
	int i;

	if (!g->batch)
		return 0;
	g->cur_node = -1;
	for (i = 0; i < g->noutputs; i++) {
		const struct value *v = &g->val[g->outputs[i]];

		if (v->ndim < 1)
			return gc_error(g,
					"output '%s' is %s; the model does "
					"not batch along its first axis",
					v->name,
					v->ndim ? "of unknown shape"
						: "a scalar");
		if (v->dims[0] != g->batch)
			return gc_error(g,
					"output '%s' has first dimension "
					"%lld; the model does not batch along "
					"its first axis",
					v->name, (long long)v->dims[0]);
	}
	return 0;
}

int gc_import(struct graph *g, const Onnx__ModelProto *m)
{
	const Onnx__GraphProto *gp = m->graph;
	size_t i;
	int ret;

	g->cur_node = -1;
	if (g->batch > GCONV_COMPILE_MAX_BATCH)
		return gc_error(g, "too large (at most %u)",
				GCONV_COMPILE_MAX_BATCH);
	if (!gp)
		return gc_error(g, "model has no graph");
	g->opset = 0;
	for (i = 0; i < m->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *o = m->opset_import[i];

		if (!o->domain || !o->domain[0] ||
		    !strcmp(o->domain, "ai.onnx"))
			g->opset = (int)o->version;
	}
	if (!g->opset)
		return gc_error(g, "model imports no ai.onnx opset");
	if (g->opset < 1 || g->opset > 18)
		return gc_error(g, "opset %d is not supported (1 to 18 are; "
				"before 7 only operators whose semantics did "
				"not change)", g->opset);

	/* initializers first: graph inputs may repeat their names */
	for (i = 0; i < gp->n_initializer; i++) {
		const Onnx__TensorProto *t = gp->initializer[i];
		int vi;

		if (!t->name || !t->name[0])
			return gc_error(g, "initializer %zu has no name", i);
		vi = gc_value_add(g, t->name);
		if (vi < 0)
			return vi;
		ret = gc_tensor_load(g, t, vi);
		if (ret)
			return ret;
	}
	if (gp->n_sparse_initializer)
		return gc_error(g, "sparse initializers are not supported");

	g->inputs = calloc(gp->n_input + 1, sizeof(int));
	g->outputs = calloc(gp->n_output + 1, sizeof(int));
	if (!g->inputs || !g->outputs)
		return -ENOMEM;
	for (i = 0; i < gp->n_input; i++) {
		const Onnx__ValueInfoProto *vip = gp->input[i];
		const Onnx__TypeProto__Tensor *tt;
		int64_t dims[MAXD];
		size_t d;
		int vi;

		if (!vip->name || !vip->name[0])
			return gc_error(g, "graph input %zu has no name", i);
		vi = gc_value_find(g, vip->name);
		if (vi >= 0)
			continue; /* an initializer with a default value */
		vi = gc_value_add(g, vip->name);
		if (vi < 0)
			return vi;
		ret = bind_const(g, vi);
		if (ret < 0)
			return ret;
		if (ret)
			continue; /* specialised to a constant */
		if (!vip->type ||
		    vip->type->value_case !=
			    ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
		    !vip->type->tensor_type->shape)
			return gc_error(g, "graph input '%s' is not a tensor of "
					"known rank", vip->name);
		tt = vip->type->tensor_type;
		if (!tt->has_elem_type || tt->elem_type != ET_FLOAT)
			return gc_error(g, "graph input '%s' has element type "
					"%d; only float32 inputs run on the "
					"engine (shape-like inputs must be "
					"given at compile time as constants)",
					vip->name, tt->elem_type);
		if (tt->shape->n_dim > MAXD)
			return gc_error(g, "graph input '%s' has rank %zu",
					vip->name, tt->shape->n_dim);
		if (g->batch && !tt->shape->n_dim)
			return gc_error(g, "graph input '%s' is a scalar",
					vip->name);
		for (d = 0; d < tt->shape->n_dim; d++) {
			const Onnx__TensorShapeProto__Dimension *dim =
				tt->shape->dim[d];

			if (d == 0 && g->batch) {
				ret = batch_dim(g, vip->name, dim, &dims[0]);
				if (ret)
					return ret;
				continue;
			}
			if (dim->value_case !=
			    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
				return gc_error(g, "graph input '%s' dimension "
						"%zu is symbolic ('%s'); export "
						"the model with fixed shapes",
						vip->name, d,
						dim->value_case ? dim->dim_param
								: "?");
			dims[d] = dim->dim_value;
		}
		ret = gc_set_shape(g, vi, ET_FLOAT, (int)tt->shape->n_dim,
				   dims);
		if (ret)
			return ret;
		g->val[vi].is_input = 1;
		g->inputs[g->ninputs++] = vi;
	}

	g->node = calloc(gp->n_node ? gp->n_node : 1, sizeof(*g->node));
	if (!g->node)
		return -ENOMEM;
	g->nnode = (int)gp->n_node;
	for (i = 0; i < gp->n_node; i++) {
		ret = add_node(g, (int)i, gp->node[i]);
		if (ret)
			return ret;
	}

	for (i = 0; i < gp->n_output; i++) {
		int vi;

		if (!gp->output[i]->name)
			return gc_error(g, "graph output %zu has no name", i);
		vi = gc_value_find(g, gp->output[i]->name);
		if (vi < 0)
			return gc_error(g, "graph output '%s' is never produced",
					gp->output[i]->name);
		g->val[vi].is_output = 1;
		g->val[vi].uses++;
		g->outputs[g->noutputs++] = vi;
	}
	if (!g->noutputs)
		return gc_error(g, "graph has no outputs");
	return 0;
}
