// SPDX-License-Identifier: MIT
/*
 * debug-exit: end the VM through QEMU's isa-debug-exit device.
 *
 *   debug-exit CODE      write CODE (0..255) to I/O port 0xf4
 *
 * QEMU then exits at once with status (CODE << 1) | 1, which tells the
 * harness on the host that the guest's /init got to the end. If the VM has
 * no isa-debug-exit device the write goes nowhere and this program returns
 * 1, so the caller can fall back to `poweroff -f`.
 *
 * Built static by tools/vm/mkinitramfs and installed as /bin/debug-exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>
#include <unistd.h>

#define DEBUG_EXIT_PORT 0xf4

int main(int argc, char **argv)
{
	char *end;
	long code;

	if (argc != 2) {
		fprintf(stderr, "usage: debug-exit CODE\n");
		return 2;
	}
	code = strtol(argv[1], &end, 0);
	if (*argv[1] == '\0' || *end != '\0' || code < 0 || code > 255) {
		fprintf(stderr, "debug-exit: bad code '%s' (want 0..255)\n", argv[1]);
		return 2;
	}
	if (ioperm(DEBUG_EXIT_PORT, 1, 1) != 0) {
		perror("debug-exit: ioperm");
		return 1;
	}
	outb((unsigned char)code, DEBUG_EXIT_PORT);
	/* Still here: there is no isa-debug-exit device at 0xf4. */
	sleep(1);
	fprintf(stderr, "debug-exit: no isa-debug-exit device at 0x%x\n",
		DEBUG_EXIT_PORT);
	return 1;
}
