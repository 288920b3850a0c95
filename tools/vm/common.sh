# shellcheck shell=bash disable=SC2034
# Shared by tools/vm/mkinitramfs, run and selftest. Source it; it defines
# paths and the constants the guest's /init and the host agree on.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$VM_DIR/../.." && pwd)
VM_BUILD=$ROOT/build/vm

# What the guest's /init writes to isa-debug-exit (port 0xf4) when the test
# script returned 0, and when it did not. QEMU exits with (code << 1) | 1,
# so a pass is QEMU status 99 and an orderly failure 101. Neither can be
# confused with QEMU's own 0 (power-off, or a panic under -no-reboot) or 1
# (startup error), nor with timeout(1)'s 124/137.
VM_CODE_PASS=49 # 0x31
VM_CODE_FAIL=50 # 0x32
VM_QEMU_PASS=$(((VM_CODE_PASS << 1) | 1))
VM_QEMU_FAIL=$(((VM_CODE_FAIL << 1) | 1))

# Lines the guest's /init prints on the serial console.
VM_MARK_START='GCONV-VM-START'   # modules loaded, the test begins
VM_MARK_RESULT='GCONV-VM-RESULT:' # followed by the test's exit status
VM_MARK_ERROR='GCONV-VM-ERROR:'   # followed by why /init itself failed

vm_die() {
	echo "${prog:-vm}: $*" >&2
	exit 1
}

# The unpacked kernel: $GCONV_VM_KERNEL_DIR, else tools/vm/kernel's cache.
vm_kernel_dir() {
	if [ -n "${GCONV_VM_KERNEL_DIR:-}" ]; then
		echo "$GCONV_VM_KERNEL_DIR"
	else
		"$VM_DIR/kernel"
	fi
}
