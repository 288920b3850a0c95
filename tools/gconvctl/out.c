// SPDX-License-Identifier: MIT
/*
 * gconvctl: output.  JSON documents (--json) and human tables.
 *
 * A table keeps its own copy of every header and cell, and the strings
 * table_fmt(), table_bytes() and table_ns() return, until table_free().
 * Columns are as wide as their widest cell and two spaces apart; numbers
 * (and numbers with a unit: "1.5 GiB", "3.2 ms") are right-aligned, and
 * so is the "-" of a missing cell in a column that has numbers, and the
 * header of a column that has only numbers.
 */
#define _GNU_SOURCE /* vasprintf */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gconvctl.h"

#define COL_GAP 2

struct table {
	unsigned int cols;
	char **headers;		/* [cols] */
	char **cells;		/* [rows * cols]; NULL: "-" */
	unsigned int rows, cap; /* rows used and allocated */
	char **strs;		/* what table_fmt() & co. returned */
	unsigned int nstrs, strs_cap;
	int oom; /* an allocation failed: print what there is */
};

void out_json(struct ctl *ctl, json_object *o)
{
	const char *s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			   JSON_C_TO_STRING_NOSLASHESCAPE);

	fprintf(ctl->out, "%s\n", s ? s : "null");
}

int ctl_error(int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("gconvctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static char *dup_or_null(struct table *t, const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		t->oom = 1;
	return d;
}

struct table *table_new(unsigned int cols, const char *const *headers)
{
	struct table *t = calloc(1, sizeof(*t));
	unsigned int i;

	if (!t)
		return NULL;
	t->cols = cols;
	t->headers = calloc(cols ? cols : 1, sizeof(*t->headers));
	if (!t->headers) {
		free(t);
		return NULL;
	}
	for (i = 0; i < cols; i++)
		t->headers[i] = dup_or_null(t, headers[i]);
	return t;
}

void table_row(struct table *t, const char *const *cells)
{
	unsigned int i;
	char **row;

	if (!t)
		return;
	if (t->rows == t->cap) {
		unsigned int cap = t->cap ? 2 * t->cap : 16;
		char **p =
			realloc(t->cells, (size_t)cap * t->cols * sizeof(*p));

		if (!p) {
			t->oom = 1;
			return;
		}
		t->cells = p;
		t->cap = cap;
	}
	row = t->cells + (size_t)t->rows * t->cols;
	for (i = 0; i < t->cols; i++)
		row[i] = dup_or_null(t, cells[i]);
	t->rows++;
}

/*
 * A number, possibly with a unit: "42", "-1", "0x1f", "1.5 GiB", "3.2 ms",
 * "97%".  Not "accel0", "0000:00:03.0" or "1.2.3".
 */
static int is_number(const char *s)
{
	char *end;

	if (!s || !*s || isspace((unsigned char)*s))
		return 0;
	if (!isdigit((unsigned char)s[*s == '-' || *s == '+']))
		return 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		strtoull(s, &end, 16);
	else
		strtod(s, &end);
	if (*end == ' ')
		end++;
	while (isalpha((unsigned char)*end) || *end == '%' || *end == '/')
		end++;
	return !*end;
}

void table_print(struct ctl *ctl, const struct table *t)
{
	unsigned int c, r;
	size_t *width;
	char *right; /* per column: right-align "-" and the header */

	if (!t)
		return;
	width = calloc(t->cols ? t->cols : 1, sizeof(*width));
	right = calloc(t->cols ? t->cols : 1, 1);
	if (!width || !right) {
		free(width);
		free(right);
		ctl_error(CTL_FAILED, "out of memory printing a table");
		return;
	}
	for (c = 0; c < t->cols; c++) {
		int numbers = 0, words = 0;

		width[c] = t->headers[c] ? strlen(t->headers[c]) : 0;
		for (r = 0; r < t->rows; r++) {
			const char *s = t->cells[(size_t)r * t->cols + c];
			size_t len = s ? strlen(s) : 1;

			if (len > width[c])
				width[c] = len;
			if (!s)
				continue;
			if (is_number(s))
				numbers++;
			else
				words++;
		}
		right[c] = numbers ? (words ? 1 : 2) : 0;
	}
	/* the header line, then the rows */
	for (r = 0; r <= t->rows; r++) {
		for (c = 0; c < t->cols; c++) {
			const char *s;
			int align_right, last = c + 1 == t->cols;

			if (r == 0) {
				s = t->headers[c] ? t->headers[c] : "";
				align_right = right[c] == 2;
			} else {
				s = t->cells[(size_t)(r - 1) * t->cols + c];
				align_right = s ? is_number(s) : right[c] != 0;
				if (!s)
					s = "-";
			}
			if (align_right)
				fprintf(ctl->out, "%*s", (int)width[c], s);
			else if (last)
				fputs(s, ctl->out);
			else
				fprintf(ctl->out, "%-*s", (int)width[c], s);
			if (!last)
				fprintf(ctl->out, "%*s", COL_GAP, "");
		}
		fputc('\n', ctl->out);
	}
	if (t->oom)
		ctl_error(CTL_FAILED, "out of memory: the table is incomplete");
	free(width);
	free(right);
}

void table_free(struct table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->cols; i++)
		free(t->headers[i]);
	for (i = 0; i < (size_t)t->rows * t->cols; i++)
		free(t->cells[i]);
	for (i = 0; i < t->nstrs; i++)
		free(t->strs[i]);
	free(t->headers);
	free(t->cells);
	free(t->strs);
	free(t);
}

/* Keep @s (malloc'd) until table_free(); NULL if out of memory. */
static const char *keep(struct table *t, char *s)
{
	if (!s) {
		t->oom = 1;
		return NULL;
	}
	if (t->nstrs == t->strs_cap) {
		unsigned int cap = t->strs_cap ? 2 * t->strs_cap : 32;
		char **p = realloc(t->strs, cap * sizeof(*p));

		if (!p) {
			free(s);
			t->oom = 1;
			return NULL;
		}
		t->strs = p;
		t->strs_cap = cap;
	}
	t->strs[t->nstrs++] = s;
	return s;
}

const char *table_fmt(struct table *t, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (!t)
		return NULL;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return keep(t, n < 0 ? NULL : s);
}

/*
 * @v in @units: the first unit (@units[0], of @v itself) up to @step[0],
 * then @v / @step[0] in @units[1] and so on.  One decimal below 10.
 */
static const char *human(struct table *t, unsigned long long v,
			 const char *const *units, const double *step,
			 unsigned int n)
{
	double x = (double)v;
	unsigned int u = 0;

	if (v < step[0])
		return table_fmt(t, "%llu %s", v, units[0]);
	while (u + 1 < n && x >= step[u] - 0.5) {
		x /= step[u];
		u++;
	}
	if (x < 9.95)
		return table_fmt(t, "%.1f %s", x, units[u]);
	return table_fmt(t, "%.0f %s", x, units[u]);
}

const char *table_bytes(struct table *t, unsigned long long bytes)
{
	static const char *const units[] = { "B",   "KiB", "MiB", "GiB",
					     "TiB", "PiB", "EiB" };
	static const double step[] = { 1024, 1024, 1024, 1024, 1024, 1024 };

	return human(t, bytes, units, step, 7);
}

const char *table_ns(struct table *t, unsigned long long ns)
{
	static const char *const units[] = { "ns",  "us", "ms", "s",
					     "min", "h",  "d" };
	static const double step[] = { 1000, 1000, 1000, 60, 60, 24 };

	return human(t, ns, units, step, 7);
}
