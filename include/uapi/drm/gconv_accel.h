/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * gconv accelerator: the DRM accel UAPI (/dev/accel/accelN).
 *
 * docs/uapi.md documents every ioctl.  Rules for all of them:
 *  - structs are 64-bit aligned, hold no pointers (user addresses are
 *    __u64) and end in reserved fields that must be zero;
 *  - a struct may grow at its end in later versions: the kernel reads the
 *    size the ioctl number encodes and treats missing fields as zero;
 *  - every invalid field is -EINVAL (the kernel's drm debug log says which),
 *    and nothing is allocated before every field has been checked;
 *  - new ioctls are only appended.
 */
#ifndef _UAPI_DRM_GCONV_ACCEL_H
#define _UAPI_DRM_GCONV_ACCEL_H

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

#define DRM_GCONV_GET_PARAM		0x00
#define DRM_GCONV_BO_CREATE		0x01
#define DRM_GCONV_BO_INFO		0x02
#define DRM_GCONV_SUBMIT		0x03
#define DRM_GCONV_WAIT			0x04
#define DRM_GCONV_GET_STATS		0x05

/* ---- GET_PARAM: device capabilities, read from the hardware ------------- */

enum drm_gconv_param {
	DRM_GCONV_PARAM_DEVICE_ID = 0,		/* PCI device ID */
	DRM_GCONV_PARAM_HW_VERSION = 1,		/* major << 16 | minor */
	DRM_GCONV_PARAM_ISA_VERSION = 2,	/* chain encoding executed */
	DRM_GCONV_PARAM_NUM_QUEUES = 3,
	DRM_GCONV_PARAM_NUM_CONTEXTS = 4,
	DRM_GCONV_PARAM_MAX_CHAIN_LEN = 5,	/* descriptors */
	DRM_GCONV_PARAM_DTYPES = 6,		/* 1 << enum gconv_dtype */
	DRM_GCONV_PARAM_MAX_DIM = 7,
	DRM_GCONV_PARAM_PAGE_SIZE = 8,
	DRM_GCONV_PARAM_VA_START = 9,		/* usable device VA range */
	DRM_GCONV_PARAM_VA_END = 10,
	DRM_GCONV_PARAM_MAX_CHAIN_BYTES = 11,
	DRM_GCONV_PARAM_MAX_OPERAND_BYTES = 12,
	DRM_GCONV_PARAM_CLOCK_KHZ = 13,		/* timing model, 0 = none */
};

struct drm_gconv_get_param {
	__u32 param;		/* in: enum drm_gconv_param */
	__u32 reserved;		/* must be zero */
	__u64 value;		/* out */
};

/* ---- BO_CREATE: a shmem-backed buffer, mapped in this file's VA space -- */

#define DRM_GCONV_BO_DEVICE_READ_ONLY	(1u << 0)	/* device may not write */
#define DRM_GCONV_BO_FLAGS		DRM_GCONV_BO_DEVICE_READ_ONLY

struct drm_gconv_bo_create {
	__u64 size;		/* in: bytes, > 0; rounded up to pages */
	__u32 flags;		/* in: DRM_GCONV_BO_* */
	__u32 handle;		/* out: GEM handle */
	__u64 device_addr;	/* out: device VA in this file's space */
	__u64 reserved;		/* must be zero */
};

/* ---- BO_INFO: mmap offset and device address of a BO (also imported) -- */

struct drm_gconv_bo_info {
	__u32 handle;		/* in */
	__u32 flags;		/* out: DRM_GCONV_BO_* */
	__u64 mmap_offset;	/* out: for mmap() on the accel fd */
	__u64 device_addr;	/* out: device VA in this file's space */
	__u64 size;		/* out */
	__u64 reserved;		/* must be zero */
};

/* ---- SUBMIT: run a chain held in a BO ----------------------------------- */

enum drm_gconv_priority {
	DRM_GCONV_PRIORITY_LOW = 0,
	DRM_GCONV_PRIORITY_NORMAL = 1,
	DRM_GCONV_PRIORITY_HIGH = 2,
};

struct drm_gconv_submit {
	__u32 chain_handle;	/* in: BO holding the chain */
	__u32 flags;		/* in: none defined, must be zero */
	__u64 chain_offset;	/* in: byte offset in the BO, 8-aligned */
	__u64 chain_size;	/* in: bytes */
	__u64 bo_handles;	/* in: user pointer to the __u32 handles */
				/* of the BOs the chain uses (implicit sync) */
	__u32 bo_count;		/* in */
	__u32 priority;		/* in: enum drm_gconv_priority */
	__u32 in_syncobj;	/* in: syncobj to wait for first, or 0 */
	__u32 out_syncobj;	/* in: syncobj to signal when done, or 0 */
	__u64 job_id;		/* out: for DRM_GCONV_WAIT */
	__u64 reserved[2];	/* must be zero */
};

/* ---- WAIT: for a job --------------------------------------------------------- */

enum drm_gconv_job_status {
	DRM_GCONV_JOB_OK = 0,
	DRM_GCONV_JOB_INVALID = 1,	/* the device rejected job or chain */
	DRM_GCONV_JOB_MMU_FAULT = 2,
	DRM_GCONV_JOB_DMA_ERROR = 3,
	DRM_GCONV_JOB_TIMEOUT = 4,	/* hung; the device was reset */
	DRM_GCONV_JOB_ABORTED = 5,	/* lost to a reset caused by another */
	DRM_GCONV_JOB_ERROR = 6,	/* other device error */
	DRM_GCONV_JOB_BAD_COMPLETION = 7, /* the device's completion record */
					/* was corrupt: outcome unknown */
	DRM_GCONV_JOB_BANNED = 8,	/* not run: its file was banned */
};

struct drm_gconv_wait {
	__u64 job_id;		/* in: from DRM_GCONV_SUBMIT */
	__s64 timeout_ns;	/* in: absolute CLOCK_MONOTONIC deadline */
	__u32 status;		/* out: enum drm_gconv_job_status */
	__u32 info;		/* out: device detail (e.g. descriptor) */
	__u64 fault_addr;	/* out: faulting device VA, if any */
	__u64 reserved;		/* must be zero */
};

/* ---- GET_STATS: this file's counters ------------------------------------------- */

#define DRM_GCONV_STATS_BANNED	(1u << 0)	/* SUBMIT fails: -ECANCELED */

struct drm_gconv_stats {
	__u64 jobs_submitted;	/* out */
	__u64 jobs_completed;	/* out: ended with DRM_GCONV_JOB_OK */
	__u64 jobs_failed;	/* out */
	__u64 bo_count;		/* out: live BOs */
	__u64 bo_bytes;		/* out */
	__u64 faults;		/* out: jobs that hung or faulted (bans) */
	__u32 flags;		/* out: DRM_GCONV_STATS_* */
	__u32 reserved0;	/* must be zero */
	__u64 reserved;		/* must be zero */
};

#define DRM_IOCTL_GCONV_GET_PARAM	DRM_IOWR(DRM_COMMAND_BASE + \
		DRM_GCONV_GET_PARAM, struct drm_gconv_get_param)
#define DRM_IOCTL_GCONV_BO_CREATE	DRM_IOWR(DRM_COMMAND_BASE + \
		DRM_GCONV_BO_CREATE, struct drm_gconv_bo_create)
#define DRM_IOCTL_GCONV_BO_INFO		DRM_IOWR(DRM_COMMAND_BASE + \
		DRM_GCONV_BO_INFO, struct drm_gconv_bo_info)
#define DRM_IOCTL_GCONV_SUBMIT		DRM_IOWR(DRM_COMMAND_BASE + \
		DRM_GCONV_SUBMIT, struct drm_gconv_submit)
#define DRM_IOCTL_GCONV_WAIT		DRM_IOWR(DRM_COMMAND_BASE + \
		DRM_GCONV_WAIT, struct drm_gconv_wait)
#define DRM_IOCTL_GCONV_GET_STATS	DRM_IOWR(DRM_COMMAND_BASE + \
		DRM_GCONV_GET_STATS, struct drm_gconv_stats)

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_DRM_GCONV_ACCEL_H */
