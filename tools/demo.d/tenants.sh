# shellcheck shell=bash
# The three tenants of `make demo` (tools/demo, in a VM on gconv.ko) and
# `make demo-host` (tools/demo-host, on the cpu backend): sourced from the
# top of the tree.  Each tenant is a gconv-tenant process under its own
# uid: web (realtime) classifies the digits samples, research runs a small
# ResNet against PyTorch's output, nightly (batch class) classifies the
# digits samples in bulk, batched.

# demo_policy FILE: gconvd's policy for the three tenants
demo_policy() {
	cat >"$1" <<'POLICY'
[gconvd]
unknown-users = refuse
segment = 4

[tenant web]
users = 1001
priority = realtime
weight = 4
models = digits

[tenant research]
users = 1002
weight = 2
models = small_resnet

[tenant nightly]
users = 1003
priority = batch
max-in-flight = 4

[model digits]
max-batch = 4
batch-delay = 2ms
POLICY
}

# demo_tenants TENANT_BIN SOCKET DATA_DIR: the three command lines, one
# per line, "label uid args..."
demo_tenants() {
	local bin=$1 sock=$2 d=$3
	echo "web 1001 $bin --socket $sock --uid 1001 --label web --instances 2 --rounds 3 $d/digits.onnx --samples $d/samples.npy --labels $d/labels.npy --expect-pred $d/torch_pred.npy"
	echo "research 1002 $bin --socket $sock --uid 1002 --label research --instances 1 --rounds 2 $d/small_resnet.onnx --samples $d/small_resnet.input.npy --expect-out $d/small_resnet.output.npy --tol 1e-4"
	echo "nightly 1003 $bin --socket $sock --uid 1003 --label nightly --instances 4 --rounds 5 $d/digits.onnx --samples $d/samples.npy --labels $d/labels.npy --expect-pred $d/torch_pred.npy"
}
