// SPDX-License-Identifier: MIT
/* Which engine runs by default: GCONV_ENGINE (docs/engines.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gconv/engine.h>

int gconv_engine_default(enum gconv_engine_kind *kind)
{
	const char *v = getenv("GCONV_ENGINE");

	*kind = GCONV_ENGINE_FAST;
	if (!v || !*v || !strcmp(v, "fast"))
		return 0;
	if (!strcmp(v, "golden")) {
		*kind = GCONV_ENGINE_GOLDEN;
		return 0;
	}
	return -EINVAL;
}
