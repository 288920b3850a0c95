/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * The gconv accelerator's programming model: PCI identity, BAR0 register
 * offsets and bits, ring entries, completion records, page-table entries
 * and status codes.  docs/hw-spec.md explains every item; this header is
 * the one definition the device model and the kernel driver share.
 */
#ifndef GCONV_HW_H
#define GCONV_HW_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

/* ---- PCI ----------------------------------------------------------------- */

#define GCONV_PCI_VENDOR_ID		0x1234
#define GCONV_PCI_DEVICE_ID		0x6763
#define GCONV_PCI_REVISION		0x01
#define GCONV_PCI_CLASS			0x1200	/* processing accelerator */
#define GCONV_BAR_REGS			0
#define GCONV_BAR_MSIX			1
#define GCONV_BAR0_SIZE			0x10000

/* ---- fixed capabilities -------------------------------------------------- */

#define GCONV_HW_ID_VALUE		0x56434347u	/* "GCCV" */
#define GCONV_HW_VERSION_VALUE		0x00010000u
#define GCONV_HW_NUM_QUEUES		4
#define GCONV_HW_NUM_CONTEXTS		16
#define GCONV_HW_MAX_CHAIN_LEN		4096
#define GCONV_HW_MAX_DIM		(1u << 24)
#define GCONV_HW_VA_BITS		48
#define GCONV_HW_PAGE_SHIFT		12
#define GCONV_HW_PAGE_SIZE		(1u << GCONV_HW_PAGE_SHIFT)
#define GCONV_HW_MAX_RING_ENTRIES	4096
#define GCONV_HW_MAX_CHAIN_BYTES	(4u << 20)
#define GCONV_HW_MAX_OPERAND_BYTES	(256u << 20)
#define GCONV_HW_NUM_VECTORS		(GCONV_HW_NUM_QUEUES + 1)
#define GCONV_HW_ERROR_VECTOR		GCONV_HW_NUM_QUEUES

/* ---- registers (BAR0, 32-bit) --------------------------------------------- */

#define GCONV_REG_ID			0x000
#define GCONV_REG_HW_VERSION		0x004
#define GCONV_REG_ISA_VERSION		0x008
#define GCONV_REG_CAPS			0x00C
#define   GCONV_CAPS_FP32		(1u << 0)
#define   GCONV_CAPS_TIMING		(1u << 1)
#define   GCONV_CAPS_FAULT_INJECTION	(1u << 2)
#define GCONV_REG_NUM_QUEUES		0x010
#define GCONV_REG_NUM_CONTEXTS		0x014
#define GCONV_REG_MAX_CHAIN_LEN		0x018
#define GCONV_REG_DTYPES		0x01C
#define GCONV_REG_MAX_DIM		0x020
#define GCONV_REG_VA_BITS		0x024
#define GCONV_REG_PAGE_SHIFT		0x028
#define GCONV_REG_MAX_RING_ENTRIES	0x02C
#define GCONV_REG_CLOCK_KHZ		0x030
#define GCONV_REG_NUM_VECTORS		0x034
#define GCONV_REG_MAX_CHAIN_BYTES	0x038
#define GCONV_REG_MAX_OPERAND_BYTES	0x03C

#define GCONV_REG_CONTROL		0x040
#define   GCONV_CONTROL_ENABLE		(1u << 0)
#define   GCONV_CONTROL_RESET		(1u << 1)
#define GCONV_REG_STATUS		0x044
#define   GCONV_STATUS_ENABLED		(1u << 0)
#define   GCONV_STATUS_BUSY		(1u << 1)
#define   GCONV_STATUS_FAULTED		(1u << 2)
#define GCONV_REG_SCRATCH		0x048

#define GCONV_REG_IRQ_STATUS		0x050
#define GCONV_REG_IRQ_MASK		0x054
#define   GCONV_IRQ_QUEUE(q)		(1u << (q))
#define   GCONV_IRQ_ERROR		(1u << 31)
#define   GCONV_IRQ_ALL			(GCONV_IRQ_ERROR | \
					 ((1u << GCONV_HW_NUM_QUEUES) - 1))

#define GCONV_REG_FAULT_STATUS		0x060
#define GCONV_REG_FAULT_QUEUE		0x064
#define GCONV_REG_FAULT_CONTEXT		0x068
#define GCONV_REG_FAULT_FLAGS		0x06C
#define   GCONV_FAULT_FLAG_WRITE	(1u << 0)
#define   GCONV_FAULT_FLAG_OVERFLOW	(1u << 1)
#define GCONV_REG_FAULT_ADDR_LO		0x070
#define GCONV_REG_FAULT_ADDR_HI		0x074
#define GCONV_REG_FAULT_SEQNO_LO	0x078
#define GCONV_REG_FAULT_SEQNO_HI	0x07C
#define GCONV_REG_FAULT_ACK		0x080
#define GCONV_REG_FAULT_INFO		0x084

/* 64-bit counters: _LO at the offset, _HI at offset + 4 */
#define GCONV_REG_JOBS_COMPLETED	0x200
#define GCONV_REG_JOBS_FAILED		0x208
#define GCONV_REG_GCONVS		0x210
#define GCONV_REG_MACS			0x218
#define GCONV_REG_BYTES_READ		0x220
#define GCONV_REG_BYTES_WRITTEN		0x228
#define GCONV_REG_MODELED_CYCLES	0x230
#define GCONV_REG_BUSY_NS		0x238
#define GCONV_REG_FAULTS		0x240
#define GCONV_REG_RESETS		0x248
#define GCONV_NUM_COUNTERS		10

#define GCONV_REG_CTX_BASE		0x400
#define GCONV_REG_CTX_STRIDE		0x10
#define GCONV_REG_CTX(c)		(GCONV_REG_CTX_BASE + \
					 GCONV_REG_CTX_STRIDE * (c))
#define GCONV_CTX_PT_ROOT_LO		0x0
#define GCONV_CTX_PT_ROOT_HI		0x4
#define GCONV_CTX_CONTROL		0x8
#define   GCONV_CTX_VALID		(1u << 0)

#define GCONV_REG_QUEUE_BASE		0x1000
#define GCONV_REG_QUEUE_STRIDE		0x100
#define GCONV_REG_QUEUE(q)		(GCONV_REG_QUEUE_BASE + \
					 GCONV_REG_QUEUE_STRIDE * (q))
#define GCONV_Q_RING_BASE_LO		0x00
#define GCONV_Q_RING_BASE_HI		0x04
#define GCONV_Q_RING_SIZE		0x08
#define GCONV_Q_HEAD			0x0C
#define GCONV_Q_TAIL			0x10
#define GCONV_Q_DOORBELL		0x14
#define GCONV_Q_CPL_ADDR_LO		0x18
#define GCONV_Q_CPL_ADDR_HI		0x1C
#define GCONV_Q_CONTROL			0x20
#define   GCONV_Q_ENABLE		(1u << 0)
#define GCONV_Q_STATUS			0x24
#define   GCONV_Q_ACTIVE		(1u << 0)
#define   GCONV_Q_STOPPED		(1u << 1)
#define GCONV_Q_COMPLETED_SEQNO_LO	0x28
#define GCONV_Q_COMPLETED_SEQNO_HI	0x2C
#define GCONV_Q_JOBS			0x30
#define GCONV_Q_PROGRESS		0x34	/* work units done (wraps) */

/* ---- ring entries and completion records ----------------------------------- */

enum gconv_hw_opcode {
	GCONV_OP_NOP = 0,
	GCONV_OP_RUN_CHAIN = 1,
};

#define GCONV_JOB_F_IRQ			(1u << 0)
#define GCONV_JOB_F_ALL			GCONV_JOB_F_IRQ

struct gconv_hw_job {
	uint32_t opcode;	/* enum gconv_hw_opcode */
	uint32_t flags;		/* GCONV_JOB_F_* */
	uint32_t context;
	uint32_t reserved0;
	uint64_t chain_addr;	/* device VA, 8-byte aligned */
	uint64_t chain_size;	/* bytes */
	uint64_t seqno;
	uint64_t reserved[3];
};

struct gconv_hw_completion {
	uint64_t seqno;
	uint32_t status;	/* enum gconv_hw_status */
	uint32_t info;
};

#define GCONV_HW_ASSERT(cond, what) _Static_assert(cond, what)

GCONV_HW_ASSERT(sizeof(struct gconv_hw_job) == 64, "ring entry size");
GCONV_HW_ASSERT(sizeof(struct gconv_hw_completion) == 16,
		"completion record size");

#define GCONV_RING_ALIGN		64
#define GCONV_CPL_ALIGN			16

enum gconv_hw_status {
	GCONV_HW_OK = 0,
	GCONV_HW_INVALID_JOB = 1,
	GCONV_HW_INVALID_CHAIN = 2,
	GCONV_HW_MMU_FAULT = 3,
	GCONV_HW_DMA_ERROR = 4,
	GCONV_HW_BAD_CONTEXT = 5,
	GCONV_HW_ENGINE_ERROR = 6,
	GCONV_HW_RING_CONFIG = 8,
	GCONV_HW_RING_DMA = 9,
};

/* ---- page tables ------------------------------------------------------------- */

#define GCONV_PTE_VALID			(1ull << 0)
#define GCONV_PTE_READ			(1ull << 1)
#define GCONV_PTE_WRITE			(1ull << 2)
#define GCONV_PTE_ADDR_MASK		0x000ffffffffff000ull
#define GCONV_PTE_RESERVED_MASK		(~(GCONV_PTE_ADDR_MASK | \
					   GCONV_PTE_VALID | GCONV_PTE_READ | \
					   GCONV_PTE_WRITE))
#define GCONV_PT_LEVELS			4
#define GCONV_PT_ENTRIES		512
/* index of @va in the table at @level (3 = root) */
#define GCONV_PT_INDEX(va, level)	(((va) >> (12 + 9 * (level))) & 511)

/* ---- timing model -------------------------------------------------------------- */

#define GCONV_TIMING_PES		168	/* 12 x 14 PE array */
#define GCONV_TIMING_BYTES_PER_CYCLE	16

#endif /* GCONV_HW_H */
