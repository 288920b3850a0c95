#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Export a small ResNet-style CNN to ONNX, with PyTorch's answer.

    /usr/bin/python3 tests/vm/make_small_resnet.py --out DIR

The fixture of tests/vm/check-gconvd: big enough to be a real CNN (a 3x3
stem, a max pool, four stages of one basic block each, 24 to 192
channels, strided 3x3 and 1x1 downsampling, residual Adds, BatchNorms,
global average pooling, a 10-way Linear; about 80 MFLOP), small enough
that four clients' inferences take seconds on the device model under TCG
(ResNet-18 takes ~17 s each).  It writes into DIR:

    small_resnet.onnx         batch 1, input "input" [1,3,64,64], opset 13
    small_resnet.input.npy    a fixed random input (float32, seed 0)
    small_resnet.output.npy   PyTorch's output for it [1,10] (eval, no_grad)

Weights are random under fixed seeds; BatchNorm running statistics are
given non-trivial values so that folding them is exercised.  Files that
exist are kept (the caller keys DIR by this script's hash).

Uses Debian's python3-torch and python3-numpy only.
"""
import argparse
import os

import numpy as np
import torch
from torch import nn

NAME = "small_resnet"


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False),
                nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (x if self.down is None else self.down(x)))


class SmallResNet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 24, 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(24), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        self.stages = nn.Sequential(Block(24, 24, 1), Block(24, 48, 2),
                                    Block(48, 96, 2), Block(96, 192, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(192, classes)

    def forward(self, x):
        x = self.pool(self.stages(self.stem(x)))
        return self.fc(torch.flatten(x, 1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, NAME + ".onnx")
    in_path = os.path.join(args.out, NAME + ".input.npy")
    out_path = os.path.join(args.out, NAME + ".output.npy")
    if all(os.path.exists(p) for p in (onnx_path, in_path, out_path)):
        print(f"{NAME}: up to date")
        return
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = SmallResNet().eval()
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.weight.data.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
            m.bias.data.copy_(torch.rand(n, generator=g) * 0.2 - 0.1)
            m.running_mean.copy_(torch.rand(n, generator=g) * 0.2 - 0.1)
            m.running_var.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
    x = torch.from_numpy(np.random.default_rng(0).standard_normal(
        (1, 3, 64, 64)).astype(np.float32))
    with torch.no_grad():
        y = model(x)
    tmp = onnx_path + ".tmp"
    torch.onnx.export(model, x, tmp, opset_version=13, input_names=["input"],
                      output_names=["output"], do_constant_folding=True)
    np.save(in_path, x.numpy())
    np.save(out_path, y.numpy().astype(np.float32))
    os.replace(tmp, onnx_path)
    print(f"{NAME}: wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes)")


if __name__ == "__main__":
    main()
