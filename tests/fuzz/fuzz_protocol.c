// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for gconvd_msg_check(), the one gate every gconvd
 * message passes (make fuzz-protocol builds it with clang
 * -fsanitize=fuzzer,address,undefined and runs it for FUZZ_SECONDS).
 *
 * An input is one byte of file-descriptor count (its low two bits) and
 * the message.  The target fails (abort) if the checker reads outside the
 * message, returns anything but 0 or -EPROTO, rejects without a reason,
 * or passes a message that is inconsistent (proto_inconsistency(): its
 * length, type, fd count or strings disagree).
 *
 * Built with -DFUZZ_SEEDS instead, the file is a plain program that
 * writes the seed corpus, one valid message of each type (LOAD_REPLY with
 * 0, 1, 3 and 17 tensors), into the directory it is given.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gconv/protocol.h>

#include "../common/proto_msgs.h"

#ifndef FUZZ_SEEDS

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];
	const char *bad;
	unsigned int nfds;
	int r;

	if (size < 1)
		return 0;
	nfds = data[0] & 3;
	why[0] = 0;
	/* data + 1: the checker must not need alignment either */
	r = gconvd_msg_check(data + 1, size - 1, nfds, why, sizeof(why));
	if (r == 0) {
		bad = proto_inconsistency(data + 1, size - 1, nfds);
		if (bad) {
			fprintf(stderr, "passed an inconsistent message: %s\n",
				bad);
			abort();
		}
	} else if (r != -EPROTO || !why[0] || !memchr(why, 0, sizeof(why))) {
		fprintf(stderr, "rejected with %d and reason \"%.*s\"\n", r,
			(int)sizeof(why), why);
		abort();
	}
	return 0;
}

#else /* FUZZ_SEEDS */

static int write_seed(const char *dir, const char *name, const void *msg,
		      size_t len, unsigned int nfds)
{
	char path[4096];
	unsigned char n = (unsigned char)nfds;
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return -1;
	}
	if (fwrite(&n, 1, 1, f) != 1 || fwrite(msg, 1, len, f) != len) {
		perror(path);
		fclose(f);
		return -1;
	}
	return fclose(f) ? -1 : 0;
}

int main(int argc, char **argv)
{
	static unsigned char buf[GCONVD_MAX_MSG];
	static const uint32_t tensors[] = { 0, 1, 3, 17 };
	char name[64];
	uint16_t type;
	size_t i, len;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	for (type = 1; type <= GCONVD_MSG_TYPE_MAX; type++) {
		for (i = 0; i < sizeof(tensors) / sizeof(tensors[0]); i++) {
			if (i && type != GCONVD_MSG_LOAD_REPLY)
				break;
			len = proto_sample(buf, type, tensors[i], 1);
			if (gconvd_msg_check(buf, len, gconvd_msg_fds(type),
					     NULL, 0)) {
				fprintf(stderr, "seed %s is not valid\n",
					gconvd_msg_name(type));
				return 1;
			}
			snprintf(name, sizeof(name), "%s-%u",
				 gconvd_msg_name(type), tensors[i]);
			if (write_seed(argv[1], name, buf, len,
				       gconvd_msg_fds(type)))
				return 1;
		}
	}
	return 0;
}

#endif /* FUZZ_SEEDS */
