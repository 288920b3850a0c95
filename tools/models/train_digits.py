#!/usr/bin/python3
"""Train a small CNN on scikit-learn's 8x8 digits and export it to ONNX.

This makes the demo model for gconv's ONNX compiler. It is deterministic
(fixed seeds, deterministic algorithms, one thread) and needs no network:
sklearn.datasets.load_digits reads data shipped inside the sklearn package.

Use Debian's Python (python3-torch, python3-sklearn, python3-onnx, python3-numpy):

    /usr/bin/python3 tools/models/train_digits.py [--out DIR]

Files written to DIR (default tools/models/digits/):
    digits.onnx       the model, opset 13, input "input" [1,1,8,8] float32,
                      output "probs" [1,10] float32 (softmax probabilities)
    samples.npy       the first 100 held-out images, float32 [100,1,8,8], in [0,1]
    labels.npy        their true labels, int64 [100]
    torch_probs.npy   PyTorch's probabilities for them, float32 [100,10]
                      (one image at a time, batch 1, eval mode, no_grad)
    torch_pred.npy    argmax of torch_probs, int64 [100]
    README.md         what these files are and how they were made
"""

import argparse
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 20240601
TEST_FRACTION = 0.25
TARGET_ACC = 0.95
MAX_EPOCHS = 200
MIN_EPOCHS = 15
BATCH = 32
LR = 1e-3
N_SAMPLES = 100
OPSET = 13


def set_determinism():
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set (only allowed once per process)
    try:
        torch.use_deterministic_algorithms(True)
    except Exception as e:  # pragma: no cover - older torch
        print("warning: deterministic algorithms unavailable:", e, file=sys.stderr)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


class DigitsNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),   # 16x8x8
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(2),                  # 16x4x4
            nn.Conv2d(16, 32, 3, padding=1),  # 32x4x4
            nn.ReLU(),
            # count_include_pad=False: same result with no padding, but keeps
            # torch 1.13's exporter from adding an all-zero Pad before AveragePool
            nn.AvgPool2d(2, count_include_pad=False),  # 32x2x2
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),                     # 128
            nn.Linear(32 * 2 * 2, 64),
            nn.ReLU(),
            nn.Dropout(0.25),
            nn.Linear(64, 10),
            nn.Softmax(dim=1),                # model outputs probabilities
        )

    def forward(self, x):
        return self.classifier(self.features(x))

    def logits(self, x):
        # everything but the final Softmax (for the training loss)
        h = self.features(x)
        for m in list(self.classifier)[:-1]:
            h = m(h)
        return h


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        pred = model.logits(x).argmax(dim=1)
    return (pred == y).float().mean().item()


def onnx_numpy_run(m, x):
    """Tiny NumPy interpreter for the ops this model uses (no onnxruntime in
    Debian): an independent check that digits.onnx reproduces PyTorch."""
    from onnx import helper, numpy_helper
    env = {t.name: numpy_helper.to_array(t).astype(np.float64)
           for t in m.graph.initializer}
    env[m.graph.input[0].name] = x.astype(np.float64)

    def windows(a, kh, kw, sh, sw, pads, fill):
        t, l, b, r = pads[0], pads[1], pads[2], pads[3]
        a = np.pad(a, ((0, 0), (0, 0), (t, b), (l, r)), constant_values=fill)
        n, c, h, w = a.shape
        p, q = (h - kh) // sh + 1, (w - kw) // sw + 1
        out = np.empty((n, c, p, q, kh, kw))
        for i in range(kh):
            for j in range(kw):
                out[..., i, j] = a[:, :, i:i + sh * p:sh, j:j + sw * q:sw]
        return out

    for node in m.graph.node:
        at = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        ins = [env[i] for i in node.input if i]
        op = node.op_type
        if op == "Conv":
            xx, w = ins[0], ins[1]
            assert at.get("group", 1) == 1 and at.get("dilations", [1, 1]) == [1, 1]
            kh, kw = w.shape[2:]
            win = windows(xx, kh, kw, *at["strides"], at["pads"], 0.0)
            y = np.einsum("ncpqij,kcij->nkpq", win, w)
            if len(ins) > 2:
                y = y + ins[2][None, :, None, None]
        elif op == "BatchNormalization":
            xx, g, b, mean, var = ins
            sh = (1, -1, 1, 1)
            y = (xx - mean.reshape(sh)) / np.sqrt(var.reshape(sh) + at["epsilon"])
            y = y * g.reshape(sh) + b.reshape(sh)
        elif op == "Relu":
            y = np.maximum(ins[0], 0.0)
        elif op in ("MaxPool", "AveragePool"):
            assert at.get("ceil_mode", 0) == 0
            kh, kw = at["kernel_shape"]
            pads = at.get("pads", [0, 0, 0, 0])
            assert op == "MaxPool" or not any(pads)
            win = windows(ins[0], kh, kw, *at["strides"], pads,
                          -np.inf if op == "MaxPool" else 0.0)
            y = win.max(axis=(4, 5)) if op == "MaxPool" else win.mean(axis=(4, 5))
        elif op == "Flatten":
            ax = at.get("axis", 1)
            y = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif op == "Gemm":
            a, b = ins[0], ins[1]
            if at.get("transA", 0):
                a = a.T
            if at.get("transB", 0):
                b = b.T
            y = at.get("alpha", 1.0) * (a @ b)
            if len(ins) > 2:
                y = y + at.get("beta", 1.0) * ins[2]
        elif op == "Softmax":
            ax = at.get("axis", -1)
            e = np.exp(ins[0] - ins[0].max(axis=ax, keepdims=True))
            y = e / e.sum(axis=ax, keepdims=True)
        else:
            raise NotImplementedError(f"reference check: op {op}")
        env[node.output[0]] = y
    return env[m.graph.output[0].name]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(here, "digits"),
                    help="output directory (default: tools/models/digits/)")
    args = ap.parse_args()
    out = args.out
    os.makedirs(out, exist_ok=True)

    t0 = time.time()
    set_determinism()

    digits = load_digits()
    images = (digits.images.astype(np.float32) / 16.0).reshape(-1, 1, 8, 8)
    targets = digits.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(
        images, targets, test_size=TEST_FRACTION, stratify=targets,
        random_state=SEED)
    print(f"data: {len(x_tr)} train, {len(x_te)} held-out (stratified)")

    xt, yt = torch.from_numpy(x_tr), torch.from_numpy(y_tr)
    xe, ye = torch.from_numpy(x_te), torch.from_numpy(y_te)

    model = DigitsNet()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(SEED)

    acc = 0.0
    epochs = 0
    t_train = time.time()
    for epoch in range(1, MAX_EPOCHS + 1):
        model.train()
        perm = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad()
            loss = loss_fn(model.logits(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        acc = evaluate(model, xe, ye)
        epochs = epoch
        print(f"epoch {epoch:3d}  loss {loss.item():.4f}  test acc {acc*100:.2f}%")
        # at least MIN_EPOCHS for some margin over the target
        if acc >= TARGET_ACC and epoch >= MIN_EPOCHS:
            break
    t_train = time.time() - t_train
    if acc < TARGET_ACC:
        sys.exit(f"error: test accuracy {acc*100:.2f}% < {TARGET_ACC*100:.0f}%")
    print(f"trained {epochs} epochs in {t_train:.1f} s; "
          f"held-out accuracy {acc*100:.2f}% ({len(x_te)} images)")

    model.eval()

    # reference outputs, one image at a time with batch 1
    samples = np.ascontiguousarray(x_te[:N_SAMPLES], dtype=np.float32)
    labels = np.ascontiguousarray(y_te[:N_SAMPLES], dtype=np.int64)
    probs = np.zeros((N_SAMPLES, 10), dtype=np.float32)
    with torch.no_grad():
        for i in range(N_SAMPLES):
            probs[i] = model(torch.from_numpy(samples[i:i + 1]))[0].numpy()
    pred = probs.argmax(axis=1).astype(np.int64)
    sample_acc = float((pred == labels).mean())

    onnx_path = os.path.join(out, "digits.onnx")
    import warnings
    with torch.no_grad(), warnings.catch_warnings():
        # torch 1.13 warns about constant folding for any PRESERVE export; it
        # only matters when the model is in training mode, and ours is in eval
        # (the NumPy check below confirms the exported parameters).
        warnings.filterwarnings("ignore", message=".*constant folding.*")
        torch.onnx.export(
            model, torch.zeros(1, 1, 8, 8), onnx_path,
            export_params=True, opset_version=OPSET,
            do_constant_folding=True,
            input_names=["input"], output_names=["probs"],
            # PRESERVE with the model in eval mode exports inference-mode
            # BatchNormalization as its own node (EVAL would fold it into the
            # Conv); Dropout is dropped either way.
            training=torch.onnx.TrainingMode.PRESERVE)

    np.save(os.path.join(out, "samples.npy"), samples)
    np.save(os.path.join(out, "labels.npy"), labels)
    np.save(os.path.join(out, "torch_probs.npy"), probs)
    np.save(os.path.join(out, "torch_pred.npy"), pred)

    import onnx
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m, full_check=True)
    ops = [n.op_type for n in m.graph.node]
    opsets = {o.domain or "ai.onnx": o.version for o in m.opset_import}
    print("onnx check: ok")
    print("opset:", opsets)
    print("op types:", " -> ".join(ops))
    ref = np.concatenate([onnx_numpy_run(m, samples[i:i + 1])
                          for i in range(N_SAMPLES)]).astype(np.float32)
    max_diff = float(np.abs(ref - probs).max())
    same_pred = bool((ref.argmax(axis=1) == pred).all())
    print(f"numpy run of digits.onnx vs torch_probs: max |diff| {max_diff:.2e}, "
          f"argmax {'identical' if same_pred else 'DIFFERENT'}")
    if max_diff > 1e-4 or not same_pred:
        sys.exit("error: exported model does not reproduce PyTorch's outputs")

    layers = str(model)
    cmd = "/usr/bin/python3 tools/models/train_digits.py"
    if os.path.abspath(out) != os.path.abspath(os.path.join(here, "digits")):
        cmd += f" --out {out}"
    readme = f"""# digits: demo model for the gconv ONNX compiler

A small CNN trained on scikit-learn's 8x8 handwritten digits
(`sklearn.datasets.load_digits`, 1797 images, 10 classes), exported to ONNX.

## Files

| file | contents |
|---|---|
| `digits.onnx` | the model: ONNX opset {OPSET}, input `input` float32 [1,1,8,8], output `probs` float32 [1,10] (softmax probabilities) |
| `samples.npy` | the first {N_SAMPLES} images of the held-out split, float32 [{N_SAMPLES},1,8,8], pixel values /16, so in [0,1] |
| `labels.npy` | their true labels, int64 [{N_SAMPLES}] |
| `torch_probs.npy` | PyTorch's output probabilities for them, float32 [{N_SAMPLES},10], computed one image at a time (batch 1, eval mode, no_grad) |
| `torch_pred.npy` | argmax of `torch_probs`, int64 [{N_SAMPLES}] |

## How they were made

    {cmd}

with Debian's python3-torch {torch.__version__}, python3-sklearn, python3-onnx
and python3-numpy (use `/usr/bin/python3`). No network is needed. Training is
deterministic: fixed seed {SEED}, `torch.use_deterministic_algorithms(True)`,
one thread. Stratified split: {len(x_tr)} training images, {len(x_te)} held out
({TEST_FRACTION:.0%}). Adam, lr {LR}, batch {BATCH}, cross-entropy on the logits,
until held-out accuracy >= {TARGET_ACC:.0%} (at least {MIN_EPOCHS} epochs).

Result: {epochs} epochs, held-out accuracy **{acc*100:.2f}%** over {len(x_te)}
images; {int((pred == labels).sum())}/{N_SAMPLES} of the saved samples are
classified correctly by PyTorch.

Export: `torch.onnx.export` with the model in eval mode, opset {OPSET},
`do_constant_folding=True`, `training=TrainingMode.PRESERVE` (so BatchNorm2d is
kept as an inference-mode BatchNormalization node using the running statistics
instead of being folded into the Conv; Dropout is an identity in eval mode and is
not exported). The graph ({len(ops)} nodes, {len(m.graph.initializer)} initializers):

    {" -> ".join(ops)}

## Model (PyTorch)

```
{layers}
```

The script checks the file with `onnx.checker.check_model(full_check=True)` and
runs it through a small NumPy interpreter of these ops (float64): its
probabilities differ from `torch_probs.npy` by at most {max_diff:.1e} and its
argmax matches `torch_pred.npy` on all {N_SAMPLES} samples. A conforming float32
runtime should match `torch_probs.npy` to about 1e-5 and `torch_pred.npy` exactly.
"""
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(readme)

    print(f"sample accuracy (first {N_SAMPLES} held-out): {sample_acc*100:.1f}%")
    print("files:")
    for name in ["digits.onnx", "samples.npy", "labels.npy", "torch_probs.npy",
                 "torch_pred.npy", "README.md"]:
        p = os.path.join(out, name)
        print(f"  {p}  {os.path.getsize(p)} bytes")
    print(f"total time {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
