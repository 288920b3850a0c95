#!/usr/bin/python3
"""Export torchvision CNNs with random weights to ONNX, with reference data.

    /usr/bin/python3 tools/models/make_cnns.py --out DIR [NAME ...]

NAME is any of: alexnet vgg11 resnet18 resnet50 googlenet mobilenet_v2
squeezenet1_0 (default: all seven).  For each it writes into DIR:

    NAME.onnx         the model, batch 1, 3x224x224 input, opset 13
    NAME.input.npy    a fixed random input (float32, seed 0)
    NAME.output.npy   PyTorch's output for it (eval mode, no_grad)

Weights are random (torchvision's default initialisation under a fixed
seed): nothing is downloaded.  Files that already exist are kept, so the
script is cheap to call from make.  Large files: never commit them.

Uses Debian's python3-torch and python3-torchvision only.
"""
import argparse
import os
import sys

import numpy as np
import torch
import torchvision

NAMES = ["alexnet", "vgg11", "resnet18", "resnet50", "googlenet",
         "mobilenet_v2", "squeezenet1_0"]


def build(name):
    ctor = getattr(torchvision.models, name)
    kwargs = {"weights": None}
    if name == "googlenet":
        # no auxiliary classifiers at inference; keep the plain graph
        kwargs.update(aux_logits=False, init_weights=True)
    return ctor(**kwargs)


def export(name, out):
    onnx_path = os.path.join(out, name + ".onnx")
    in_path = os.path.join(out, name + ".input.npy")
    out_path = os.path.join(out, name + ".output.npy")
    if all(os.path.exists(p) for p in (onnx_path, in_path, out_path)):
        print(f"{name}: up to date")
        return
    torch.manual_seed(0)
    model = build(name).eval()
    # BatchNorm's running statistics are 0/1 at initialisation; give them
    # realistic values so folding them is actually exercised
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.rand(m.num_features, generator=g) * 0.2 - 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) * 0.5 + 0.75)
    x = torch.from_numpy(
        np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32))
    with torch.no_grad():
        y = model(x)
    tmp = onnx_path + ".tmp"
    torch.onnx.export(model, x, tmp, opset_version=13, input_names=["input"],
                      output_names=["output"], do_constant_folding=True)
    os.replace(tmp, onnx_path)
    np.save(in_path, x.numpy())
    np.save(out_path, y.numpy().astype(np.float32))
    print(f"{name}: wrote {onnx_path} ({os.path.getsize(onnx_path) >> 20} MiB)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("names", nargs="*", default=NAMES)
    args = ap.parse_args()
    for n in args.names:
        if n not in NAMES:
            sys.exit(f"make_cnns: unknown model '{n}' (known: {' '.join(NAMES)})")
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    for n in args.names:
        export(n, args.out)


if __name__ == "__main__":
    main()
