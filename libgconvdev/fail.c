// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>

#include "fail.h"

int gconv_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}
