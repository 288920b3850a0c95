/*
 * gconv-pci: the gconv accelerator as a QEMU PCI device.
 *
 * This file is glue.  The device itself (registers, queues, MMU walk,
 * faults, reset, fault injection, execution on the golden engine) is
 * gconv-core.c; docs/hw-spec.md is the behaviour.  Here: the PCI identity,
 * BAR0 and its access rules, MSI-X, DMA, the worker thread that executes
 * jobs, the fault-injection properties, reset, tracing and migration.
 *
 * Locking: the BQL is the device lock.  MMIO handlers, reset, property
 * accessors and the bottom half run with it held; the worker thread takes
 * it around every core call except gconv_core_run_job(), which runs
 * unlocked (it may execute a chain for a long time and touches only its
 * job; see gconv-core.h).  Using the BQL rather than a private mutex is
 * what keeps the device deadlock-free: take/finish do DMA, and a DMA that
 * lands on MMIO (another device's, or a bus fault path) takes the BQL, so
 * a private mutex held around them would invert the order against a vCPU
 * that holds the BQL and waits for that mutex in our MMIO handler.  Waits
 * (a reset waiting for the running job, the worker idling or modelling
 * time) release the BQL, so neither vCPUs nor the main loop stall on them.
 *
 * Copyright (c) the gconv authors.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/rcu.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qom/object.h"
#include "hw/pci/pci.h"
#include "hw/pci/msix.h"
#include "migration/blocker.h"
#include "trace.h"

#include "gconv-core.h"

/*
 * Version guards: the same file builds against Debian bookworm's QEMU 7.2
 * and QEMU 10.  QEMU_VERSION_MAJOR/MINOR come from config-host.h through
 * qemu/osdep.h.
 */
#define GCONV_QEMU_VERSION (QEMU_VERSION_MAJOR * 100 + QEMU_VERSION_MINOR)

#if GCONV_QEMU_VERSION >= 800
#include "hw/pci/pci_device.h"          /* PCIDevice moved here in 8.0 */
#endif

#if GCONV_QEMU_VERSION >= 900           /* the BQL got its name in 9.0 */
#define gconv_bql_lock()                bql_lock()
#define gconv_bql_unlock()              bql_unlock()
#define gconv_bql_locked()              bql_locked()
#define gconv_cond_wait_bql(c)          qemu_cond_wait_bql(c)
#define gconv_cond_timedwait_bql(c, ms) qemu_cond_timedwait_bql(c, ms)
#else
#define gconv_bql_lock()                qemu_mutex_lock_iothread()
#define gconv_bql_unlock()              qemu_mutex_unlock_iothread()
#define gconv_bql_locked()              qemu_mutex_iothread_locked()
#define gconv_cond_wait_bql(c)          qemu_cond_wait_iothread(c)
#define gconv_cond_timedwait_bql(c, ms) qemu_cond_timedwait_iothread(c, ms)
#endif

#if GCONV_QEMU_VERSION >= 1001          /* class_init data became const */
#define GCONV_CLASS_DATA const void
#else
#define GCONV_CLASS_DATA void
#endif

#define TYPE_GCONV_PCI "gconv-pci"
OBJECT_DECLARE_SIMPLE_TYPE(GconvPCIState, GCONV_PCI)

struct GconvPCIState {
    PCIDevice parent_obj;

    MemoryRegion mmio;                  /* BAR0: the registers */

    /* The device; BQL, except inside gconv_core_run_job() (see above). */
    struct gconv_core core;

    /*
     * True while the device itself is on this thread's stack: a core call
     * or an MSI-X send.  A guest that points a ring, a completion record or
     * an MSI-X address at BAR0 makes the device access its own registers;
     * the MMIO handlers reject such accesses instead of re-entering the
     * core (or, on the worker, waiting for itself).  BQL.
     */
    bool in_device;

    QemuThread worker;
    bool worker_started;                /* BQL */
    bool stopping;                      /* BQL: unrealize stops the worker */
    QemuCond work_cond;                 /* worker sleeps: kick, reset, stop */
    QemuCond idle_cond;                 /* reset waits: a job finished */

    /* Vectors raised without the BQL, sent by irq_bh. */
    uint32_t irq_pending;               /* atomic */
    QEMUBH *irq_bh;

    Error *migration_blocker;
};

/* ---- core callbacks ----------------------------------------------------- */

static int gconv_pci_dma_read(void *opaque, uint64_t pa, void *buf,
                              uint64_t len)
{
    GconvPCIState *s = opaque;

    /*
     * With Bus Master clear the device's bus-master address space is an
     * empty container (PCI core disables bus_master_enable_region), so the
     * access fails with MEMTX_DECODE_ERROR: that is the spec's "DMA
     * without Bus Master fails as a DMA error", no extra check needed.
     */
    return pci_dma_read(PCI_DEVICE(s), pa, buf, len) == MEMTX_OK ? 0 : -1;
}

static int gconv_pci_dma_write(void *opaque, uint64_t pa, const void *buf,
                               uint64_t len)
{
    GconvPCIState *s = opaque;

    return pci_dma_write(PCI_DEVICE(s), pa, buf, len) == MEMTX_OK ? 0 : -1;
}

static void gconv_pci_send_msix(GconvPCIState *s, unsigned int vector)
{
    bool nested = s->in_device;

    s->in_device = true;
    msix_notify(PCI_DEVICE(s), vector);
    s->in_device = nested;
}

static void gconv_pci_irq_bh(void *opaque)
{
    GconvPCIState *s = opaque;
    uint32_t pending = qatomic_xchg(&s->irq_pending, 0);
    unsigned int v;

    for (v = 0; v < GCONV_HW_NUM_VECTORS; v++) {
        if (pending & (1u << v)) {
            gconv_pci_send_msix(s, v);
        }
    }
}

static void gconv_pci_notify(void *opaque, unsigned int vector)
{
    GconvPCIState *s = opaque;

    if (vector >= GCONV_HW_NUM_VECTORS) {
        return;
    }
    trace_gconv_irq(vector);
    /*
     * msix_notify() needs the BQL.  Every core call that raises an
     * interrupt is made with it held; should one ever come from the
     * unlocked run_job, defer the send to the main loop.
     */
    if (gconv_bql_locked()) {
        gconv_pci_send_msix(s, vector);
        return;
    }
    qatomic_or(&s->irq_pending, 1u << vector);
    qemu_bh_schedule(s->irq_bh);
}

static void gconv_pci_kick(void *opaque)
{
    GconvPCIState *s = opaque;

    qemu_cond_broadcast(&s->work_cond);
}

static void gconv_pci_guest_error(void *opaque, const char *msg)
{
    qemu_log_mask(LOG_GUEST_ERROR, "gconv: %s\n", msg);
}

static void gconv_pci_job_event(void *opaque, unsigned int queue,
                                uint64_t seqno, unsigned int phase,
                                unsigned int status)
{
    if (phase == 0) {
        trace_gconv_job_start(queue, seqno);
    } else {
        trace_gconv_job_done(queue, seqno, status);
    }
}

static uint64_t gconv_pci_now_ns(void *opaque)
{
    /* host monotonic time: BUSY_NS and the timing model are host time */
    return qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
}

static const struct gconv_core_ops gconv_pci_core_ops = {
    .dma_read = gconv_pci_dma_read,
    .dma_write = gconv_pci_dma_write,
    .notify = gconv_pci_notify,
    .kick = gconv_pci_kick,
    .guest_error = gconv_pci_guest_error,
    .job_event = gconv_pci_job_event,
    .now_ns = gconv_pci_now_ns,
};

/* ---- reset -------------------------------------------------------------- */

/*
 * A reset found a job running: the core has told it to stop at its next
 * GCONV boundary.  Wait (BQL released) until the worker has finished it,
 * which completes the reset, so that the reset is over when the register
 * write or the PCI reset returns.  BQL held.
 */
static void gconv_pci_wait_reset(GconvPCIState *s)
{
    qemu_cond_broadcast(&s->work_cond);     /* cut a modelled-time wait */
    while (s->core.reset_pending) {
        gconv_cond_wait_bql(&s->idle_cond);
    }
}

static void gconv_pci_reset_core(GconvPCIState *s)
{
    int r;

    s->in_device = true;
    r = gconv_core_reset(&s->core);
    s->in_device = false;
    if (r == GCONV_CORE_RESET_WAIT) {
        gconv_pci_wait_reset(s);
    }
}

/* ---- BAR0 --------------------------------------------------------------- */

/*
 * .valid admits 1- to 8-byte and unaligned accesses and .impl passes them
 * through unsplit, so that this handler sees every access the guest makes
 * and can report the bad ones (docs/hw-spec.md: ignored, read as 0,
 * LOG_GUEST_ERROR) with the device's name instead of the memory core's
 * generic message.
 */
static bool gconv_pci_self_access(GconvPCIState *s, hwaddr addr, bool write)
{
    if (!s->in_device &&
        !(s->worker_started && qemu_thread_is_self(&s->worker))) {
        return false;
    }
    qemu_log_mask(LOG_GUEST_ERROR,
                  "gconv: device %s its own register 0x%" HWADDR_PRIx
                  " (a DMA or MSI-X address points into BAR0): rejected\n",
                  write ? "writes" : "reads", addr);
    return true;
}

static bool gconv_pci_size_ok(hwaddr addr, unsigned size, bool write)
{
    if (size == 4 && !(addr & 3)) {
        return true;
    }
    qemu_log_mask(LOG_GUEST_ERROR,
                  "gconv: %u-byte %s at 0x%" HWADDR_PRIx " ignored: "
                  "registers take aligned 32-bit accesses only\n",
                  size, write ? "write" : "read", addr);
    return false;
}

static MemTxResult gconv_pci_mmio_read(void *opaque, hwaddr addr,
                                       uint64_t *data, unsigned size,
                                       MemTxAttrs attrs)
{
    GconvPCIState *s = opaque;
    uint32_t val;

    *data = 0;
    if (gconv_pci_self_access(s, addr, false)) {
        return MEMTX_ERROR;             /* the device's DMA fails */
    }
    if (!gconv_pci_size_ok(addr, size, false)) {
        return MEMTX_OK;                /* reads 0 */
    }
    s->in_device = true;
    val = gconv_core_read(&s->core, addr);
    s->in_device = false;
    trace_gconv_mmio_read(addr, val);
    *data = val;
    return MEMTX_OK;
}

static MemTxResult gconv_pci_mmio_write(void *opaque, hwaddr addr,
                                        uint64_t data, unsigned size,
                                        MemTxAttrs attrs)
{
    GconvPCIState *s = opaque;
    int r;

    if (gconv_pci_self_access(s, addr, true)) {
        return MEMTX_ERROR;
    }
    if (!gconv_pci_size_ok(addr, size, true)) {
        return MEMTX_OK;                /* ignored */
    }
    trace_gconv_mmio_write(addr, (uint32_t)data);
    s->in_device = true;
    r = gconv_core_write(&s->core, addr, (uint32_t)data);
    s->in_device = false;
    if (r == GCONV_CORE_RESET_WAIT) {
        gconv_pci_wait_reset(s);
    }
    return MEMTX_OK;
}

static const MemoryRegionOps gconv_pci_mmio_ops = {
    .read_with_attrs = gconv_pci_mmio_read,
    .write_with_attrs = gconv_pci_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
};

/* ---- the worker --------------------------------------------------------- */

/*
 * With the timing model on, a job completes no earlier than its start plus
 * the modelled time of its GCONVs.  The wait gives way to a reset and to
 * unrealize.  BQL held; released while waiting.
 */
static void gconv_pci_model_time(GconvPCIState *s,
                                 const struct gconv_core_job *job,
                                 int64_t start)
{
    int64_t deadline = start + gconv_core_modeled_ns(&s->core, job);

    for (;;) {
        int64_t left = deadline - qemu_clock_get_ns(QEMU_CLOCK_REALTIME);

        if (left <= 0 || s->stopping || s->core.reset_pending) {
            return;
        }
        if (left >= SCALE_MS) {
            gconv_cond_timedwait_bql(&s->work_cond,
                                     MIN(left / SCALE_MS, INT_MAX));
        } else {
            /* below the condvar's millisecond resolution: just sleep */
            gconv_bql_unlock();
            g_usleep(DIV_ROUND_UP(left, SCALE_US));
            gconv_bql_lock();
        }
    }
}

/* The executor loop of gconv-core.h, with the BQL as the core's lock. */
static void *gconv_pci_worker(void *opaque)
{
    GconvPCIState *s = opaque;
    struct gconv_core_job job;

    rcu_register_thread();              /* pci_dma_* take the RCU read lock */
    gconv_bql_lock();
    while (!s->stopping) {
        int64_t start;
        bool took;

        s->in_device = true;
        took = gconv_core_take_job(&s->core, &job);
        s->in_device = false;
        if (!took) {
            gconv_cond_wait_bql(&s->work_cond);
            continue;
        }

        start = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
        gconv_bql_unlock();
        gconv_core_run_job(&s->core, &job);
        gconv_bql_lock();

        if (s->core.clock_khz) {
            gconv_pci_model_time(s, &job, start);
        }
        s->in_device = true;
        gconv_core_finish_job(&s->core, &job);
        s->in_device = false;
        qemu_cond_broadcast(&s->idle_cond);
    }
    gconv_bql_unlock();
    rcu_unregister_thread();
    return NULL;
}

/* ---- properties --------------------------------------------------------- */

/*
 * Fault injection and timing, settable on the command line and at run time
 * with QMP qom-set (docs/hw-spec.md).  qdev properties (DEFINE_PROP_*)
 * refuse writes once the device is realized, so these are plain QOM class
 * properties over fields of the core; their accessors run under the BQL,
 * like every core call that reads the fields.
 */
static const struct gconv_pci_prop {
    const char *name;
    size_t offset;                      /* of a uint32_t in GconvPCIState */
    const char *description;
} gconv_pci_props[] = {
    { "inject-hang", offsetof(GconvPCIState, core.inject_hang),
      "number of upcoming RUN_CHAIN jobs that never complete (until reset)" },
    { "inject-mmu-fault", offsetof(GconvPCIState, core.inject_mmu_fault),
      "number of upcoming RUN_CHAIN jobs that fail with MMU_FAULT" },
    { "inject-dma-error", offsetof(GconvPCIState, core.inject_dma_error),
      "number of upcoming RUN_CHAIN jobs that fail with DMA_ERROR" },
    { "inject-bad-completion",
      offsetof(GconvPCIState, core.inject_bad_completion),
      "number of upcoming RUN_CHAIN jobs whose completion record carries "
      "a corrupted seqno" },
    { "inject-context", offsetof(GconvPCIState, core.inject_context),
      "only jobs of this hardware context take the injections above; "
      "4294967295 (the default): jobs of any context" },
    { "clock-khz", offsetof(GconvPCIState, core.clock_khz),
      "clock of the timing model in kHz; 0 turns the timing model off" },
    { "golden-engine", offsetof(GconvPCIState, core.golden_engine),
      "1: compute on the golden engine (double precision, slow) instead "
      "of the fast one, for results equal bit for bit to a CPU reference" },
};

static void gconv_pci_prop_get(Object *obj, Visitor *v, const char *name,
                               void *opaque, Error **errp)
{
    const struct gconv_pci_prop *p = opaque;
    uint32_t value = *(uint32_t *)((char *)obj + p->offset);

    visit_type_uint32(v, name, &value, errp);
}

static void gconv_pci_prop_set(Object *obj, Visitor *v, const char *name,
                               void *opaque, Error **errp)
{
    const struct gconv_pci_prop *p = opaque;
    uint32_t value;

    if (!visit_type_uint32(v, name, &value, errp)) {
        return;
    }
    *(uint32_t *)((char *)obj + p->offset) = value;
}

/* ---- life cycle --------------------------------------------------------- */

static void gconv_pci_instance_init(Object *obj)
{
    GconvPCIState *s = GCONV_PCI(obj);

    /* here, not in realize: properties set before realize live in core */
    gconv_core_init(&s->core, &gconv_pci_core_ops, s);
}

static void gconv_pci_realize(PCIDevice *pdev, Error **errp)
{
    GconvPCIState *s = GCONV_PCI(pdev);
    unsigned int v;

    memory_region_init_io(&s->mmio, OBJECT(s), &gconv_pci_mmio_ops, s,
                          "gconv-regs", GCONV_BAR0_SIZE);
    pci_register_bar(pdev, GCONV_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->mmio);

    if (msix_init_exclusive_bar(pdev, GCONV_HW_NUM_VECTORS, GCONV_BAR_MSIX,
                                errp)) {
        return;
    }
    /* one vector per queue plus the error vector, all in use for good */
    for (v = 0; v < GCONV_HW_NUM_VECTORS; v++) {
        msix_vector_use(pdev, v);
    }

    /*
     * No VMState: a job may be executing on the worker thread, with its
     * operands in host buffers and part of its outputs written; saving
     * that would need the worker quiesced at a GCONV boundary and the job
     * re-created on the destination.  Until then, block migration.
     */
    error_setg(&s->migration_blocker, "%s does not support migration: a "
               "job may be executing on its worker thread", TYPE_GCONV_PCI);
#if GCONV_QEMU_VERSION >= 802           /* takes Error ** since 8.2 */
    if (migrate_add_blocker(&s->migration_blocker, errp) < 0) {
        msix_unuse_all_vectors(pdev);
        msix_uninit_exclusive_bar(pdev);
        return;
    }
#else
    if (migrate_add_blocker(s->migration_blocker, errp) < 0) {
        error_free(s->migration_blocker);
        s->migration_blocker = NULL;
        msix_unuse_all_vectors(pdev);
        msix_uninit_exclusive_bar(pdev);
        return;
    }
#endif

    s->irq_bh = qemu_bh_new(gconv_pci_irq_bh, s);
    qemu_cond_init(&s->work_cond);
    qemu_cond_init(&s->idle_cond);
    s->stopping = false;
    qemu_thread_create(&s->worker, "gconv-worker", gconv_pci_worker, s,
                       QEMU_THREAD_JOINABLE);
    s->worker_started = true;
}

static void gconv_pci_exit(PCIDevice *pdev)
{
    GconvPCIState *s = GCONV_PCI(pdev);

    /* abandon a running job at its next GCONV boundary, then stop */
    s->stopping = true;
    s->in_device = true;
    gconv_core_reset(&s->core);
    s->in_device = false;
    qemu_cond_broadcast(&s->work_cond);
    /* the worker needs the BQL to get out of its loop */
    gconv_bql_unlock();
    qemu_thread_join(&s->worker);
    gconv_bql_lock();
    s->worker_started = false;

    qemu_bh_delete(s->irq_bh);
    qemu_cond_destroy(&s->work_cond);
    qemu_cond_destroy(&s->idle_cond);
#if GCONV_QEMU_VERSION >= 802
    migrate_del_blocker(&s->migration_blocker);
#else
    migrate_del_blocker(s->migration_blocker);
    error_free(s->migration_blocker);
    s->migration_blocker = NULL;
#endif
    msix_unuse_all_vectors(pdev);
    msix_uninit_exclusive_bar(pdev);
}

/* PCI reset (system reset, bus reset): power-on state, after any job. */
#if GCONV_QEMU_VERSION >= 900           /* hold phases take a type since 9.0 */
static void gconv_pci_reset_hold(Object *obj, ResetType type)
{
    gconv_pci_reset_core(GCONV_PCI(obj));
}
#else
static void gconv_pci_reset(DeviceState *dev)
{
    gconv_pci_reset_core(GCONV_PCI(dev));
}
#endif

static void gconv_pci_class_init(ObjectClass *klass, GCONV_CLASS_DATA *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);
    size_t i;

    k->realize = gconv_pci_realize;
    k->exit = gconv_pci_exit;
    k->vendor_id = GCONV_PCI_VENDOR_ID;
    k->device_id = GCONV_PCI_DEVICE_ID;
    k->revision = GCONV_PCI_REVISION;
    k->class_id = GCONV_PCI_CLASS;
    /* subsystem: QEMU's default 0x1af4:0x1100, as docs/hw-spec.md says */

    dc->desc = "gconv GCONV-chain CNN accelerator";
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
#if GCONV_QEMU_VERSION >= 900
    RESETTABLE_CLASS(klass)->phases.hold = gconv_pci_reset_hold;
#else
    dc->reset = gconv_pci_reset;
#endif

    for (i = 0; i < ARRAY_SIZE(gconv_pci_props); i++) {
        const struct gconv_pci_prop *p = &gconv_pci_props[i];

        object_class_property_add(klass, p->name, "uint32",
                                  gconv_pci_prop_get, gconv_pci_prop_set,
                                  NULL, (void *)p);
        object_class_property_set_description(klass, p->name,
                                              p->description);
    }
}

static const TypeInfo gconv_pci_info = {
    .name = TYPE_GCONV_PCI,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(GconvPCIState),
    .instance_init = gconv_pci_instance_init,
    .class_init = gconv_pci_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void gconv_pci_register_types(void)
{
    type_register_static(&gconv_pci_info);
}

type_init(gconv_pci_register_types)
