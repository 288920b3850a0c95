# shellcheck shell=bash
# The four tenants of gconvd's tenant tests: sourced, from the top of the
# tree, by tests/vm/check-gconvd (drm backend, in a VM) and
# tests/daemon/check-gconvd-tenants (cpu backend, on the host), which run
# tests/vm/guest_gconvd_client.c once per tenant against the same policy
# and the same model files.

# uid:tenant of each client.  alpha may load digits and small_resnet only
# (its client checks that another name is refused); uid 1005 is in no
# tenant; bulk (uid 1004) has one request in flight, which the kill check
# relies on.
# shellcheck disable=SC2034 # used by the scripts that source this file
GCONVD_TENANTS="1001:interactive 1002:alpha 1003:beta 1004:bulk"

# gconvd_tenants_policy FILE: write gconvd's policy for GCONVD_TENANTS.
gconvd_tenants_policy() {
	cat >"$1" <<'EOF'
[gconvd]
unknown-users = refuse

[tenant interactive]
users = 1001
priority = realtime
max-in-flight = 2

[tenant alpha]
users = 1002
weight = 4
models = digits, small_resnet
max-queued = 8

[tenant beta]
users = 1003
weight = 1
memory-quota = 64M

[tenant bulk]
users = 1004
priority = batch
max-in-flight = 1
EOF
}

# gconvd_tenants_fixture: export the small ResNet with PyTorch's answer
# (tests/vm/make_small_resnet.py, Debian's python3-torch) once, into
# ${GCONV_CACHE:-~/.cache/gconv}/small-resnet-<the script's hash>, and set
# GCONVD_DATA to the files the clients read from their --data directory
# (each under its own name there): the digits CNN, its samples and
# PyTorch's answers, and the ResNet with its input and PyTorch's output.
# Fails (status 1, with a message on stderr) if a file cannot be made.
gconvd_tenants_fixture() {
	local key cache f
	key=$(sha256sum tests/vm/make_small_resnet.py | cut -c1-16)
	cache=${GCONV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gconv}/small-resnet-$key
	/usr/bin/python3 tests/vm/make_small_resnet.py --out "$cache" >&2 || {
		echo "tests/vm/make_small_resnet.py failed (python3-torch?)" >&2
		return 1
	}
	GCONVD_DATA=(
		tools/models/digits/digits.onnx
		tools/models/digits/samples.npy
		tools/models/digits/torch_pred.npy
		tools/models/digits/torch_probs.npy
		"$cache/small_resnet.onnx"
		"$cache/small_resnet.input.npy"
		"$cache/small_resnet.output.npy"
	)
	for f in "${GCONVD_DATA[@]}"; do
		[ -f "$f" ] || { echo "no $f" >&2; return 1; }
	done
}
