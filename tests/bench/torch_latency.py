#!/usr/bin/python3
"""PyTorch's batch-1 latency of the seven CNNs, the baseline of make bench.

    /usr/bin/python3 tests/bench/torch_latency.py --threads N --runs R NAME...

For each NAME (alexnet vgg11 resnet18 resnet50 googlenet mobilenet_v2
squeezenet1_0) builds the torchvision model as tools/models/make_cnns.py
does (random weights: latency does not depend on them), in eval mode,
with torch.set_num_threads(N), and times a 1x3x224x224 forward pass under
torch.no_grad() after three warm-up passes: the minimum of R runs.
Prints one line per model: "NAME SECONDS".  Debian's python3-torch and
python3-torchvision only (PyTorch's CPU convolutions are oneDNN's).
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "tools", "models"))
import make_cnns  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("names", nargs="+")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x = torch.randn(1, 3, 224, 224)
    for name in a.names:
        m = make_cnns.build(name).eval()
        with torch.no_grad():
            for _ in range(3):
                m(x)
            best = float("inf")
            for _ in range(a.runs):
                t0 = time.perf_counter()
                m(x)
                best = min(best, time.perf_counter() - t0)
        print(f"{name} {best:.6f}", flush=True)


if __name__ == "__main__":
    main()
