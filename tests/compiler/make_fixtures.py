#!/usr/bin/python3
"""Small ONNX models for the compiler's own tests (tests/unit/test_compiler.c).

    /usr/bin/python3 tests/compiler/make_fixtures.py tests/compiler/fixtures

Each model is a few hundred bytes and committed; re-run this script to
regenerate them.  Uses Debian's python3-onnx and python3-numpy only.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(model, out, name, **kw):
    onnx.checker.check_model(model)
    onnx.save_model(model, os.path.join(out, name), **kw)


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def conv2d(x, w, pad):
    n, c, h, wd = x.shape
    k, _, r, s = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - r + 1, wd + 2 * pad - s + 1
    y = np.zeros((n, k, oh, ow), np.float64)
    for i in range(oh):
        for j in range(ow):
            y[:, :, i, j] = np.einsum("ncrs,kcrs->nk", xp[:, :, i:i + r, j:j + s], w)
    return y


def save_io(out, name, x, y):
    np.save(os.path.join(out, name + ".input.npy"), x.astype(np.float32))
    np.save(os.path.join(out, name + ".output.npy"), y.astype(np.float32))


def main(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)

    # an operator outside the supported set: must be a clear error naming it
    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["r"], name="first"),
         helper.make_node("Erf", ["r"], ["y"], name="the_erf_node")],
        "unsupported", [f32("x", [1, 4])], [f32("y", [1, 4])])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]),
         out, "unsupported_op.onnx")

    # a symbolic batch dimension: must be a clear error
    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="relu")],
        "symbolic", [f32("x", ["N", 4])], [f32("y", ["N", 4])])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]),
         out, "symbolic_dim.onnx")

    # the exporters' shape arithmetic around Reshape, folded to constants:
    # y = Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1]))
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Constant", [], ["zero"],
                         value=numpy_helper.from_array(np.array(0, np.int64))),
        helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
        helper.make_node("Constant", [], ["ax"],
                         value=numpy_helper.from_array(np.array([0], np.int64))),
        helper.make_node("Unsqueeze", ["n", "ax"], ["n1"]),
        helper.make_node("Constant", [], ["m1"],
                         value=numpy_helper.from_array(np.array([-1], np.int64))),
        helper.make_node("Concat", ["n1", "m1"], ["shape"], axis=0),
        helper.make_node("Reshape", ["x", "shape"], ["flat"]),
        helper.make_node("Gemm", ["flat", "w", "b"], ["y"], transB=1),
    ]
    w = numpy_helper.from_array(rng.standard_normal((5, 24)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.standard_normal((5,)).astype(np.float32), "b")
    g = helper.make_graph(nodes, "shape_arith", [f32("x", [2, 2, 3, 4])],
                          [f32("y", [2, 5])], initializer=[w, b])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]),
         out, "shape_arith.onnx")
    x = rng.standard_normal((2, 2, 3, 4)).astype(np.float32)
    wa, ba = numpy_helper.to_array(w), numpy_helper.to_array(b)
    save_io(out, "shape_arith", x, x.reshape(2, -1).astype(np.float64) @ wa.T + ba)

    # weights in an external data file next to the model
    wconv = numpy_helper.from_array(
        rng.standard_normal((8, 3, 3, 3)).astype(np.float32), "wconv")
    g = helper.make_graph(
        [helper.make_node("Conv", ["x", "wconv"], ["c"], pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["y"])],
        "external", [f32("x", [1, 3, 6, 6])], [f32("y", [1, 8, 6, 6])],
        initializer=[wconv])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save_model(m, os.path.join(out, "external.onnx"),
                    save_as_external_data=True, all_tensors_to_one_file=True,
                    location="external.weights", size_threshold=0)
    x = rng.standard_normal((1, 3, 6, 6)).astype(np.float32)
    save_io(out, "external", x,
            np.maximum(conv2d(x, numpy_helper.to_array(wconv), 1), 0))

    # a branchy graph: concat of two convs (written in place) and a max pool
    w1 = numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "w1")
    w2 = numpy_helper.from_array(rng.standard_normal((6, 3, 1, 1)).astype(np.float32), "w2")
    g = helper.make_graph(
        [helper.make_node("Conv", ["x", "w1"], ["a"], pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["a"], ["ar"]),
         helper.make_node("Conv", ["x", "w2"], ["b"]),
         helper.make_node("Concat", ["ar", "b"], ["cat"], axis=1),
         helper.make_node("MaxPool", ["cat"], ["y"], kernel_shape=[2, 2],
                          strides=[2, 2])],
        "concat", [f32("x", [1, 3, 8, 8])], [f32("y", [1, 10, 4, 4])],
        initializer=[w1, w2])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]),
         out, "concat.onnx")
    x = rng.standard_normal((1, 3, 8, 8)).astype(np.float32)
    cat = np.concatenate([np.maximum(conv2d(x, numpy_helper.to_array(w1), 1), 0),
                          conv2d(x, numpy_helper.to_array(w2), 0)], axis=1)
    save_io(out, "concat", x, cat.reshape(1, 10, 4, 2, 4, 2).max(axis=(3, 5)))


def shape_input(out):
    """Reshape whose target shape is a graph input: compiles only when the
    caller specialises that input (gconv_compile_opts.consts)."""
    g = helper.make_graph(
        [helper.make_node("Reshape", ["x", "shape"], ["r"]),
         helper.make_node("Relu", ["r"], ["y"])],
        "shape_input",
        [f32("x", [2, 3, 4]),
         helper.make_tensor_value_info("shape", TensorProto.INT64, [2])],
        [f32("y", [6, 4])])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]),
         out, "shape_input.onnx")


def batch_models(out):
    """Models that gconv_compile_opts.batch must refuse, with a clear error."""
    def model(name, nodes, x, y):
        g = helper.make_graph(nodes, name, [f32("x", x)], [f32("y", y)])
        save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]),
             out, name + ".onnx")

    relu = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    # a first dimension other than 1: not a batch-1 model
    model("batch_first_dim_3", relu, [3, 4], [3, 4])
    # nothing to batch along
    model("batch_scalar", relu, [], [])
    # batches the input but moves the batch out of the output's first axis
    model("batch_transposed",
          [helper.make_node("Transpose", ["x"], ["y"], perm=[1, 0])],
          [1, 4], [4, 1])
    # reshapes to a constant batch-1 shape: shape inference fails batched
    model("batch_reshape_1",
          [helper.make_node("Constant", [], ["shape"],
                            value=numpy_helper.from_array(
                                np.array([1, 2, 2], np.int64))),
           helper.make_node("Reshape", ["x", "shape"], ["y"],
                            name="to_1x2x2")],
          [1, 4], [1, 2, 2])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/compiler/fixtures")
    shape_input(sys.argv[1] if len(sys.argv) > 1 else "tests/compiler/fixtures")
    batch_models(sys.argv[1] if len(sys.argv) > 1 else "tests/compiler/fixtures")
