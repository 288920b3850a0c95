// SPDX-License-Identifier: MIT
/*
 * guest-rawdev: drive the gconv device from inside a VM with no driver.
 *
 * Runs as root in the test VM (static binary).  It finds the device in
 * sysfs, turns on memory decoding and bus mastering through the config
 * space file, maps BAR0 through resource0, and gets DMA memory whose
 * physical addresses it learns from /proc/self/pagemap (locked anonymous
 * pages, scattered physically: the device MMU maps them page by page).
 * Then it builds page tables, a ring and GCONV chains, rings the doorbell,
 * polls the completion record and checks results against the golden
 * engine run in this process.  One subtest per behaviour; the last line is
 * "N passed, N failed".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <gconv/engine.h>
#include <gconv/hw.h>

#include "../common/sample_chain.h"

#define PAGE 4096u
#define POOL_PAGES 256
#define VA_BASE 0x40000000ull

static volatile uint32_t *regs;
static uint8_t *pool;		/* POOL_PAGES locked pages */
static uint64_t pool_pa[POOL_PAGES];
static unsigned int pool_next;
static uint64_t root_pa;
static uint8_t *ring, *cpl;
static uint64_t ring_pa, cpl_pa;
static uint32_t tail;
static uint64_t next_seqno = 1;
static int passed, failed;
static char bdf[256];

#define FAIL(...)                                                        \
	do {                                                             \
		printf("FAIL %s: ", __func__);                           \
		printf(__VA_ARGS__);                                     \
		printf("\n");                                            \
		failed++;                                                \
		return;                                                  \
	} while (0)
#define PASS() (printf("ok   %s\n", __func__), passed++)

static uint32_t rd(uint32_t off)
{
	return regs[off / 4];
}

static void wr(uint32_t off, uint32_t v)
{
	regs[off / 4] = v;
	__sync_synchronize();
}

static uint64_t rd64(uint32_t off)
{
	uint64_t lo = rd(off);

	return lo | (uint64_t)rd(off + 4) << 32;
}

static int find_device(void)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[600], buf[32];
		unsigned int ven = 0, dev = 0;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor",
			 e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f))
			ven = (unsigned int)strtoul(buf, NULL, 16);
		fclose(f);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device",
			 e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f))
			dev = (unsigned int)strtoul(buf, NULL, 16);
		fclose(f);
		if (ven == GCONV_PCI_VENDOR_ID && dev == GCONV_PCI_DEVICE_ID) {
			snprintf(bdf, sizeof(bdf), "%s", e->d_name);
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	return -1;
}

static int setup_pci(void)
{
	char path[600];
	uint16_t cmd;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDWR);
	if (fd < 0 || pread(fd, &cmd, 2, 4) != 2)
		return -1;
	cmd |= 0x6; /* memory space, bus master */
	if (pwrite(fd, &cmd, 2, 4) != 2)
		return -1;
	close(fd);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", bdf);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		return -1;
	regs = mmap(NULL, GCONV_BAR0_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
	close(fd);
	return regs == MAP_FAILED ? -1 : 0;
}

/* Locked pages and their physical addresses from /proc/self/pagemap. */
static int setup_memory(void)
{
	int fd, i;

	pool = mmap(NULL, POOL_PAGES * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED | MAP_POPULATE,
		    -1, 0);
	if (pool == MAP_FAILED || mlock(pool, POOL_PAGES * PAGE))
		return -1;
	memset(pool, 0, POOL_PAGES * PAGE);
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return -1;
	for (i = 0; i < POOL_PAGES; i++) {
		uint64_t ent;
		off_t off = (off_t)(((uintptr_t)pool + (uintptr_t)i * PAGE) /
				    PAGE * 8);

		if (pread(fd, &ent, 8, off) != 8 || !(ent >> 63))
			return -1;
		pool_pa[i] = (ent & ((1ull << 55) - 1)) * PAGE;
		if (!pool_pa[i])
			return -1; /* no PFN: not running as root */
	}
	close(fd);
	return 0;
}

static uint8_t *page_alloc(uint64_t *pa)
{
	unsigned int i = pool_next++;

	if (i >= POOL_PAGES) {
		fprintf(stderr, "guest-rawdev: out of DMA pages\n");
		exit(2);
	}
	*pa = pool_pa[i];
	return pool + (size_t)i * PAGE;
}

static uint64_t *table_of(uint64_t pa)
{
	unsigned int i;

	for (i = 0; i < pool_next; i++)
		if (pool_pa[i] == pa)
			return (uint64_t *)(pool + (size_t)i * PAGE);
	return NULL;
}

/* Map the page at @pa at @va in context 0's tables. */
static void map_page(uint64_t va, uint64_t pa, uint64_t perm)
{
	uint64_t *t = table_of(root_pa);
	int level;

	for (level = 3; level > 0; level--) {
		uint64_t *e = &t[GCONV_PT_INDEX(va, level)];

		if (!(*e & GCONV_PTE_VALID)) {
			uint64_t npa;

			page_alloc(&npa);
			*e = npa | GCONV_PTE_VALID;
		}
		t = table_of(*e & GCONV_PTE_ADDR_MASK);
	}
	t[GCONV_PT_INDEX(va, 0)] = pa | GCONV_PTE_VALID | perm;
}

/* @bytes of fresh pages mapped at @va; returns their host address (the
 * pages are virtually contiguous in this process: consecutive pool pages) */
static uint8_t *map_buffer(uint64_t va, size_t bytes, uint64_t perm)
{
	size_t n = (bytes + PAGE - 1) / PAGE, i;
	unsigned int start = pool_next;
	uint8_t *first = NULL;

	/* take the data pages first, so that they are contiguous here;
	 * page-table pages come after them */
	for (i = 0; i < n; i++) {
		uint64_t pa;
		uint8_t *p = page_alloc(&pa);

		if (!first)
			first = p;
	}
	for (i = 0; i < n; i++)
		map_page(va + i * PAGE, pool_pa[start + i], perm);
	return first;
}

static int setup_device(void)
{
	if (rd(GCONV_REG_ID) != GCONV_HW_ID_VALUE)
		return -1;
	wr(GCONV_REG_CONTROL, GCONV_CONTROL_RESET);
	page_alloc(&root_pa);
	ring = page_alloc(&ring_pa);
	cpl = page_alloc(&cpl_pa);
	wr(GCONV_REG_CTX(0) + GCONV_CTX_PT_ROOT_LO, (uint32_t)root_pa);
	wr(GCONV_REG_CTX(0) + GCONV_CTX_PT_ROOT_HI, (uint32_t)(root_pa >> 32));
	wr(GCONV_REG_CTX(0) + GCONV_CTX_CONTROL, GCONV_CTX_VALID);
	wr(GCONV_REG_QUEUE(0) + GCONV_Q_RING_BASE_LO, (uint32_t)ring_pa);
	wr(GCONV_REG_QUEUE(0) + GCONV_Q_RING_BASE_HI, (uint32_t)(ring_pa >> 32));
	wr(GCONV_REG_QUEUE(0) + GCONV_Q_RING_SIZE, PAGE / 64);
	wr(GCONV_REG_QUEUE(0) + GCONV_Q_CPL_ADDR_LO, (uint32_t)cpl_pa);
	wr(GCONV_REG_QUEUE(0) + GCONV_Q_CPL_ADDR_HI, (uint32_t)(cpl_pa >> 32));
	wr(GCONV_REG_QUEUE(0) + GCONV_Q_CONTROL, GCONV_Q_ENABLE);
	wr(GCONV_REG_CONTROL, GCONV_CONTROL_ENABLE);
	return rd(GCONV_REG_QUEUE(0) + GCONV_Q_STATUS) & GCONV_Q_STOPPED ? -1 : 0;
}

static int submit_wait(uint32_t opcode, uint64_t chain_va,
		       uint64_t chain_size, struct gconv_hw_completion *out,
		       int secs, int want_corrupt);

/* Submit a job and poll its completion record (30 s at most). */
static int submit(uint32_t opcode, uint64_t chain_va, uint64_t chain_size,
		  struct gconv_hw_completion *out)
{
	return submit_wait(opcode, chain_va, chain_size, out, 30, 0);
}

/* ... or for @secs, for the record the device writes with the seqno's
 * bits flipped when @want_corrupt (inject-bad-completion) */
static int submit_wait(uint32_t opcode, uint64_t chain_va,
		       uint64_t chain_size, struct gconv_hw_completion *out,
		       int secs, int want_corrupt)
{
	struct gconv_hw_job *j = (struct gconv_hw_job *)ring + tail;
	volatile struct gconv_hw_completion *c = (void *)cpl;
	uint64_t seqno = next_seqno++;
	struct timespec t0, t;

	memset(j, 0, sizeof(*j));
	j->opcode = opcode;
	j->chain_addr = chain_va;
	j->chain_size = chain_size;
	j->seqno = seqno;
	__sync_synchronize();
	tail = (tail + 1) % (PAGE / 64);
	wr(GCONV_REG_QUEUE(0) + GCONV_Q_TAIL, tail);
	wr(GCONV_REG_QUEUE(0) + GCONV_Q_DOORBELL, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		__sync_synchronize();
		if (c->seqno == (want_corrupt ? ~seqno : seqno))
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= secs)
			return -1;
		usleep(100);
	}
	out->seqno = c->seqno;
	out->status = c->status;
	out->info = c->info;
	return 0;
}

static void identity_registers(void)
{
	if (rd(GCONV_REG_HW_VERSION) != GCONV_HW_VERSION_VALUE)
		FAIL("HW_VERSION 0x%x", rd(GCONV_REG_HW_VERSION));
	if (rd(GCONV_REG_NUM_QUEUES) != GCONV_HW_NUM_QUEUES ||
	    rd(GCONV_REG_NUM_CONTEXTS) != GCONV_HW_NUM_CONTEXTS ||
	    rd(GCONV_REG_PAGE_SHIFT) != GCONV_HW_PAGE_SHIFT)
		FAIL("capabilities differ from hw.h");
	wr(GCONV_REG_SCRATCH, 0x5a5aa5a5);
	if (rd(GCONV_REG_SCRATCH) != 0x5a5aa5a5)
		FAIL("SCRATCH does not hold a value");
	PASS();
}

static void nop_job_completes(void)
{
	struct gconv_hw_completion c;

	if (submit(GCONV_OP_NOP, 0, 0, &c))
		FAIL("no completion within 30 s");
	if (c.status != GCONV_HW_OK)
		FAIL("status %u", c.status);
	PASS();
}

/* The sample network: its flat memory mapped at VA_BASE, addresses moved. */
static void sample_network_matches_engine(void)
{
	struct sample_params prm;
	size_t len, mem_size, in_off, out_off, k;
	struct gconv_chain_header *h;
	struct gconv_hw_completion c;
	float *mem, want[SAMPLE_CLASSES], *dev_mem;
	uint8_t *dev_chain;
	uint64_t chain_va;
	void *chain;
	uint32_t i;

	sample_params_random(&prm, 11);
	if (sample_chain_build(&prm, &chain, &len, &mem, &mem_size, &in_off,
			       &out_off))
		FAIL("cannot build the chain");
	for (k = 0; k < SAMPLE_IN; k++)
		mem[in_off / 4 + k] = (float)sin((double)k);
	/* device copy: data at VA_BASE, chain after it */
	dev_mem = (float *)map_buffer(VA_BASE, mem_size,
				      GCONV_PTE_READ | GCONV_PTE_WRITE);
	memcpy(dev_mem, mem, mem_size);
	chain_va = VA_BASE + ((mem_size + PAGE - 1) / PAGE) * PAGE;
	dev_chain = map_buffer(chain_va, len, GCONV_PTE_READ);
	memcpy(dev_chain, chain, len);
	h = (struct gconv_chain_header *)dev_chain;
	for (i = 0; i < h->count; i++) {
		struct gconv_desc *d = (struct gconv_desc *)(dev_chain +
			h->header_size + (size_t)i * h->desc_size);
		struct gconv_operand *ops[4] = { &d->x, &d->y, &d->b, &d->o };
		int j;

		for (j = 0; j < 4; j++)
			if (ops[j]->dtype)
				ops[j]->addr += VA_BASE;
	}
	if (gconv_golden_run_chain(chain, len, mem, mem_size, NULL))
		FAIL("golden engine refused the chain");
	sample_reference(&prm, mem + in_off / 4, want);
	if (submit(GCONV_OP_RUN_CHAIN, chain_va, len, &c))
		FAIL("no completion within 30 s");
	if (c.status != GCONV_HW_OK)
		FAIL("status %u info 0x%x", c.status, c.info);
	for (k = 0; k < mem_size / 4; k++)
		if (memcmp(&dev_mem[k], &mem[k], 4))
			FAIL("device memory differs from the engine at float "
			     "%zu: %g vs %g", k, dev_mem[k], mem[k]);
	for (k = 0; k < SAMPLE_CLASSES; k++)
		if (fabsf(dev_mem[out_off / 4 + k] - want[k]) > 1e-5f)
			FAIL("class %zu: %g, direct %g", k,
			     dev_mem[out_off / 4 + k], want[k]);
	if (rd64(GCONV_REG_GCONVS) < h->count)
		FAIL("GCONVS counter %llu",
		     (unsigned long long)rd64(GCONV_REG_GCONVS));
	free(chain);
	free(mem);
	PASS();
}

static void unmapped_chain_is_an_mmu_fault(void)
{
	struct gconv_hw_completion c;
	uint64_t va = 0x7f0000000000ull;

	wr(GCONV_REG_FAULT_ACK, 1);
	if (submit(GCONV_OP_RUN_CHAIN, va, 4096, &c))
		FAIL("no completion within 30 s");
	if (c.status != GCONV_HW_MMU_FAULT)
		FAIL("status %u, want MMU_FAULT", c.status);
	if (rd(GCONV_REG_FAULT_STATUS) != GCONV_HW_MMU_FAULT ||
	    rd64(GCONV_REG_FAULT_ADDR_LO) != va ||
	    rd64(GCONV_REG_FAULT_SEQNO_LO) != c.seqno)
		FAIL("fault registers: status %u addr 0x%llx",
		     rd(GCONV_REG_FAULT_STATUS),
		     (unsigned long long)rd64(GCONV_REG_FAULT_ADDR_LO));
	wr(GCONV_REG_FAULT_ACK, 1);
	if (rd(GCONV_REG_FAULT_STATUS))
		FAIL("FAULT_ACK did not clear the fault");
	PASS();
}

static void device_survives_garbage_and_reset(void)
{
	struct gconv_hw_completion c;
	unsigned int i;

	/* a job full of garbage, then reset, then a working job again */
	if (submit(0x77, 0x123, 0x456, &c) || c.status != GCONV_HW_INVALID_JOB)
		FAIL("garbage job: status %u", c.status);
	for (i = 0; i < 64; i++)
		wr(0x300 + 4 * i, 0xffffffff); /* unknown registers */
	if (setup_device())
		FAIL("re-initialisation after reset failed");
	tail = 0;
	if (rd64(GCONV_REG_RESETS) < 2)
		FAIL("RESETS counter %llu",
		     (unsigned long long)rd64(GCONV_REG_RESETS));
	if (submit(GCONV_OP_NOP, 0, 0, &c) || c.status)
		FAIL("NOP after reset: status %u", c.status);
	PASS();
}

/* A one-GCONV chain (y = 2 * x over 64 floats) mapped at @va. */
static uint64_t small_chain(uint64_t va, size_t *len)
{
	struct gconv_chain_builder cb = { 0 };
	struct gconv_desc d;
	uint8_t *data;
	void *chain;
	int i;

	data = map_buffer(va, 2 * PAGE, GCONV_PTE_READ | GCONV_PTE_WRITE);
	for (i = 0; i < 64; i++)
		((float *)data)[i] = (float)i;
	gconv_desc_init(&d);
	d.k = 64;
	d.post = GCONV_POST_AFFINE;
	d.post_param[0] = gconv_f32_bits(2.0f);
	d.main = GCONV_MAIN_TAKE_X;
	gconv_operand_f32(&d.x, va, 64, 0, 0, 1, 0, 0, 0);
	gconv_operand_f32(&d.o, va + 256, 64, 0, 0, 1, 0, 0, 0);
	if (gconv_chain_append(&cb, &d) || gconv_chain_encode(&cb, &chain, len))
		exit(2);
	memcpy(data + PAGE, chain, *len);
	free(chain);
	gconv_chain_builder_free(&cb);
	return va + PAGE;
}

/*
 * Fault injection set at run time: the host (tests/vm/check-rawdev) waits
 * for the line below and sets every knob to 1 with QMP qom-set.  The jobs
 * then meet them in the device's order: hang, MMU fault, DMA error,
 * corrupted completion; a reset clears the hang.
 */
static void fault_injection_from_qmp(void)
{
	struct gconv_hw_completion c;
	uint64_t chain;
	size_t len;

	chain = small_chain(0x50000000ull, &len);
	printf("guest-rawdev: ready for injection\n");
	fflush(stdout);
	sleep(4); /* the host sets the knobs meanwhile */
	if (!submit_wait(GCONV_OP_RUN_CHAIN, chain, len, &c, 3, 0))
		FAIL("hung job completed (status %u): was inject-hang set?",
		     c.status);
	if (!(rd(GCONV_REG_QUEUE(0) + GCONV_Q_STATUS) & GCONV_Q_ACTIVE))
		FAIL("queue not active while its job hangs");
	if (setup_device())
		FAIL("reset after the hang failed");
	tail = 0;
	chain = small_chain(0x60000000ull, &len);
	if (submit(GCONV_OP_RUN_CHAIN, chain, len, &c) ||
	    c.status != GCONV_HW_MMU_FAULT)
		FAIL("inject-mmu-fault: status %u", c.status);
	if (submit(GCONV_OP_RUN_CHAIN, chain, len, &c) ||
	    c.status != GCONV_HW_DMA_ERROR)
		FAIL("inject-dma-error: status %u", c.status);
	if (submit_wait(GCONV_OP_RUN_CHAIN, chain, len, &c, 30, 1))
		FAIL("inject-bad-completion: no record with the flipped seqno");
	if (submit(GCONV_OP_RUN_CHAIN, chain, len, &c) || c.status)
		FAIL("after the injections: status %u", c.status);
	PASS();
}

int main(int argc, char **argv)
{
	if (find_device())
		return printf("FAIL no gconv device in /sys/bus/pci\n0 passed, "
			      "1 failed\n"), 1;
	printf("gconv device at %s\n", bdf);
	if (setup_pci() || setup_memory() || setup_device())
		return printf("FAIL cannot set up the device: %s\n0 passed, 1 "
			      "failed\n", strerror(errno)), 1;
	identity_registers();
	nop_job_completes();
	sample_network_matches_engine();
	unmapped_chain_is_an_mmu_fault();
	device_survives_garbage_and_reset();
	if (argc > 1 && !strcmp(argv[1], "--injection"))
		fault_injection_from_qmp();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
