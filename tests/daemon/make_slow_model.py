#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write a deliberately slow ONNX model for gconvd's tests.

A chain of LAYERS 3x3 convolutions (CHANNELS in and out, SIZE x SIZE,
padding 1), each followed by Relu, on input "x" float32
[1, CHANNELS, SIZE, SIZE]; output "y" of the same shape.  The weights are
fixed pseudo-random numbers scaled so that activations stay near 1.  Its
only purpose is to keep a request running (or queued) long enough for
gconvd's queueing, cancel, shutdown and reconnection tests.

    /usr/bin/python3 tests/daemon/make_slow_model.py OUT.onnx \
        [--channels 32] [--size 48] [--layers 6]
"""
import argparse
import random

import onnx
from onnx import TensorProto, helper


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--channels", type=int, default=32)
    ap.add_argument("--size", type=int, default=48)
    ap.add_argument("--layers", type=int, default=6)
    a = ap.parse_args()
    c, s = a.channels, a.size
    rng = random.Random(20240601)
    scale = 1.0 / (9 * c) ** 0.5
    nodes, inits = [], []
    prev = "x"
    for i in range(a.layers):
        w = [rng.uniform(-scale, scale) * 1.7 for _ in range(c * c * 9)]
        b = [rng.uniform(-0.01, 0.01) for _ in range(c)]
        inits.append(helper.make_tensor(f"w{i}", TensorProto.FLOAT,
                                        [c, c, 3, 3], w))
        inits.append(helper.make_tensor(f"b{i}", TensorProto.FLOAT, [c], b))
        conv = f"c{i}"
        out = "y" if i == a.layers - 1 else f"r{i}"
        nodes.append(helper.make_node("Conv", [prev, f"w{i}", f"b{i}"],
                                      [conv], kernel_shape=[3, 3],
                                      pads=[1, 1, 1, 1]))
        nodes.append(helper.make_node("Relu", [conv], [out]))
        prev = out
    graph = helper.make_graph(
        nodes, "slow",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, s, s])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, c, s, s])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="gconvd-test")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, a.out)


if __name__ == "__main__":
    main()
