// SPDX-License-Identifier: MIT
/*
 * Shape inference and constant folding.
 *
 * Nodes are visited in topological order.  Each node's output shapes are
 * computed from its inputs; a node whose inputs are all compile-time
 * constants and whose operator has a folding rule here (the Shape /
 * Gather / Concat / Unsqueeze / Reshape arithmetic exporters emit, and
 * element-wise arithmetic on constants) is evaluated and marked done, so
 * it never reaches lowering.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

#define IS(n, s) (!strcmp((n)->op, (s)))

static struct value *in_v(struct graph *g, struct node *n, int i)
{
	return i < n->nin && n->in[i] >= 0 ? &g->val[n->in[i]] : NULL;
}

static int is_const(const struct value *v)
{
	return v && (v->fdata || v->idata);
}

static int need_in(struct graph *g, struct node *n, int min, int max)
{
	int i;

	if (n->nin < min || n->nin > max)
		return gc_error(g, "expects %d to %d inputs, has %d", min, max,
				n->nin);
	for (i = 0; i < min; i++)
		if (n->in[i] < 0)
			return gc_error(g, "input %d is required", i);
	for (i = 0; i < n->nin; i++)
		if (n->in[i] >= 0 && g->val[n->in[i]].ndim < 0)
			return gc_error(g, "input '%s' has an unknown shape",
					g->val[n->in[i]].name);
	if (n->nout < 1 || n->out[0] < 0)
		return gc_error(g, "has no output");
	return 0;
}

/* Read a constant int64 vector input. Returns count or negative error. */
static int const_ints(struct graph *g, struct node *n, int i, int64_t *out,
		      int max, const char *what)
{
	struct value *v = in_v(g, n, i);
	int64_t cnt, k;

	if (!v)
		return -1;
	if (!v->idata)
		return gc_error(g, "%s ('%s') must be a compile-time constant "
				"integer tensor", what, v->name);
	cnt = gc_numel(v);
	if (cnt > max)
		return gc_error(g, "%s has %lld entries (at most %d)", what,
				(long long)cnt, max);
	for (k = 0; k < cnt; k++)
		out[k] = v->idata[k];
	return (int)cnt;
}

static int norm_axis(struct graph *g, int64_t axis, int rank, int64_t *out)
{
	*out = 0;
	if (axis < -rank || axis >= rank)
		return gc_error(g, "axis %lld out of range for rank %d",
				(long long)axis, rank);
	*out = axis < 0 ? axis + rank : axis;
	return 0;
}

/* numpy-style broadcast of two shapes */
static int bcast(struct graph *g, const struct value *a, const struct value *b,
		 int *rank, int64_t *dims)
{
	int r = a->ndim > b->ndim ? a->ndim : b->ndim, i;

	for (i = 0; i < r; i++) {
		int ia = i - (r - a->ndim), ib = i - (r - b->ndim);
		int64_t da = ia >= 0 ? a->dims[ia] : 1;
		int64_t db = ib >= 0 ? b->dims[ib] : 1;

		if (da != db && da != 1 && db != 1)
			return gc_error(g, "shapes of '%s' and '%s' do not "
					"broadcast (%lld vs %lld at axis %d)",
					a->name, b->name, (long long)da,
					(long long)db, i);
		dims[i] = da == 1 ? db : da;
	}
	*rank = r;
	return 0;
}

/* element index in a broadcast input for output multi-index idx */
static int64_t bidx(const struct value *v, int rank, const int64_t *dims,
		    const int64_t *idx)
{
	int64_t off = 0;
	int i;

	(void)dims;
	for (i = 0; i < v->ndim; i++) {
		int oi = i + rank - v->ndim;

		off = off * v->dims[i] + (v->dims[i] == 1 ? 0 : idx[oi]);
	}
	return off;
}

/* Storage for a folded constant; folding is for small shape arithmetic
 * and constant preprocessing, so large results are refused. */
#define FOLD_MAX_ELEMS (INT64_C(1) << 26)

static int alloc_data(struct graph *g, struct value *v, int is_float)
{
	int64_t n = gc_numel(v);

	if (n > FOLD_MAX_ELEMS)
		return gc_error(g, "constant '%s' has %lld elements, too large "
				"to fold at compile time", v->name,
				(long long)n);

	if (is_float) {
		v->fdata = calloc((size_t)(n ? n : 1), sizeof(float));
		return v->fdata ? 0 : -ENOMEM;
	}
	v->idata = calloc((size_t)(n ? n : 1), sizeof(int64_t));
	return v->idata ? 0 : -ENOMEM;
}

static double get(const struct value *v, int64_t i)
{
	return v->fdata ? v->fdata[i] : (double)v->idata[i];
}

static void put(struct value *v, int64_t i, double x)
{
	if (v->fdata)
		v->fdata[i] = (float)x;
	else
		v->idata[i] = (int64_t)x;
}

/* ---- element-wise ----------------------------------------------------- */

static double binop(const char *op, double a, double b, int is_int)
{
	if (!strcmp(op, "Add") || !strcmp(op, "Sum"))
		return a + b;
	if (!strcmp(op, "Sub"))
		return a - b;
	if (!strcmp(op, "Mul"))
		return a * b;
	if (!strcmp(op, "Div")) {
		if (is_int)
			return b ? (double)((int64_t)a / (int64_t)b) : 0;
		return a / b;
	}
	if (!strcmp(op, "Max"))
		return a > b ? a : b;
	if (!strcmp(op, "Min"))
		return a < b ? a : b;
	if (!strcmp(op, "Pow"))
		return pow(a, b);
	if (!strcmp(op, "Equal"))
		return a == b;
	if (!strcmp(op, "Less"))
		return a < b;
	if (!strcmp(op, "Greater"))
		return a > b;
	return NAN;
}

static int infer_binary(struct graph *g, struct node *n)
{
	struct value *a, *b, *o;
	int64_t dims[MAXD], idx[MAXD], total, i;
	int rank, ret, k, cmp;

	ret = need_in(g, n, 2, 2);
	if (ret)
		return ret;
	a = in_v(g, n, 0);
	b = in_v(g, n, 1);
	ret = bcast(g, a, b, &rank, dims);
	if (ret)
		return ret;
	cmp = IS(n, "Equal") || IS(n, "Less") || IS(n, "Greater");
	ret = gc_set_shape(g, n->out[0],
			   cmp ? ET_INT64 : (a->elem ? a->elem : ET_FLOAT),
			   rank, dims);
	if (ret)
		return ret;
	if (!is_const(a) || !is_const(b))
		return 0;
	o = &g->val[n->out[0]];
	ret = alloc_data(g, o, !cmp && a->elem == ET_FLOAT);
	if (ret)
		return ret;
	total = gc_numel(o);
	for (i = 0; i < total; i++) {
		int64_t r = i;

		for (k = rank - 1; k >= 0; k--) {
			idx[k] = r % dims[k];
			r /= dims[k];
		}
		put(o, i, binop(n->op, get(a, bidx(a, rank, dims, idx)),
				get(b, bidx(b, rank, dims, idx)),
				a->elem != ET_FLOAT));
	}
	n->done = 1;
	return 0;
}

static int infer_variadic(struct graph *g, struct node *n)
{
	struct value acc;
	int64_t dims[MAXD];
	int rank, i, ret;

	if (n->nin < 1)
		return gc_error(g, "needs at least one input");
	ret = need_in(g, n, n->nin, n->nin);
	if (ret)
		return ret;
	acc = *in_v(g, n, 0);
	for (i = 1; i < n->nin; i++) {
		ret = bcast(g, &acc, in_v(g, n, i), &rank, dims);
		if (ret)
			return ret;
		acc.ndim = rank;
		memcpy(acc.dims, dims, sizeof(dims));
	}
	return gc_set_shape(g, n->out[0], ET_FLOAT, acc.ndim, acc.dims);
}

static int same_shape(struct graph *g, struct node *n)
{
	struct value *x;
	int ret = need_in(g, n, 1, n->nin > 1 ? n->nin : 1);

	if (ret)
		return ret;
	x = in_v(g, n, 0);
	return gc_set_shape(g, n->out[0], x->elem ? x->elem : ET_FLOAT,
			    x->ndim, x->dims);
}

static int infer_unary(struct graph *g, struct node *n)
{
	struct value *x, *o;
	int64_t i, cnt;
	int ret = same_shape(g, n);

	if (ret)
		return ret;
	x = in_v(g, n, 0);
	if (!is_const(x) || n->nin != 1)
		return 0;
	if (!IS(n, "Neg") && !IS(n, "Sqrt") && !IS(n, "Abs") &&
	    !IS(n, "Floor") && !IS(n, "Ceil") && !IS(n, "Reciprocal") &&
	    !IS(n, "Relu") && !IS(n, "Exp") && !IS(n, "Log"))
		return 0;
	o = &g->val[n->out[0]];
	ret = alloc_data(g, o, x->elem == ET_FLOAT);
	if (ret)
		return ret;
	cnt = gc_numel(x);
	for (i = 0; i < cnt; i++) {
		double v = get(x, i), r;

		if (IS(n, "Neg"))
			r = -v;
		else if (IS(n, "Sqrt"))
			r = sqrt(v);
		else if (IS(n, "Abs"))
			r = fabs(v);
		else if (IS(n, "Floor"))
			r = floor(v);
		else if (IS(n, "Ceil"))
			r = ceil(v);
		else if (IS(n, "Reciprocal"))
			r = 1.0 / v;
		else if (IS(n, "Relu"))
			r = v > 0 ? v : 0;
		else if (IS(n, "Exp"))
			r = exp(v);
		else
			r = log(v);
		put(o, i, r);
	}
	n->done = 1;
	return 0;
}

/* ---- data movement ---------------------------------------------------- */

static int fold_copy(struct graph *g, struct node *n)
{
	struct value *x = in_v(g, n, 0), *o = &g->val[n->out[0]];
	int ret;

	if (!is_const(x))
		return 0;
	ret = alloc_data(g, o, x->fdata != NULL);
	if (ret)
		return ret;
	if (x->fdata)
		memcpy(o->fdata, x->fdata, (size_t)gc_numel(x) * sizeof(float));
	else
		memcpy(o->idata, x->idata,
		       (size_t)gc_numel(x) * sizeof(int64_t));
	n->done = 1;
	return 0;
}

static int infer_identity(struct graph *g, struct node *n)
{
	int ret = same_shape(g, n);

	if (ret)
		return ret;
	if (IS(n, "Dropout")) {
		if (n->nout > 1 && n->out[1] >= 0 && g->val[n->out[1]].uses)
			return gc_error(g, "the mask output is not supported "
					"(inference only)");
		if (n->nout > 1 && n->out[1] >= 0)
			gc_set_shape(g, n->out[1], ET_INT64, 0, NULL);
	}
	return fold_copy(g, n);
}

static int infer_cast(struct graph *g, struct node *n)
{
	struct value *x, *o;
	int64_t to = gc_attr_int(n, "to", ET_FLOAT), i;
	int is_f = to == ET_FLOAT || to == ET_DOUBLE;
	int ret = need_in(g, n, 1, 1);

	if (ret)
		return ret;
	x = in_v(g, n, 0);
	ret = gc_set_shape(g, n->out[0], is_f ? ET_FLOAT : ET_INT64, x->ndim,
			   x->dims);
	if (ret)
		return ret;
	if (!is_const(x)) {
		if (!is_f || x->elem != ET_FLOAT)
			return gc_error(g, "cast of a runtime tensor to type "
					"%lld: only float32 runs on the engine",
					(long long)to);
		return 0;
	}
	o = &g->val[n->out[0]];
	ret = alloc_data(g, o, is_f);
	if (ret)
		return ret;
	for (i = 0; i < gc_numel(x); i++)
		put(o, i, is_f ? get(x, i) : trunc(get(x, i)));
	n->done = 1;
	return 0;
}

static int infer_shape_op(struct graph *g, struct node *n)
{
	struct value *x, *o;
	int64_t start = gc_attr_int(n, "start", 0);
	int64_t end = gc_attr_int(n, "end", INT64_MAX), d;
	int ret = need_in(g, n, 1, 1), i;

	if (ret)
		return ret;
	x = in_v(g, n, 0);
	if (IS(n, "Size")) {
		ret = gc_set_shape(g, n->out[0], ET_INT64, 0, NULL);
		if (ret || alloc_data(g, &g->val[n->out[0]], 0))
			return ret ? ret : -EINVAL;
		g->val[n->out[0]].idata[0] = gc_numel(x);
		n->done = 1;
		return 0;
	}
	if (start < 0)
		start += x->ndim;
	if (end < 0)
		end += x->ndim;
	start = start < 0 ? 0 : (start > x->ndim ? x->ndim : start);
	end = end < 0 ? 0 : (end > x->ndim ? x->ndim : end);
	d = end > start ? end - start : 0;
	ret = gc_set_shape(g, n->out[0], ET_INT64, 1, &d);
	if (ret)
		return ret;
	o = &g->val[n->out[0]];
	ret = alloc_data(g, o, 0);
	if (ret)
		return ret;
	for (i = 0; i < d; i++)
		o->idata[i] = x->dims[start + i];
	n->done = 1;
	return 0;
}

static int infer_constant(struct graph *g, struct node *n)
{
	const Onnx__AttributeProto *a;
	struct value *o;
	int64_t d;
	size_t i;
	int ret;

	if (n->nout < 1 || n->out[0] < 0)
		return gc_error(g, "has no output");
	o = &g->val[n->out[0]];
	if ((a = gc_attr(n, "value")) && a->t) {
		ret = gc_tensor_load(g, a->t, n->out[0]);
		if (ret)
			return ret;
	} else if ((a = gc_attr(n, "value_float")) && a->has_f) {
		gc_set_shape(g, n->out[0], ET_FLOAT, 0, NULL);
		ret = alloc_data(g, o, 1);
		if (ret)
			return ret;
		o->fdata[0] = a->f;
	} else if ((a = gc_attr(n, "value_floats"))) {
		d = (int64_t)a->n_floats;
		gc_set_shape(g, n->out[0], ET_FLOAT, 1, &d);
		ret = alloc_data(g, o, 1);
		if (ret)
			return ret;
		for (i = 0; i < a->n_floats; i++)
			o->fdata[i] = a->floats[i];
	} else if ((a = gc_attr(n, "value_int")) && a->has_i) {
		gc_set_shape(g, n->out[0], ET_INT64, 0, NULL);
		ret = alloc_data(g, o, 0);
		if (ret)
			return ret;
		o->idata[0] = a->i;
	} else if ((a = gc_attr(n, "value_ints"))) {
		d = (int64_t)a->n_ints;
		gc_set_shape(g, n->out[0], ET_INT64, 1, &d);
		ret = alloc_data(g, o, 0);
		if (ret)
			return ret;
		for (i = 0; i < a->n_ints; i++)
			o->idata[i] = a->ints[i];
	} else {
		return gc_error(g, "no supported value attribute (sparse and "
				"string constants are not supported)");
	}
	n->done = 1;
	return 0;
}

static int infer_constant_of_shape(struct graph *g, struct node *n)
{
	const Onnx__AttributeProto *a = gc_attr(n, "value");
	int64_t dims[MAXD], i;
	struct value *o;
	double fill = 0;
	int is_f = 1, cnt, ret;

	cnt = const_ints(g, n, 0, dims, MAXD, "shape");
	if (cnt < 0)
		return cnt == -1 ? gc_error(g, "shape input required") : cnt;
	if (a && a->t) {
		if (a->t->has_data_type && a->t->data_type != ET_FLOAT &&
		    a->t->data_type != ET_DOUBLE)
			is_f = 0;
		if (a->t->n_float_data)
			fill = a->t->float_data[0];
		else if (a->t->n_int64_data)
			fill = (double)a->t->int64_data[0];
		else if (a->t->n_int32_data)
			fill = a->t->int32_data[0];
		else if (a->t->has_raw_data && a->t->raw_data.len >= 4) {
			if (is_f) {
				float f;

				memcpy(&f, a->t->raw_data.data, 4);
				fill = f;
			} else if (a->t->raw_data.len >= 8) {
				int64_t v;

				memcpy(&v, a->t->raw_data.data, 8);
				fill = (double)v;
			} else {
				int32_t v;

				memcpy(&v, a->t->raw_data.data, 4);
				fill = v;
			}
		}
	}
	ret = gc_set_shape(g, n->out[0], is_f ? ET_FLOAT : ET_INT64, cnt, dims);
	if (ret)
		return ret;
	o = &g->val[n->out[0]];
	ret = alloc_data(g, o, is_f);
	if (ret)
		return ret;
	for (i = 0; i < gc_numel(o); i++)
		put(o, i, fill);
	n->done = 1;
	return 0;
}

static int infer_range(struct graph *g, struct node *n)
{
	struct value *s = in_v(g, n, 0), *l = in_v(g, n, 1), *d = in_v(g, n, 2);
	double start, limit, delta;
	int64_t cnt, i;
	int ret = need_in(g, n, 3, 3);

	if (ret)
		return ret;
	if (!is_const(s) || !is_const(l) || !is_const(d))
		return gc_error(g, "needs constant inputs");
	start = get(s, 0);
	limit = get(l, 0);
	delta = get(d, 0);
	if (delta == 0)
		return gc_error(g, "delta is zero");
	cnt = (int64_t)ceil((limit - start) / delta);
	if (cnt < 0)
		cnt = 0;
	ret = gc_set_shape(g, n->out[0], s->elem, 1, &cnt);
	if (ret || alloc_data(g, &g->val[n->out[0]], s->elem == ET_FLOAT))
		return ret ? ret : -EINVAL;
	for (i = 0; i < cnt; i++)
		put(&g->val[n->out[0]], i, start + i * delta);
	n->done = 1;
	return 0;
}

/* Gather along an axis; folds if data and indices are constant. */
static int infer_gather(struct graph *g, struct node *n)
{
	struct value *x, *ind, *o;
	int64_t axis, dims[MAXD], i, outer = 1, inner = 1, cnt;
	int ret = need_in(g, n, 2, 2), r = 0, k;

	if (ret)
		return ret;
	x = in_v(g, n, 0);
	ind = in_v(g, n, 1);
	ret = norm_axis(g, gc_attr_int(n, "axis", 0), x->ndim, &axis);
	if (ret)
		return ret;
	if (x->ndim - 1 + ind->ndim > MAXD)
		return gc_error(g, "result rank too large");
	for (k = 0; k < axis; k++)
		dims[r++] = x->dims[k];
	for (k = 0; k < ind->ndim; k++)
		dims[r++] = ind->dims[k];
	for (k = (int)axis + 1; k < x->ndim; k++)
		dims[r++] = x->dims[k];
	ret = gc_set_shape(g, n->out[0], x->elem, r, dims);
	if (ret)
		return ret;
	if (!ind->idata)
		return gc_error(g, "indices must be a compile-time constant");
	cnt = gc_numel(ind);
	for (i = 0; i < cnt; i++) {
		int64_t ix = ind->idata[i];

		if (ix < -x->dims[axis] || ix >= x->dims[axis])
			return gc_error(g, "index %lld out of range [%lld, "
					"%lld)", (long long)ix,
					(long long)-x->dims[axis],
					(long long)x->dims[axis]);
	}
	if (!is_const(x))
		return 0;
	o = &g->val[n->out[0]];
	ret = alloc_data(g, o, x->fdata != NULL);
	if (ret)
		return ret;
	for (k = 0; k < axis; k++)
		outer *= x->dims[k];
	for (k = (int)axis + 1; k < x->ndim; k++)
		inner *= x->dims[k];
	for (i = 0; i < outer; i++) {
		int64_t j, e;

		for (j = 0; j < cnt; j++) {
			int64_t ix = ind->idata[j];

			if (ix < 0)
				ix += x->dims[axis];
			for (e = 0; e < inner; e++)
				put(o, (i * cnt + j) * inner + e,
				    get(x, (i * x->dims[axis] + ix) * inner +
						   e));
		}
	}
	n->done = 1;
	return 0;
}

/* Concat: shape always, fold when every input is constant. */
static int infer_concat(struct graph *g, struct node *n)
{
	struct value *x0, *o;
	int64_t axis, dims[MAXD], outer = 1, off = 0;
	int ret = need_in(g, n, 1, n->nin), i, k, all_const = 1;

	if (ret)
		return ret;
	x0 = in_v(g, n, 0);
	ret = norm_axis(g, gc_attr_int(n, "axis", 1), x0->ndim, &axis);
	if (ret)
		return ret;
	memcpy(dims, x0->dims, sizeof(dims));
	dims[axis] = 0;
	for (i = 0; i < n->nin; i++) {
		struct value *x = in_v(g, n, i);

		if (!x)
			return gc_error(g, "input %d is missing", i);
		if (x->ndim != x0->ndim)
			return gc_error(g, "inputs have different ranks");
		for (k = 0; k < x->ndim; k++)
			if (k != axis && x->dims[k] != x0->dims[k])
				return gc_error(g, "input '%s' differs in "
						"dimension %d", x->name, k);
		dims[axis] += x->dims[axis];
		all_const &= is_const(x);
	}
	ret = gc_set_shape(g, n->out[0], x0->elem, x0->ndim, dims);
	if (ret || !all_const)
		return ret;
	o = &g->val[n->out[0]];
	ret = alloc_data(g, o, x0->fdata != NULL);
	if (ret)
		return ret;
	for (k = 0; k < axis; k++)
		outer *= dims[k];
	for (i = 0; i < n->nin; i++) {
		struct value *x = in_v(g, n, i);
		int64_t chunk = gc_numel(x) / (outer ? outer : 1), a, b;

		for (a = 0; a < outer; a++)
			for (b = 0; b < chunk; b++)
				put(o, a * (gc_numel(o) / outer) + off + b,
				    get(x, a * chunk + b));
		off += chunk;
	}
	n->done = 1;
	return 0;
}

/* Reshape, Flatten, Squeeze, Unsqueeze: new dims, data unchanged. */
static int set_reshaped(struct graph *g, struct node *n, int rank,
			const int64_t *dims)
{
	struct value *x = in_v(g, n, 0);
	int64_t cnt = 1;
	int i, ret;

	for (i = 0; i < rank; i++)
		cnt *= dims[i];
	if (cnt != gc_numel(x))
		return gc_error(g, "cannot reshape %lld elements to %lld",
				(long long)gc_numel(x), (long long)cnt);
	ret = gc_set_shape(g, n->out[0], x->elem, rank, dims);
	if (ret)
		return ret;
	return fold_copy(g, n);
}

static int infer_reshape(struct graph *g, struct node *n)
{
	struct value *x;
	int64_t shape[MAXD], known = 1;
	int ret = need_in(g, n, 2, 2), cnt, i, infer = -1;
	int allowzero = (int)gc_attr_int(n, "allowzero", 0);

	if (ret)
		return ret;
	x = in_v(g, n, 0);
	cnt = const_ints(g, n, 1, shape, MAXD, "shape");
	if (cnt < 0)
		return cnt;
	for (i = 0; i < cnt; i++) {
		if (shape[i] == 0 && !allowzero) {
			if (i >= x->ndim)
				return gc_error(g, "shape[%d] = 0 copies a "
						"missing dimension", i);
			shape[i] = x->dims[i];
		}
		if (shape[i] == -1) {
			if (infer >= 0)
				return gc_error(g, "more than one -1 in shape");
			infer = i;
			continue;
		}
		if (shape[i] < 0)
			return gc_error(g, "shape[%d] = %lld", i,
					(long long)shape[i]);
		known *= shape[i];
	}
	if (infer >= 0) {
		if (!known || gc_numel(x) % known)
			return gc_error(g, "cannot infer the -1 dimension");
		shape[infer] = gc_numel(x) / known;
	}
	return set_reshaped(g, n, cnt, shape);
}

static int infer_flatten(struct graph *g, struct node *n)
{
	struct value *x;
	int64_t axis, dims[2] = { 1, 1 };
	int ret = need_in(g, n, 1, 1), i;

	if (ret)
		return ret;
	x = in_v(g, n, 0);
	axis = gc_attr_int(n, "axis", 1);
	if (axis < 0)
		axis += x->ndim;
	if (axis < 0 || axis > x->ndim)
		return gc_error(g, "axis out of range");
	for (i = 0; i < x->ndim; i++)
		dims[i < axis ? 0 : 1] *= x->dims[i];
	return set_reshaped(g, n, 2, dims);
}

/* axes from the attribute (old opsets) or the second input (new ones) */
static int get_axes(struct graph *g, struct node *n, int input_from_opset,
		    int64_t *axes, int max)
{
	if (g->opset >= input_from_opset) {
		if (n->nin < 2 || n->in[1] < 0)
			return 0; /* absent */
		return const_ints(g, n, 1, axes, max, "axes");
	}
	{
		int c = gc_attr_ints(n, "axes", axes, max);

		return c < 0 ? (c == -2 ? gc_error(g, "too many axes") : 0) : c;
	}
}

static int infer_squeeze(struct graph *g, struct node *n)
{
	struct value *x;
	int64_t axes[MAXD], dims[MAXD];
	int ret = need_in(g, n, 1, 2), cnt, i, k, r = 0, drop[MAXD] = { 0 };

	if (ret)
		return ret;
	x = in_v(g, n, 0);
	cnt = get_axes(g, n, 13, axes, MAXD);
	if (cnt < 0)
		return cnt;
	for (i = 0; i < cnt; i++) {
		int64_t a;

		ret = norm_axis(g, axes[i], x->ndim, &a);
		if (ret)
			return ret;
		if (x->dims[a] != 1)
			return gc_error(g, "cannot squeeze axis %lld of size "
					"%lld", (long long)a,
					(long long)x->dims[a]);
		drop[a] = 1;
	}
	for (k = 0; k < x->ndim; k++)
		if (!(cnt ? drop[k] : x->dims[k] == 1))
			dims[r++] = x->dims[k];
	return set_reshaped(g, n, r, dims);
}

static int infer_unsqueeze(struct graph *g, struct node *n)
{
	struct value *x;
	int64_t axes[MAXD], dims[MAXD];
	int ret = need_in(g, n, 1, 2), cnt, i, k, r, ins[MAXD] = { 0 };

	if (ret)
		return ret;
	x = in_v(g, n, 0);
	cnt = get_axes(g, n, 13, axes, MAXD);
	if (cnt <= 0)
		return cnt < 0 ? cnt : gc_error(g, "axes are required");
	r = x->ndim + cnt;
	if (r > MAXD)
		return gc_error(g, "result rank %d too large", r);
	for (i = 0; i < cnt; i++) {
		int64_t a;

		ret = norm_axis(g, axes[i], r, &a);
		if (ret)
			return ret;
		if (ins[a])
			return gc_error(g, "axis %lld repeated", (long long)a);
		ins[a] = 1;
	}
	for (i = 0, k = 0; i < r; i++)
		dims[i] = ins[i] ? 1 : x->dims[k++];
	return set_reshaped(g, n, r, dims);
}

static int infer_transpose(struct graph *g, struct node *n)
{
	struct value *x, *o;
	int64_t perm[MAXD], dims[MAXD], i;
	int ret = need_in(g, n, 1, 1), cnt, k, seen[MAXD] = { 0 };

	if (ret)
		return ret;
	x = in_v(g, n, 0);
	cnt = gc_attr_ints(n, "perm", perm, MAXD);
	if (cnt < 0) {
		cnt = x->ndim;
		for (k = 0; k < cnt; k++)
			perm[k] = cnt - 1 - k;
	}
	if (cnt != x->ndim)
		return gc_error(g, "perm has %d entries for rank %d", cnt,
				x->ndim);
	for (k = 0; k < cnt; k++) {
		if (perm[k] < 0 || perm[k] >= cnt || seen[perm[k]]++)
			return gc_error(g, "perm is not a permutation");
		dims[k] = x->dims[perm[k]];
	}
	ret = gc_set_shape(g, n->out[0], x->elem, cnt, dims);
	if (ret || !is_const(x))
		return ret;
	o = &g->val[n->out[0]];
	ret = alloc_data(g, o, x->fdata != NULL);
	if (ret)
		return ret;
	for (i = 0; i < gc_numel(o); i++) {
		int64_t r = i, idx[MAXD], src = 0, xs[MAXD];

		for (k = cnt - 1; k >= 0; k--) {
			idx[k] = r % dims[k];
			r /= dims[k];
		}
		xs[cnt - 1] = 1;
		for (k = cnt - 2; k >= 0; k--)
			xs[k] = xs[k + 1] * x->dims[k + 1];
		for (k = 0; k < cnt; k++)
			src += idx[k] * xs[perm[k]];
		put(o, i, get(x, src));
	}
	n->done = 1;
	return 0;
}

/* Slice (opset >= 10: inputs; < 10: attributes). */
int gc_slice_params(struct graph *g, struct node *n, int64_t *start,
		    int64_t *step, int64_t *outd);

int gc_slice_params(struct graph *g, struct node *n, int64_t *start,
		    int64_t *step, int64_t *outd)
{
	struct value *x = in_v(g, n, 0);
	int64_t st[MAXD], en[MAXD], ax[MAXD], sp[MAXD];
	int cnt, c2, c3 = -1, c4 = -1, i, k;

	if (g->opset >= 10) {
		cnt = const_ints(g, n, 1, st, MAXD, "starts");
		c2 = const_ints(g, n, 2, en, MAXD, "ends");
		if (cnt < 0 || c2 < 0)
			return cnt < -1 ? cnt : (c2 < -1 ? c2 :
				gc_error(g, "starts and ends are required"));
		c3 = const_ints(g, n, 3, ax, MAXD, "axes");
		c4 = const_ints(g, n, 4, sp, MAXD, "steps");
		if (c3 < -1 || c4 < -1)
			return c3 < -1 ? c3 : c4;
	} else {
		cnt = gc_attr_ints(n, "starts", st, MAXD);
		c2 = gc_attr_ints(n, "ends", en, MAXD);
		c3 = gc_attr_ints(n, "axes", ax, MAXD);
		if (cnt < 0 || c2 < 0)
			return gc_error(g, "starts and ends are required");
	}
	if (c2 != cnt || (c3 >= 0 && c3 != cnt) || (c4 >= 0 && c4 != cnt))
		return gc_error(g, "starts, ends, axes, steps differ in length");
	for (k = 0; k < x->ndim; k++) {
		start[k] = 0;
		step[k] = 1;
		outd[k] = x->dims[k];
	}
	for (i = 0; i < cnt; i++) {
		int64_t a = c3 >= 0 ? ax[i] : i, s = c4 >= 0 ? sp[i] : 1;
		int64_t d, b, e;
		int ret = norm_axis(g, a, x->ndim, &a);

		if (ret)
			return ret;
		d = x->dims[a];
		if (!s)
			return gc_error(g, "step is zero");
		b = st[i];
		e = en[i];
		if (b < 0)
			b += d;
		if (e < 0)
			e += d;
		if (s > 0) {
			b = b < 0 ? 0 : (b > d ? d : b);
			e = e < 0 ? 0 : (e > d ? d : e);
			outd[a] = e > b ? (e - b + s - 1) / s : 0;
		} else {
			b = b < 0 ? -1 : (b > d - 1 ? d - 1 : b);
			e = e < -1 ? -1 : (e > d - 1 ? d - 1 : e);
			outd[a] = b > e ? (b - e + (-s) - 1) / (-s) : 0;
		}
		start[a] = b;
		step[a] = s;
	}
	return 0;
}

static int infer_slice(struct graph *g, struct node *n)
{
	struct value *x, *o;
	int64_t start[MAXD], step[MAXD], dims[MAXD], i;
	int ret = need_in(g, n, 1, 5), k;

	if (ret)
		return ret;
	x = in_v(g, n, 0);
	ret = gc_slice_params(g, n, start, step, dims);
	if (ret)
		return ret;
	ret = gc_set_shape(g, n->out[0], x->elem, x->ndim, dims);
	if (ret || !is_const(x))
		return ret;
	o = &g->val[n->out[0]];
	ret = alloc_data(g, o, x->fdata != NULL);
	if (ret)
		return ret;
	for (i = 0; i < gc_numel(o); i++) {
		int64_t r = i, src = 0, mul = 1;

		for (k = x->ndim - 1; k >= 0; k--) {
			int64_t idx = r % dims[k];

			r /= dims[k];
			src += (start[k] + idx * step[k]) * mul;
			mul *= x->dims[k];
		}
		put(o, i, get(x, src));
	}
	n->done = 1;
	return 0;
}

static int infer_expand(struct graph *g, struct node *n)
{
	struct value *x, shp = { 0 }, *o;
	int64_t dims[MAXD], idx[MAXD], i;
	int ret = need_in(g, n, 2, 2), cnt, rank, k;

	if (ret)
		return ret;
	x = in_v(g, n, 0);
	cnt = const_ints(g, n, 1, shp.dims, MAXD, "shape");
	if (cnt < 0)
		return cnt;
	shp.ndim = cnt;
	shp.name = "shape";
	ret = bcast(g, x, &shp, &rank, dims);
	if (ret)
		return ret;
	ret = gc_set_shape(g, n->out[0], x->elem, rank, dims);
	if (ret || !is_const(x))
		return ret;
	o = &g->val[n->out[0]];
	ret = alloc_data(g, o, x->fdata != NULL);
	if (ret)
		return ret;
	for (i = 0; i < gc_numel(o); i++) {
		int64_t r = i;

		for (k = rank - 1; k >= 0; k--) {
			idx[k] = r % dims[k];
			r /= dims[k];
		}
		put(o, i, get(x, bidx(x, rank, dims, idx)));
	}
	n->done = 1;
	return 0;
}

/* ---- compute operators: shapes only ------------------------------------ */

/* Spatial geometry shared by Conv, ConvTranspose and the pools. */
int gc_window_geometry(struct graph *g, struct node *n, const int64_t *in,
		       int nsp, const int64_t *kernel, int transposed,
		       int64_t *stride, int64_t *dil, int64_t *pb, int64_t *pe,
		       int64_t *out, int64_t *outpad);

int gc_window_geometry(struct graph *g, struct node *n, const int64_t *in,
		       int nsp, const int64_t *kernel, int transposed,
		       int64_t *stride, int64_t *dil, int64_t *pb, int64_t *pe,
		       int64_t *out, int64_t *outpad)
{
	int64_t pads[2 * MAXD], tmp[MAXD], oshape[MAXD];
	const char *ap = gc_attr_str(n, "auto_pad", "NOTSET");
	int ceil_mode = (int)gc_attr_int(n, "ceil_mode", 0);
	int c, i, nos;

	for (i = 0; i < nsp; i++) {
		stride[i] = dil[i] = 1;
		pb[i] = pe[i] = outpad[i] = 0;
	}
	c = gc_attr_ints(n, "strides", tmp, MAXD);
	if (c >= 0) {
		if (c != nsp)
			return gc_error(g, "strides has %d entries, expected %d",
					c, nsp);
		memcpy(stride, tmp, (size_t)nsp * sizeof(int64_t));
	}
	c = gc_attr_ints(n, "dilations", tmp, MAXD);
	if (c >= 0) {
		if (c != nsp)
			return gc_error(g, "dilations has %d entries", c);
		memcpy(dil, tmp, (size_t)nsp * sizeof(int64_t));
	}
	c = gc_attr_ints(n, "output_padding", tmp, MAXD);
	if (c >= 0) {
		if (c != nsp)
			return gc_error(g, "output_padding has %d entries", c);
		memcpy(outpad, tmp, (size_t)nsp * sizeof(int64_t));
	}
	for (i = 0; i < nsp; i++) {
		if (stride[i] < 1 || dil[i] < 1 || kernel[i] < 1)
			return gc_error(g, "strides, dilations and kernel must "
					"be positive");
		if (stride[i] > (1 << 20) || dil[i] > (1 << 20) ||
		    kernel[i] > (1 << 20))
			return gc_error(g, "stride, dilation or kernel too "
					"large");
	}
	c = gc_attr_ints(n, "pads", pads, 2 * MAXD);
	if (c >= 0) {
		if (c != 2 * nsp)
			return gc_error(g, "pads has %d entries, expected %d",
					c, 2 * nsp);
		for (i = 0; i < nsp; i++) {
			pb[i] = pads[i];
			pe[i] = pads[i + nsp];
			if (pb[i] < 0 || pe[i] < 0 || pb[i] > (1 << 20) ||
			    pe[i] > (1 << 20))
				return gc_error(g, "bad pads");
		}
	}
	nos = gc_attr_ints(n, "output_shape", oshape, MAXD);
	if (transposed) {
		int same = !strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER");

		if (nos >= 0 && nos != nsp)
			return gc_error(g, "output_shape has %d entries", nos);
		for (i = 0; i < nsp; i++) {
			int64_t ek = (kernel[i] - 1) * dil[i] + 1;
			int64_t full = stride[i] * (in[i] - 1) + outpad[i] + ek;

			if (nos == nsp || same) {
				/* pads follow from the wanted output size */
				int64_t want = nos == nsp ? oshape[i] :
							    in[i] * stride[i];
				int64_t total = full - want;

				if (total < 0) {
					/* a larger output: extra rows at the
					 * end, like output_padding */
					pb[i] = 0;
					pe[i] = total;
				} else if (!strcmp(ap, "SAME_UPPER")) {
					pb[i] = total / 2;
					pe[i] = total - total / 2;
				} else {
					pb[i] = total - total / 2;
					pe[i] = total / 2;
				}
			}
			out[i] = full - pb[i] - pe[i];
			if (out[i] < 1)
				return gc_error(g, "output size %lld < 1",
						(long long)out[i]);
		}
		return 0;
	}
	for (i = 0; i < nsp; i++) {
		int64_t ek = (kernel[i] - 1) * dil[i] + 1, span;

		if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
			int64_t o = (in[i] + stride[i] - 1) / stride[i];
			int64_t total = (o - 1) * stride[i] + ek - in[i];

			if (total < 0)
				total = 0;
			if (!strcmp(ap, "SAME_UPPER")) {
				pb[i] = total / 2;
				pe[i] = total - pb[i];
			} else {
				pe[i] = total / 2;
				pb[i] = total - pe[i];
			}
			out[i] = o;
			continue;
		}
		if (!strcmp(ap, "VALID"))
			pb[i] = pe[i] = 0;
		else if (strcmp(ap, "NOTSET"))
			return gc_error(g, "auto_pad '%s' is unknown", ap);
		span = in[i] + pb[i] + pe[i] - ek;
		if (span < 0)
			return gc_error(g, "window (%lld) larger than the padded "
					"input (%lld)", (long long)ek,
					(long long)(in[i] + pb[i] + pe[i]));
		if (ceil_mode) {
			out[i] = (span + stride[i] - 1) / stride[i] + 1;
			/* the last window must start inside the input or
			 * its leading padding */
			if ((out[i] - 1) * stride[i] >= in[i] + pb[i])
				out[i]--;
		} else {
			out[i] = span / stride[i] + 1;
		}
	}
	return 0;
}

static int infer_conv(struct graph *g, struct node *n, int transposed)
{
	struct value *x, *w;
	int64_t kernel[MAXD], stride[MAXD], dil[MAXD], pb[MAXD], pe[MAXD];
	int64_t out[MAXD], outpad[MAXD], dims[MAXD], group, m;
	int ret = need_in(g, n, 2, 3), nsp, c, i;

	if (ret)
		return ret;
	x = in_v(g, n, 0);
	w = in_v(g, n, 1);
	nsp = x->ndim - 2;
	if (nsp < 1 || nsp > 2)
		return gc_error(g, "%dD convolution is not supported (1D and "
				"2D are)", nsp);
	if (w->ndim != x->ndim)
		return gc_error(g, "weight rank %d differs from input rank %d",
				w->ndim, x->ndim);
	group = gc_attr_int(n, "group", 1);
	if (group < 1 || x->dims[1] % group)
		return gc_error(g, "group %lld does not divide %lld channels",
				(long long)group, (long long)x->dims[1]);
	c = gc_attr_ints(n, "kernel_shape", kernel, MAXD);
	for (i = 0; i < nsp; i++)
		if (c < 0)
			kernel[i] = w->dims[2 + i];
		else if (c != nsp || kernel[i] != w->dims[2 + i])
			return gc_error(g, "kernel_shape disagrees with the "
					"weights");
	if (!transposed) {
		if (w->dims[1] * group != x->dims[1])
			return gc_error(g, "weights expect %lld input channels "
					"per group, input has %lld in %lld "
					"groups", (long long)w->dims[1],
					(long long)x->dims[1],
					(long long)group);
		if (w->dims[0] % group)
			return gc_error(g, "group does not divide the output "
					"channels");
		m = w->dims[0];
	} else {
		if (w->dims[0] != x->dims[1])
			return gc_error(g, "weights expect %lld input channels, "
					"input has %lld", (long long)w->dims[0],
					(long long)x->dims[1]);
		m = w->dims[1] * group;
	}
	if (n->nin > 2 && n->in[2] >= 0) {
		struct value *b = in_v(g, n, 2);

		if (b->ndim != 1 || b->dims[0] != m)
			return gc_error(g, "bias must have %lld elements",
					(long long)m);
	}
	ret = gc_window_geometry(g, n, x->dims + 2, nsp, kernel, transposed,
				 stride, dil, pb, pe, out, outpad);
	if (ret)
		return ret;
	dims[0] = x->dims[0];
	dims[1] = m;
	for (i = 0; i < nsp; i++)
		dims[2 + i] = out[i];
	return gc_set_shape(g, n->out[0], ET_FLOAT, x->ndim, dims);
}

static int infer_pool(struct graph *g, struct node *n)
{
	struct value *x;
	int64_t kernel[MAXD], stride[MAXD], dil[MAXD], pb[MAXD], pe[MAXD];
	int64_t out[MAXD], outpad[MAXD], dims[MAXD];
	int ret = need_in(g, n, 1, 1), nsp, c, i;
	int global = !strncmp(n->op, "Global", 6);

	if (ret)
		return ret;
	x = in_v(g, n, 0);
	nsp = x->ndim - 2;
	if (nsp < 1 || nsp > 2)
		return gc_error(g, "%dD pooling is not supported (1D and 2D "
				"are)", nsp);
	if (n->nout > 1 && n->out[1] >= 0 && g->val[n->out[1]].uses)
		return gc_error(g, "the Indices output is not supported");
	dims[0] = x->dims[0];
	dims[1] = x->dims[1];
	if (global) {
		for (i = 0; i < nsp; i++)
			dims[2 + i] = 1;
		return gc_set_shape(g, n->out[0], ET_FLOAT, x->ndim, dims);
	}
	c = gc_attr_ints(n, "kernel_shape", kernel, MAXD);
	if (c != nsp)
		return gc_error(g, "kernel_shape must have %d entries", nsp);
	if (gc_attr_int(n, "storage_order", 0))
		return gc_error(g, "storage_order 1 is not supported");
	ret = gc_window_geometry(g, n, x->dims + 2, nsp, kernel, 0, stride,
				 dil, pb, pe, out, outpad);
	if (ret)
		return ret;
	for (i = 0; i < nsp; i++)
		dims[2 + i] = out[i];
	return gc_set_shape(g, n->out[0], ET_FLOAT, x->ndim, dims);
}

static int infer_gemm(struct graph *g, struct node *n)
{
	struct value *a, *b, *c;
	int64_t dims[2], k1, k2;
	int ret = need_in(g, n, 2, 3);
	int ta = (int)gc_attr_int(n, "transA", 0);
	int tb = (int)gc_attr_int(n, "transB", 0);

	if (ret)
		return ret;
	a = in_v(g, n, 0);
	b = in_v(g, n, 1);
	if (a->ndim != 2 || b->ndim != 2)
		return gc_error(g, "A and B must be 2-D");
	dims[0] = ta ? a->dims[1] : a->dims[0];
	k1 = ta ? a->dims[0] : a->dims[1];
	k2 = tb ? b->dims[1] : b->dims[0];
	dims[1] = tb ? b->dims[0] : b->dims[1];
	if (k1 != k2)
		return gc_error(g, "inner dimensions differ (%lld vs %lld)",
				(long long)k1, (long long)k2);
	c = in_v(g, n, 2);
	if (c) {
		struct value o = { .ndim = 2, .name = "Y" };
		int64_t bd[MAXD];
		int r;

		o.dims[0] = dims[0];
		o.dims[1] = dims[1];
		ret = bcast(g, &o, c, &r, bd);
		if (ret)
			return ret;
		if (r != 2 || bd[0] != dims[0] || bd[1] != dims[1])
			return gc_error(g, "C does not broadcast to [M, N]");
	}
	return gc_set_shape(g, n->out[0], ET_FLOAT, 2, dims);
}

static int infer_matmul(struct graph *g, struct node *n)
{
	struct value a, b;
	int64_t dims[MAXD], bd[MAXD];
	int ret = need_in(g, n, 2, 2), r, i;

	if (ret)
		return ret;
	a = *in_v(g, n, 0);
	b = *in_v(g, n, 1);
	if (a.ndim < 1 || b.ndim < 1)
		return gc_error(g, "MatMul of a scalar");
	if (a.ndim == 1) { /* [K] -> [1, K] */
		a.dims[1] = a.dims[0];
		a.dims[0] = 1;
		a.ndim = 2;
	}
	if (b.ndim == 1) { /* [K] -> [K, 1] */
		b.dims[1] = 1;
		b.ndim = 2;
	}
	if (a.dims[a.ndim - 1] != b.dims[b.ndim - 2])
		return gc_error(g, "inner dimensions differ (%lld vs %lld)",
				(long long)a.dims[a.ndim - 1],
				(long long)b.dims[b.ndim - 2]);
	{
		struct value ab = a, bb = b;

		ab.ndim -= 2;
		bb.ndim -= 2;
		ret = bcast(g, &ab, &bb, &r, bd);
		if (ret)
			return ret;
	}
	for (i = 0; i < r; i++)
		dims[i] = bd[i];
	if (in_v(g, n, 0)->ndim > 1)
		dims[r++] = a.dims[a.ndim - 2];
	if (in_v(g, n, 1)->ndim > 1)
		dims[r++] = b.dims[b.ndim - 1];
	return gc_set_shape(g, n->out[0], ET_FLOAT, r, dims);
}

static int infer_reduce(struct graph *g, struct node *n)
{
	struct value *x;
	int64_t axes[MAXD], dims[MAXD];
	int ret = need_in(g, n, 1, 2), cnt, i, r = 0, red[MAXD] = { 0 };
	int keep = (int)gc_attr_int(n, "keepdims", 1);
	int from = IS(n, "ReduceSum") ? 13 : 18;

	if (ret)
		return ret;
	x = in_v(g, n, 0);
	cnt = get_axes(g, n, from, axes, MAXD);
	if (cnt < 0)
		return cnt;
	if (!cnt && gc_attr_int(n, "noop_with_empty_axes", 0))
		return same_shape(g, n);
	for (i = 0; i < x->ndim; i++)
		red[i] = !cnt;
	for (i = 0; i < cnt; i++) {
		int64_t a;

		ret = norm_axis(g, axes[i], x->ndim, &a);
		if (ret)
			return ret;
		red[a] = 1;
	}
	for (i = 0; i < x->ndim; i++) {
		if (!red[i])
			dims[r++] = x->dims[i];
		else if (keep)
			dims[r++] = 1;
	}
	return gc_set_shape(g, n->out[0], ET_FLOAT, r, dims);
}

static int infer_pad(struct graph *g, struct node *n)
{
	struct value *x;
	int64_t pads[2 * MAXD], dims[MAXD];
	int ret = need_in(g, n, 1, 3), cnt, i;

	if (ret)
		return ret;
	x = in_v(g, n, 0);
	if (g->opset >= 11)
		cnt = const_ints(g, n, 1, pads, 2 * MAXD, "pads");
	else
		cnt = gc_attr_ints(n, "pads", pads, 2 * MAXD);
	if (cnt < 0)
		return cnt == -1 ? gc_error(g, "pads are required") : cnt;
	if (cnt != 2 * x->ndim)
		return gc_error(g, "pads has %d entries for rank %d", cnt,
				x->ndim);
	for (i = 0; i < x->ndim; i++) {
		dims[i] = x->dims[i] + pads[i] + pads[i + x->ndim];
		if (dims[i] < 0)
			return gc_error(g, "negative output size on axis %d", i);
	}
	return gc_set_shape(g, n->out[0], ET_FLOAT, x->ndim, dims);
}

int gc_resize_sizes(struct graph *g, struct node *n, int64_t *out,
		    double *scale);

/* Output sizes and per-axis scales of Resize / Upsample. */
int gc_resize_sizes(struct graph *g, struct node *n, int64_t *out,
		    double *scale)
{
	struct value *x = in_v(g, n, 0), *sv = NULL, *zv = NULL;
	float sc[MAXD];
	int i, have_scales = 0;

	if (IS(n, "Upsample")) {
		if (g->opset < 9) {
			const Onnx__AttributeProto *a = gc_attr(n, "scales");

			if (!a || a->n_floats != (size_t)x->ndim)
				return gc_error(g, "scales attribute must have "
						"%d entries", x->ndim);
			for (i = 0; i < x->ndim; i++)
				sc[i] = a->floats[i];
			have_scales = 1;
		} else {
			sv = in_v(g, n, 1);
		}
	} else if (g->opset < 11) {
		sv = in_v(g, n, 1);
	} else {
		sv = in_v(g, n, 2);
		zv = in_v(g, n, 3);
	}
	if (zv && gc_numel(zv) > 0) {
		if (!zv->idata || gc_numel(zv) != x->ndim)
			return gc_error(g, "sizes must be a constant with %d "
					"entries", x->ndim);
		for (i = 0; i < x->ndim; i++) {
			out[i] = zv->idata[i];
			if (out[i] < 1)
				return gc_error(g, "sizes must be positive");
			scale[i] = (double)out[i] / (double)x->dims[i];
		}
		return 0;
	}
	if (sv && gc_numel(sv) > 0) {
		if (!sv->fdata || gc_numel(sv) != x->ndim)
			return gc_error(g, "scales must be a constant with %d "
					"entries", x->ndim);
		for (i = 0; i < x->ndim; i++)
			sc[i] = sv->fdata[i];
		have_scales = 1;
	}
	if (!have_scales)
		return gc_error(g, "needs scales or sizes");
	for (i = 0; i < x->ndim; i++) {
		if (!(sc[i] > 0) || sc[i] > 1024)
			return gc_error(g, "scale %g on axis %d", sc[i], i);
		out[i] = (int64_t)floor(x->dims[i] * (double)sc[i]);
		if (out[i] < 1)
			return gc_error(g, "output size on axis %d is zero", i);
		scale[i] = sc[i];
	}
	return 0;
}

static int infer_resize(struct graph *g, struct node *n)
{
	int64_t out[MAXD];
	double scale[MAXD];
	struct value *x;
	int ret = need_in(g, n, 1, 4);

	if (ret)
		return ret;
	x = in_v(g, n, 0);
	ret = gc_resize_sizes(g, n, out, scale);
	if (ret)
		return ret;
	return gc_set_shape(g, n->out[0], ET_FLOAT, x->ndim, out);
}

static int infer_lrn_like(struct graph *g, struct node *n)
{
	struct value *x;
	int ret = need_in(g, n, 1, 5);

	if (ret)
		return ret;
	x = in_v(g, n, 0);
	if (x->ndim < 2)
		return gc_error(g, "input must have a channel axis");
	if (IS(n, "BatchNormalization") && n->nout > 1) {
		int i;

		for (i = 1; i < n->nout; i++)
			if (n->out[i] >= 0 && g->val[n->out[i]].uses)
				return gc_error(g, "training-mode outputs are "
						"not supported");
	}
	return gc_set_shape(g, n->out[0], ET_FLOAT, x->ndim, x->dims);
}

struct infer_rule {
	const char *op;
	int (*fn)(struct graph *g, struct node *n);
};

static int infer_conv2(struct graph *g, struct node *n)
{
	return infer_conv(g, n, 0);
}

static int infer_convt(struct graph *g, struct node *n)
{
	return infer_conv(g, n, 1);
}

static const struct infer_rule rules[] = {
	{ "Add", infer_binary }, { "Sub", infer_binary },
	{ "Mul", infer_binary }, { "Div", infer_binary },
	{ "Pow", infer_binary }, { "Equal", infer_binary },
	{ "Less", infer_binary }, { "Greater", infer_binary },
	{ "Max", infer_variadic }, { "Min", infer_variadic },
	{ "Sum", infer_variadic }, { "Mean", infer_variadic },
	{ "PRelu", same_shape },
	{ "Relu", infer_unary }, { "LeakyRelu", infer_unary },
	{ "Sigmoid", infer_unary }, { "Tanh", infer_unary },
	{ "Clip", infer_unary }, { "HardSigmoid", infer_unary },
	{ "HardSwish", infer_unary }, { "Elu", infer_unary },
	{ "Selu", infer_unary }, { "Softplus", infer_unary },
	{ "Abs", infer_unary }, { "Neg", infer_unary },
	{ "Exp", infer_unary }, { "Log", infer_unary },
	{ "Sqrt", infer_unary }, { "Reciprocal", infer_unary },
	{ "Floor", infer_unary }, { "Ceil", infer_unary },
	{ "Softmax", same_shape }, { "LogSoftmax", same_shape },
	{ "Identity", infer_identity }, { "Dropout", infer_identity },
	{ "Cast", infer_cast }, { "Shape", infer_shape_op },
	{ "Size", infer_shape_op }, { "Constant", infer_constant },
	{ "ConstantOfShape", infer_constant_of_shape },
	{ "Range", infer_range }, { "Gather", infer_gather },
	{ "Concat", infer_concat }, { "Reshape", infer_reshape },
	{ "Flatten", infer_flatten }, { "Squeeze", infer_squeeze },
	{ "Unsqueeze", infer_unsqueeze }, { "Transpose", infer_transpose },
	{ "Slice", infer_slice }, { "Expand", infer_expand },
	{ "Conv", infer_conv2 }, { "ConvTranspose", infer_convt },
	{ "MaxPool", infer_pool }, { "AveragePool", infer_pool },
	{ "GlobalAveragePool", infer_pool }, { "GlobalMaxPool", infer_pool },
	{ "Gemm", infer_gemm }, { "MatMul", infer_matmul },
	{ "ReduceMean", infer_reduce }, { "ReduceMax", infer_reduce },
	{ "ReduceMin", infer_reduce }, { "ReduceSum", infer_reduce },
	{ "ReduceSumSquare", infer_reduce }, { "ReduceL1", infer_reduce },
	{ "ReduceL2", infer_reduce }, { "ReduceLogSum", infer_reduce },
	{ "ReduceLogSumExp", infer_reduce },
	{ "Pad", infer_pad }, { "Resize", infer_resize },
	{ "Upsample", infer_resize },
	{ "BatchNormalization", infer_lrn_like },
	{ "InstanceNormalization", infer_lrn_like }, { "LRN", infer_lrn_like },
};

int gc_infer_and_fold(struct graph *g)
{
	int i, ret;
	size_t r;

	for (i = 0; i < g->nnode; i++) {
		struct node *n = &g->node[i];

		g->cur_node = i;
		for (r = 0; r < sizeof(rules) / sizeof(rules[0]); r++)
			if (!strcmp(rules[r].op, n->op))
				break;
		if (r == sizeof(rules) / sizeof(rules[0]))
			return gc_error(g, "operator '%s' is not supported",
					n->op);
		ret = rules[r].fn(g, n);
		if (ret)
			return ret;
	}
	g->cur_node = -1;
	return 0;
}
