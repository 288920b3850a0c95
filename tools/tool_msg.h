/* SPDX-License-Identifier: MIT */
/*
 * Error messages of gconv's command-line tools (gconv-run, gconv-compile,
 * gconv-cost): "PROG: message" on stderr.  Each tool defines
 *
 *	#define usage_error(...) tool_usage_error(PROG, __VA_ARGS__)
 *	#define fail(...) tool_fail(PROG, __VA_ARGS__)
 */
#ifndef GCONV_TOOL_MSG_H
#define GCONV_TOOL_MSG_H

/* The message and "Try 'PROG --help'."; returns 2, the usage exit code. */
__attribute__((format(printf, 2, 3))) int
tool_usage_error(const char *prog, const char *fmt, ...);

/* The message; returns 1, the failure exit code. */
__attribute__((format(printf, 2, 3))) int tool_fail(const char *prog,
						    const char *fmt, ...);

#endif /* GCONV_TOOL_MSG_H */
