/* SPDX-License-Identifier: MIT */
/*
 * libgconvdev internal: the one error-reporting helper.  It writes a
 * printf-style reason into @err (if not NULL and @errlen > 0) and returns
 * @ret, so that a function can `return gconv_fail(err, errlen, -EINVAL,
 * "...")`.  Not exported.
 */
#ifndef GCONV_FAIL_H
#define GCONV_FAIL_H

#include <stddef.h>

int gconv_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* GCONV_FAIL_H */
