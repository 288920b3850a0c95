// SPDX-License-Identifier: MIT
/*
 * gconvctl's output helpers (tools/gconvctl/out.c): human tables (column
 * widths, alignment of numbers, "-" for missing cells), the human forms
 * of sizes and durations, and JSON documents.
 */
#define _GNU_SOURCE /* open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gconvctl.h"
#include "../harness.h"

/* What @fn printed through a ctl whose out is a memory stream. */
struct capture {
	struct ctl ctl;
	char *buf;
	size_t len;
};

static void cap_open(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->ctl.out = open_memstream(&c->buf, &c->len);
	if (!c->ctl.out)
		FAILF("open_memstream: expected a stream, got none");
}

static const char *cap_text(struct capture *c)
{
	fflush(c->ctl.out);
	return c->buf;
}

static void cap_close(struct capture *c)
{
	fclose(c->ctl.out);
	free(c->buf);
}

TEST(bytes_for_humans)
{
	struct table *t = table_new(0, NULL);

	CHECK(t);
	CHECK_STR(table_bytes(t, 0), "0 B");
	CHECK_STR(table_bytes(t, 1023), "1023 B");
	CHECK_STR(table_bytes(t, 1024), "1.0 KiB");
	CHECK_STR(table_bytes(t, 312 * 1024), "312 KiB");
	CHECK_STR(table_bytes(t, 1536ull << 20), "1.5 GiB");
	CHECK_STR(table_bytes(t, (1ull << 20) - 1), "1.0 MiB");
	CHECK_STR(table_bytes(t, ~0ull), "16 EiB");
	table_free(t);
}

TEST(durations_for_humans)
{
	struct table *t = table_new(0, NULL);

	CHECK(t);
	CHECK_STR(table_ns(t, 0), "0 ns");
	CHECK_STR(table_ns(t, 999), "999 ns");
	CHECK_STR(table_ns(t, 41000), "41 us");
	CHECK_STR(table_ns(t, 3200000), "3.2 ms");
	CHECK_STR(table_ns(t, 2100000000ull), "2.1 s");
	CHECK_STR(table_ns(t, 90ull * 1000000000ull), "1.5 min");
	CHECK_STR(table_ns(t, 7200ull * 1000000000ull), "2.0 h");
	table_free(t);
}

TEST(fmt_strings_live_until_free)
{
	struct table *t = table_new(0, NULL);
	const char *a, *b;

	CHECK(t);
	a = table_fmt(t, "%d-%s", 7, "x");
	b = table_fmt(t, "%s", "second");
	CHECK_STR(a, "7-x");
	CHECK_STR(b, "second");
	table_free(t);
}

/* widths, numbers right and words left, "-", no trailing blanks */
TEST(table_layout)
{
	static const char *const h[] = { "NAME", "JOBS", "MEMORY", "NOTE" };
	struct capture c;
	struct table *t;

	cap_open(&c);
	t = table_new(4, h);
	CHECK(t);
	table_row(t, (const char *const[]){ "alpha", "7", table_bytes(t, 2048),
					    "ok" });
	table_row(t, (const char *const[]){ "b", "12345", NULL, NULL });
	table_print(&c.ctl, t);
	table_free(t);
	CHECK_STR(cap_text(&c), "NAME    JOBS   MEMORY  NOTE\n"
				"alpha      7  2.0 KiB  ok\n"
				"b      12345        -  -\n");
	cap_close(&c);
}

/* a column of numbers and words: the header and "-" stay left */
TEST(table_mixed_column)
{
	static const char *const h[] = { "DEVICE", "STATE" };
	struct capture c;
	struct table *t;

	cap_open(&c);
	t = table_new(2, h);
	CHECK(t);
	table_row(t, (const char *const[]){ "0", "running" });
	table_row(t, (const char *const[]){ "cpu", "queued" });
	table_print(&c.ctl, t);
	table_free(t);
	CHECK_STR(cap_text(&c), "DEVICE  STATE\n"
				"     0  running\n"
				"cpu     queued\n");
	cap_close(&c);
}

/* not numbers: PCI slots, device names, versions with two dots */
TEST(table_words_that_look_numeric)
{
	static const char *const h[] = { "PCI", "NAME", "V", "N" };
	struct capture c;
	struct table *t;

	cap_open(&c);
	t = table_new(4, h);
	CHECK(t);
	table_row(t, (const char *const[]){ "0000:00:03.0", "accel0", "1.2.3",
					    "-1" });
	table_row(t, (const char *const[]){ "x", "y", "z", "0x1f" });
	table_print(&c.ctl, t);
	table_free(t);
	CHECK_STR(cap_text(&c), "PCI           NAME    V         N\n"
				"0000:00:03.0  accel0  1.2.3    -1\n"
				"x             y       z      0x1f\n");
	cap_close(&c);
}

TEST(table_empty)
{
	static const char *const h[] = { "A", "B" };
	struct capture c;
	struct table *t;

	cap_open(&c);
	t = table_new(2, h);
	CHECK(t);
	table_print(&c.ctl, t);
	table_free(t);
	CHECK_STR(cap_text(&c), "A  B\n");
	cap_close(&c);
}

TEST(json_pretty_without_slash_escapes)
{
	json_object *o = json_object_new_object();
	struct capture c;

	CHECK(o);
	json_object_object_add(o, "path",
			       json_object_new_string("/dev/accel/accel0"));
	json_object_object_add(o, "n", json_object_new_int(3));
	cap_open(&c);
	out_json(&c.ctl, o);
	CHECK_STR(cap_text(&c), "{\n"
				"  \"path\": \"/dev/accel/accel0\",\n"
				"  \"n\": 3\n"
				"}\n");
	cap_close(&c);
	json_object_put(o);
}

TEST(error_returns_its_code)
{
	CHECK_EQ_INT(ctl_error(CTL_NOT_FOUND, "test message %d", 1),
		     CTL_NOT_FOUND);
}

static const struct test tests[] = {
	T(bytes_for_humans),
	T(durations_for_humans),
	T(fmt_strings_live_until_free),
	T(table_layout),
	T(table_mixed_column),
	T(table_words_that_look_numeric),
	T(table_empty),
	T(json_pretty_without_slash_escapes),
	T(error_returns_its_code),
};

int main(int argc, char **argv)
{
	return HARNESS_MAIN(tests);
}
