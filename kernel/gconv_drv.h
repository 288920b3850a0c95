/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gconv: DRM accel driver for the gconv GCONV Chain accelerator.
 *
 * The device (docs/hw-spec.md) has NUM_QUEUES rings in host memory and
 * NUM_CONTEXTS device address spaces.  Each open file gets its own address
 * space (struct gconv_vm), bound to a hardware context slot while it has
 * jobs on the hardware.  Jobs go through one drm_sched per hardware queue.
 */
#ifndef __GCONV_DRV_H__
#define __GCONV_DRV_H__

#include <drm/drm_device.h>
#include <drm/drm_file.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_mm.h>
#include <drm/gpu_scheduler.h>
#include <linux/pci.h>
#include <linux/xarray.h>

#include <gconv/hw.h>
#include <uapi/linux/gconv.h>

#define DRIVER_NAME	"gconv"
#define DRIVER_DESC	"gconv GCONV Chain accelerator"

/* device virtual addresses handed out to BOs: above 4 GiB, below 2^47 */
#define GCONV_VA_START		BIT_ULL(32)
#define GCONV_VA_END		BIT_ULL(47)

/* module parameters (gconv_drv.c) */
extern unsigned int gconv_timeout_ms;	/* hang check period */
extern unsigned int gconv_ban_after;	/* faults before a file is banned */

struct gconv_device;

/* One page-table page of a VM. */
struct gconv_pt {
	u64 *cpu;
	dma_addr_t dma;
};

/*
 * A device address space: one per open file.
 * @lock protects @mm, the page tables and @tables.
 * @ctx is the hardware context slot it is bound to, or -1; it changes
 * only under gdev->ctx_lock.
 */
struct gconv_vm {
	struct gconv_device *gdev;
	struct kref ref;
	struct mutex lock;		/* see above */
	struct drm_mm mm;
	struct gconv_pt root;
	struct xarray tables;		/* (level << 40 | va >> shift) -> pt */
	int ctx;
	atomic_t hw_jobs;		/* jobs of this VM on the hardware */
	u64 last_used;			/* jiffies, for slot eviction */
	/* the file owning the VM, for debugfs, netlink and events */
	u64 client_id;
	pid_t pid;
	char comm[TASK_COMM_LEN];
	/* jobs that hung or faulted; at gconv_ban_after the file is banned */
	atomic_t faults;
	bool banned;			/* set once, read with READ_ONCE */
};

/* A BO's placement in one VM (a BO shared by PRIME has one per VM). */
struct gconv_mapping {
	struct list_head link;		/* in gconv_bo.mappings */
	struct gconv_vm *vm;
	struct drm_mm_node node;
};

struct gconv_bo {
	struct drm_gem_shmem_object base;
	u32 flags;			/* DRM_GCONV_BO_* */
	struct mutex lock;		/* protects @mappings */
	struct list_head mappings;
};

static inline struct gconv_bo *to_gconv_bo(struct drm_gem_object *obj)
{
	return container_of(to_drm_gem_shmem_obj(obj), struct gconv_bo, base);
}

/*
 * One hardware queue.  The scheduler keeps at most one job of a queue on
 * the hardware (credit limit 1), so the queue's single completion record
 * always describes that job.  @lock protects @active.
 */
struct gconv_queue {
	struct gconv_device *gdev;
	unsigned int idx;
	struct drm_gpu_scheduler sched;
	struct gconv_hw_job *ring;
	dma_addr_t ring_dma;
	struct gconv_hw_completion *cpl;
	dma_addr_t cpl_dma;
	u32 tail;
	u64 seqno;			/* last seqno written to the ring */
	u64 fence_context;
	spinlock_t lock;		/* protects tail, seqno, active */
	struct gconv_job *active;	/* on the hardware, or NULL */
	char name[16];
};

/* driver-side counters (device counters restart at each reset) */
enum gconv_counter {
	GCONV_CNT_SUBMITTED,
	GCONV_CNT_COMPLETED,
	GCONV_CNT_FAILED,
	GCONV_CNT_MMU_FAULTS,
	GCONV_CNT_JOB_FAULTS,
	GCONV_CNT_HANGS,
	GCONV_CNT_RESETS,
	GCONV_CNT_BANS,
	GCONV_CNT_EVENTS_DROPPED,
	GCONV_CNT_MAX
};

struct gconv_device {
	struct drm_device drm;
	struct list_head link;		/* in the device list (netlink) */
	struct pci_dev *pdev;
	void __iomem *regs;
	u32 hw_version, isa_version, num_queues, num_contexts;
	u32 max_chain_len, dtypes, max_dim, clock_khz;
	u32 max_chain_bytes, max_operand_bytes;

	struct gconv_queue queue[GCONV_HW_NUM_QUEUES];
	/* every entity's scheduler list: drm_sched keeps the pointer */
	struct drm_gpu_scheduler *scheds[GCONV_HW_NUM_QUEUES];

	struct mutex ctx_lock;		/* protects ctx_owner and vm->ctx */
	struct gconv_vm *ctx_owner[GCONV_HW_NUM_CONTEXTS];

	spinlock_t fence_lock;		/* the hardware fences' lock */

	/* for debugfs: live BOs, and the last jobs that ended */
	atomic_t bo_count;
	spinlock_t recent_lock;		/* protects recent[], recent_next */
	struct gconv_recent_job {
		u64 seqno;
		u64 fault_addr;
		u32 queue, context, status, info;
		pid_t pid;
	} recent[32];
	unsigned int recent_next;

	/*
	 * Serialises device resets (hang recovery, netlink, debugfs); the
	 * hang check runs under it too.  Taken before any queue lock.
	 */
	struct mutex reset_lock;
	atomic64_t cnt[GCONV_CNT_MAX];
	/* device counters (GCONV_REG_JOBS_COMPLETED...) before the resets */
	u64 hw_cnt_base[GCONV_NUM_COUNTERS];
};

static inline struct gconv_device *to_gconv_dev(struct drm_device *drm)
{
	return container_of(drm, struct gconv_device, drm);
}

/* A file's job outcome counters; jobs may outlive the file. */
struct gconv_stats {
	struct kref ref;
	atomic64_t completed, failed;
};

/*
 * A job's outcome, for DRM_GCONV_WAIT.  Referenced by the file's table
 * (the last GCONV_JOB_RECORDS jobs) and by the job until it is freed;
 * the fields are written before @done signals.
 */
struct gconv_job_record {
	struct kref ref;
	struct dma_fence *done;		/* the scheduler's finished fence */
	struct gconv_stats *stats;
	u32 status;			/* enum drm_gconv_job_status */
	u32 info;
	u64 fault_addr;
};

struct gconv_file {
	struct gconv_device *gdev;
	struct gconv_vm *vm;
	struct drm_sched_entity entity[3];	/* per drm_gconv_priority */
	struct xarray jobs;		/* job id -> gconv_job_record */
	struct gconv_stats *stats;
	atomic64_t submitted;
	atomic64_t next_id;
};

struct gconv_job {
	struct drm_sched_job base;
	pid_t pid;			/* submitter, for debugfs and events */
	char comm[TASK_COMM_LEN];
	struct kref ref;
	struct gconv_device *gdev;
	struct gconv_vm *vm;
	struct gconv_job_record *rec;
	struct drm_gem_object **bos;
	u32 bo_count;
	struct drm_gem_object *chain_bo;
	u64 chain_addr, chain_size;
	struct dma_fence *hw_fence;
	struct gconv_queue *queue;
	u64 seqno;
	/*
	 * hang check: set when the job goes to the hardware, then updated
	 * by the timeout handler under gdev->reset_lock
	 */
	unsigned long start;		/* jiffies */
	unsigned long hc_time;		/* jiffies of the last look */
	u32 hc_progress;		/* its queue's Q_PROGRESS then */
};

/* gconv_drv.c */
u32 gconv_read(struct gconv_device *gdev, u32 off);
u64 gconv_read64(struct gconv_device *gdev, u32 off);
u64 gconv_hw_counter(struct gconv_device *gdev, u32 reg);
struct gconv_device *gconv_device_get(u32 index);
struct gconv_device *gconv_device_next(u32 *index);
void gconv_write(struct gconv_device *gdev, u32 off, u32 val);
int gconv_hw_init(struct gconv_device *gdev);

/* gconv_debugfs.c, gconv_sysfs.c */
void gconv_debugfs_init(struct gconv_device *gdev);
int gconv_sysfs_init(struct gconv_device *gdev);

/* gconv_gem.c */
struct drm_gem_object *
gconv_gem_create_object(struct drm_device *drm, size_t size);
struct drm_gem_object *
gconv_gem_prime_import_sg_table(struct drm_device *drm,
				struct dma_buf_attachment *attach,
				struct sg_table *sgt);
int gconv_bo_map(struct gconv_bo *bo, struct gconv_vm *vm, u64 *addr);
int gconv_ioctl_bo_create(struct drm_device *drm, void *data,
			  struct drm_file *file);
int gconv_ioctl_bo_info(struct drm_device *drm, void *data,
			struct drm_file *file);

/* gconv_mmu.c */
struct gconv_vm *gconv_vm_create(struct gconv_device *gdev);
void gconv_vm_put(struct gconv_vm *vm);
int gconv_vm_map_sgt(struct gconv_vm *vm, u64 va, struct sg_table *sgt,
		     bool writable);
void gconv_vm_unmap(struct gconv_vm *vm, u64 va, u64 size);
int gconv_vm_bind_ctx(struct gconv_vm *vm);
int gconv_vm_rebind_ctx(struct gconv_vm *vm);
void gconv_vm_unbind_all(struct gconv_device *gdev);

/* gconv_job.c */
void gconv_record_put(struct gconv_job_record *rec);
void gconv_stats_put(struct gconv_stats *stats);
int gconv_sched_init(struct gconv_device *gdev);
void gconv_sched_fini(struct gconv_device *gdev);
int gconv_file_sched_init(struct gconv_device *gdev, struct gconv_file *gf);
void gconv_file_sched_fini(struct gconv_file *gf);
int gconv_ioctl_submit(struct drm_device *drm, void *data,
		       struct drm_file *file);
int gconv_ioctl_wait(struct drm_device *drm, void *data,
		     struct drm_file *file);
void gconv_job_end_locked(struct gconv_queue *q, struct gconv_job *job,
			  u32 status, u32 info, u64 fault_addr, bool write);
int gconv_reset(struct gconv_device *gdev, struct gconv_job *guilty,
		u32 reason);

/* gconv_netlink.c */
int gconv_nl_register(void);
void gconv_nl_unregister(void);
void gconv_nl_job_event(struct gconv_device *gdev, struct gconv_job *job,
			u32 type, u32 status, u32 info, u64 fault_addr,
			bool write);
void gconv_nl_reset_event(struct gconv_device *gdev, u32 reason,
			  u32 aborted, u32 requeued);
void gconv_nl_ban_event(struct gconv_device *gdev, struct gconv_vm *vm);

/* gconv_irq.c */
irqreturn_t gconv_irq(int irq, void *arg);
irqreturn_t gconv_irq_thread(int irq, void *arg);
void gconv_queue_complete(struct gconv_queue *q);

#endif /* __GCONV_DRV_H__ */
