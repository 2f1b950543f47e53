"""Train the learned de-mesher and export ``facesaas/face/models/demesh.onnx`` (issue 17 item 5).

A tiny residual U-Net (``DemeshNet`` in :func:`build_net`, 37 k weights) learns to take a mesh-watermarked ID
photo (BGR, any size divisible by 4) to the clean photo under it. Training data are made here:
CelebA photos of the *training* identities (even identity number,
``tests.watermark.styles.training_identity``) framed as ID photos (178 × 220 and 102 × 126,
``tests.imagetypes.generator.id_portrait`` with a little framing jitter) and meshed with the
*training* families only (``tests.watermark.styles.TRAINING``; the hold-out families and the
evaluation identities are never seen), JPEG 30–95, plus 8 % unmeshed photos (JPEG only) that
teach the network to leave clean faces alone. Loss: mean absolute error against the clean photo
before JPEG, on 12 random 64 × 64 crops a step (flipped half the time), Adam with a one-cycle
schedule (cosine annealing), 1,200 steps.

``--size small`` trains the same network for ``models/demesh_small.onnx`` on 102 × 126 photos only
(training families and identities alike; more portraits, a larger pool, 6,000 steps: see
:data:`SMALL_STEPS`); the service uses it on small meshed photos (docs/accuracy.md).

Reproducible: everything is seeded, PyTorch runs deterministic algorithms on 2 threads, OpenCV
on 1, and the ONNX file is written by hand from the weights (``export_onnx``: fixed node and
initializer order, no producer version), so two runs on one machine give the same bytes.
``--check`` trains, then compares the SHA-256 with the committed file and the pin in
``facesaas.face.demesher`` (exit 1 if either differs, printing the largest output difference on
a few photos so a cross-machine float difference can be told from a real change). Cost: 13–17
minutes on the 2 shared cores here (``make demesh-model``); needs the ``train`` extra (PyTorch, CPU) and
``../shared/data``; never run by the service.

    python scripts/train_demesher.py [--size both|small] [--check] [--steps N] [--data ../shared/data] [--out PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

MODEL = ROOT / "src" / "facesaas" / "face" / "models" / "demesh.onnx"
SMALL_MODEL = ROOT / "src" / "facesaas" / "face" / "models" / "demesh_small.onnx"
SMALL_SIZE = (102, 126)
"""``--size small``: the one size class (width, height) the small-photo de-mesher is trained on."""
SEED = 2026
CROP = 64
BATCH = 12
CLEAN_SHARE = 0.08
PHOTOS_PER_IDENTITY = 3
POOL = 1500
WIDTHS = (12, 24, 32)
STEPS = 1200
SMALL_STEPS = 6000
SMALL_POOL = 4000
SMALL_PHOTOS_PER_IDENTITY = 12
"""The small-photo de-mesher (``--size small``) sees every photo of a training identity (up to
12: 1,174 portraits against 340), a pool of 4,000 meshed photos and 6,000 steps: a first try
with the medium settings (340 portraits, 1,500 photos, 1,000 steps) lost 3–4 points against
selfies on the old finance and police renderings (docs/accuracy.md). ~6.5 minutes here."""


def build_net():  # noqa: ANN201 - torch is imported lazily (a training-only dependency)
    """The network: two 3×3 convolutions at full size, two at half (stride-2 in), two at a
    quarter, back up by 1×1 convolution + pixel shuffle with additive skips, and a 3×3 output
    convolution whose result is *added* to the input (the network predicts the correction)."""
    import torch
    from torch import nn
    from torch.nn import functional

    c1, c2, c3 = WIDTHS

    class DemeshNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.full_a, self.full_b = nn.Conv2d(3, c1, 3, padding=1), nn.Conv2d(c1, c1, 3, padding=1)
            self.half_a, self.half_b = nn.Conv2d(c1, c2, 3, 2, 1), nn.Conv2d(c2, c2, 3, padding=1)
            self.quarter_a, self.quarter_b = nn.Conv2d(c2, c3, 3, 2, 1), nn.Conv2d(c3, c3, 3, padding=1)
            self.up_half, self.half_c = nn.Conv2d(c3, c2 * 4, 1), nn.Conv2d(c2, c2, 3, padding=1)
            self.up_full, self.full_c = nn.Conv2d(c2, c1 * 4, 1), nn.Conv2d(c1, c1, 3, padding=1)
            self.out = nn.Conv2d(c1, 3, 3, padding=1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            relu = functional.relu
            full = relu(self.full_b(relu(self.full_a(x))))
            half = relu(self.half_b(relu(self.half_a(full))))
            quarter = relu(self.quarter_b(relu(self.quarter_a(half))))
            half = relu(self.half_c(functional.pixel_shuffle(self.up_half(quarter), 2) + half))
            full = relu(self.full_c(functional.pixel_shuffle(self.up_full(half), 2) + full))
            return x + self.out(full)

    return DemeshNet()


def export_onnx(net) -> bytes:  # noqa: ANN001
    """The ONNX model (opset 17) of ``net``: input ``image`` (1, 3, H, W) BGR in [0, 1], H and W
    divisible by 4; output ``clean``, the same shape. Built node by node from the weights so the
    bytes depend on the weights alone."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = {name: tensor.detach().numpy().astype(np.float32) for name, tensor in net.state_dict().items()}
    nodes, initializers = [], []

    def conv(source: str, layer: str, *, stride: int = 1, relu: bool = True) -> str:
        w = weights[f"{layer}.weight"]
        initializers.extend([numpy_helper.from_array(w, f"{layer}.weight"),
                             numpy_helper.from_array(weights[f"{layer}.bias"], f"{layer}.bias")])  # fmt: skip
        pad = w.shape[-1] // 2
        out = f"{layer}_conv"
        nodes.append(helper.make_node("Conv", [source, f"{layer}.weight", f"{layer}.bias"], [out], name=layer,
                                      kernel_shape=list(w.shape[-2:]), pads=[pad] * 4, strides=[stride, stride]))  # fmt: skip
        if not relu:
            return out
        nodes.append(helper.make_node("Relu", [out], [f"{layer}_relu"], name=f"{layer}_relu"))
        return f"{layer}_relu"

    def up(source: str, layer: str, skip: str) -> str:
        shuffled = f"{layer}_shuffled"
        nodes.append(helper.make_node("DepthToSpace", [conv(source, layer, relu=False)], [shuffled], name=f"{layer}_shuffle",
                                      blocksize=2, mode="CRD"))  # fmt: skip
        nodes.append(helper.make_node("Add", [shuffled, skip], [f"{layer}_sum"], name=f"{layer}_skip"))
        return f"{layer}_sum"

    full = conv(conv("image", "full_a"), "full_b")
    half = conv(conv(full, "half_a", stride=2), "half_b")
    quarter = conv(conv(half, "quarter_a", stride=2), "quarter_b")
    half = conv(up(quarter, "up_half", half), "half_c")
    full = conv(up(half, "up_full", full), "full_c")
    nodes.append(helper.make_node("Add", ["image", conv(full, "out", relu=False)], ["clean"], name="residual"))
    shape = ["batch", 3, "height", "width"]
    graph = helper.make_graph(nodes, "demesh", [helper.make_tensor_value_info("image", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info("clean", TensorProto.FLOAT, shape)], initializers)  # fmt: skip
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="facesaas-train-demesher"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _portraits(data: Path, rng: np.random.Generator, per_identity: int = PHOTOS_PER_IDENTITY) -> list[np.ndarray]:
    """ID-photo framings (178 × 220) of up to ``per_identity`` photos of every
    training identity, eyes 0.20–0.25 of the width apart and 0.42–0.48 of the height down."""
    from tests.imagetypes.generator import id_portrait
    from tests.liveness.generator import landmarks_of, load_identities
    from tests.watermark.styles import training_identity

    identities = load_identities(data / "faces" / "celeba")
    portraits = []
    for name in sorted(identities, key=int):
        if not training_identity(name):
            continue
        for path in identities[name][:per_identity]:
            photo = cv2.imread(str(path))
            marks = landmarks_of(photo) if photo is not None else None
            if marks is not None:
                eyes = (float(rng.uniform(0.20, 0.25)), float(rng.uniform(0.42, 0.48)))
                portraits.append(id_portrait(photo, marks, eyes=eyes))
    return portraits


def make_pool(
    data: Path, rng: np.random.Generator, sizes: tuple[tuple[int, int], ...] | None = None, *, small: bool = False
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """:data:`POOL` (or, ``small``, :data:`SMALL_POOL` from up to :data:`SMALL_PHOTOS_PER_IDENTITY`
    photos an identity) (meshed, clean) pairs, BGR uint8: each a random training portrait at a
    random size class of ``sizes`` (width, height; default every class of
    ``tests.watermark.styles.SIZES``), meshed with a random training family (or, with
    :data:`CLEAN_SHARE`, not), JPEG 30–95."""
    from tests.images import jpeg_roundtrip
    from tests.watermark.styles import SIZES, TRAINING, draw_family

    sizes = SIZES if sizes is None else sizes
    portraits = _portraits(data, rng, SMALL_PHOTOS_PER_IDENTITY if small else PHOTOS_PER_IDENTITY)
    print(f"{len(portraits)} training portraits", file=sys.stderr)
    inputs, targets = [], []
    for _ in range(SMALL_POOL if small else POOL):
        portrait = portraits[int(rng.integers(len(portraits)))]
        size = sizes[int(rng.integers(len(sizes)))]
        clean = (
            portrait
            if size == (portrait.shape[1], portrait.shape[0])
            else cv2.resize(portrait, size, interpolation=cv2.INTER_AREA)
        )
        if rng.uniform() < CLEAN_SHARE:
            meshed = jpeg_roundtrip(clean, int(rng.integers(30, 96)))
        else:
            meshed = draw_family(clean, rng, TRAINING[int(rng.integers(len(TRAINING)))]).image
        inputs.append(meshed)
        targets.append(clean)
    return inputs, targets


def train(data: Path, steps: int, sizes: tuple[tuple[int, int], ...] | None = None) -> bytes:
    """Train from scratch with every seed fixed on photos of ``sizes`` (default both size
    classes); return the ONNX bytes."""
    import torch

    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    cv2.setNumThreads(1)
    rng = np.random.default_rng(SEED)
    inputs, targets = make_pool(data, rng, sizes, small=sizes is not None)
    net = build_net()
    # The output convolution starts at zero: the untrained network is the identity, and
    # training only learns the correction (converges in a fraction of the steps).
    with torch.no_grad():
        net.out.weight.zero_()
        net.out.bias.zero_()
    optimiser = torch.optim.Adam(net.parameters(), lr=3e-3)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=3e-3, total_steps=steps, pct_start=0.05)
    started, running = time.time(), 0.0
    for step in range(steps):
        batch_in, batch_out = [], []
        for _ in range(BATCH):
            index = int(rng.integers(len(inputs)))
            h, w = inputs[index].shape[:2]
            y, x = int(rng.integers(h - CROP + 1)), int(rng.integers(w - CROP + 1))
            pair = [inputs[index][y : y + CROP, x : x + CROP], targets[index][y : y + CROP, x : x + CROP]]
            if rng.uniform() < 0.5:
                pair = [p[:, ::-1] for p in pair]
            batch_in.append(pair[0].transpose(2, 0, 1))
            batch_out.append(pair[1].transpose(2, 0, 1))
        source = torch.from_numpy(np.ascontiguousarray(np.stack(batch_in), dtype=np.float32) / 255.0)
        target = torch.from_numpy(np.ascontiguousarray(np.stack(batch_out), dtype=np.float32) / 255.0)
        loss = torch.nn.functional.l1_loss(net(source), target)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        running = 0.98 * running + 0.02 * loss.item() if step else loss.item()
        if (step + 1) % 100 == 0:
            print(
                f"step {step + 1}/{steps}: L1 {running * 255:.2f} grey levels, {time.time() - started:.0f} s",
                file=sys.stderr,
            )
    net.eval()
    return export_onnx(net)


def _largest_difference(a: bytes, b: bytes) -> float:
    """The largest output difference (grey levels) between two ONNX files on a few meshed photos."""
    import onnxruntime as ort

    from tests.watermark.styles import TRAINING, draw_family

    rng = np.random.default_rng(SEED + 1)
    # Smooth random photos (no face needed to compare two networks' arithmetic), meshed.
    base = cv2.resize(rng.integers(0, 256, (11, 9, 3), dtype=np.uint8), (180, 220), interpolation=cv2.INTER_CUBIC)
    photos = [draw_family(base, rng, family).image for family in TRAINING]
    sessions = [ort.InferenceSession(x, providers=["CPUExecutionProvider"]) for x in (a, b)]
    worst = 0.0
    for photo in photos:
        tensor = photo.transpose(2, 0, 1)[None].astype(np.float32) / 255.0
        first, second = (s.run(None, {"image": tensor})[0] for s in sessions)
        worst = max(worst, float(np.abs(first - second).max()) * 255)
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument(
        "--size",
        choices=("both", "small"),
        default="both",
        help="both size classes (demesh.onnx) or only 102 x 126 photos (demesh_small.onnx)",
    )
    parser.add_argument("--steps", type=int, default=None, help=f"default {STEPS} (both) / {SMALL_STEPS} (small)")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--check", action="store_true", help="compare with the committed file instead of writing it")
    args = parser.parse_args()
    if not (args.data / "faces" / "celeba" / "labels.tsv").is_file():
        print(f"training needs the CelebA photos at {args.data}", file=sys.stderr)
        return 2
    small = args.size == "small"
    target, pin_name = (SMALL_MODEL, "DEMESH_SMALL_SHA256") if small else (MODEL, "DEMESH_SHA256")
    steps = args.steps if args.steps is not None else (SMALL_STEPS if small else STEPS)
    started = time.time()
    model = train(args.data, steps, (SMALL_SIZE,) if small else None)
    digest = hashlib.sha256(model).hexdigest()
    print(f"trained in {time.time() - started:.0f} s: {len(model)} bytes, SHA-256 {digest}")
    if not args.check:
        out = args.out or target
        out.write_bytes(model)
        print(f"wrote {out}; pin {pin_name} = {digest!r} in facesaas/face/demesher.py")
        return 0
    from facesaas.face import demesher

    pin = getattr(demesher, pin_name)
    committed = target.read_bytes()
    same = digest == hashlib.sha256(committed).hexdigest() == pin
    print("identical to the committed file and its pin" if same else
          f"DIFFERS from the committed file (pin {pin}); largest output difference on test photos: "
          f"{_largest_difference(committed, model):.3f} grey levels")  # fmt: skip
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
