"""Rebuild Backdrop's ONNX models from the MediaPipe wheel on PyPI, byte for byte.

    python -m models.build            # download the pinned wheel (43 MB), convert, write models/
    python -m models.build --check    # rebuild in memory and compare with the committed files
    python -m models.build --wheel mediapipe-0.10.14-...whl

Only the .tflite files are read from the wheel (it is a zip); mediapipe itself is never
installed or imported.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent
WHEEL_REQUIREMENT = "mediapipe==0.10.14"
WHEEL_FILE = "mediapipe-0.10.14-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
WHEEL_SHA256 = "a807328339e7356fda0bb14df12fedbf1d33bdf81649c5f8666b0026b1cc30b4"
LICENSE_FILE = "LICENSE.mediapipe"

SELFIE_INPUT = {"range": [0.0, 1.0],
                "resize": "stretch to the model size (no letterbox), bilinear at the scaled pixel centres"}
SELFIE_OUTPUT = [{"layout": "NHWC", "meaning": "P(person), one channel, sigmoid already applied",
                  "activation": "probability"}]


@dataclass(frozen=True)
class Source:
    """One model in the wheel: where it is, its hash, what it is, and what its card says about it."""

    path: str
    sha256: str
    description: str
    kind: str
    input: dict
    outputs: list  # per output, in the model's order: layout, meaning, activation


SOURCES = {
    "selfie_general": Source(
        "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
        "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
        "MediaPipe Selfie Segmentation, general model (square input; best for a person filling the frame)",
        "segmentation", SELFIE_INPUT, SELFIE_OUTPUT,
    ),
    "selfie_landscape": Source(
        "mediapipe/modules/selfie_segmentation/selfie_segmentation_landscape.tflite",
        "a77d03f4659b9f6b6c1f5106947bf40e99d7655094b6527f214ea7d451106edd",
        "MediaPipe Selfie Segmentation, landscape model (16:9 input; fewer FLOPs, for video calls)",
        "segmentation", SELFIE_INPUT, SELFIE_OUTPUT,
    ),
    # BlazePose (MediaPipe Pose, "full"): the two parts core/pose.py runs. Lite and heavy are not in
    # the wheel (MediaPipe downloads them at run time), so they are not offered.
    "pose_detection": Source(
        "mediapipe/modules/pose_detection/pose_detection.tflite",
        "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
        "MediaPipe Pose detector: a person's box and 4 keypoints per SSD anchor (part of the pose pipeline)",
        "pose_detector",
        {"range": [-1.0, 1.0], "resize": "the frame letterboxed to 224x224 (aspect kept, zero border)"},
        [{"layout": "rows", "activation": "linear",
          "meaning": "per anchor: box x_centre, y_centre, w, h, then 4 keypoints (x, y), in 224-px units "
                     "relative to the anchor"},
         {"layout": "rows", "activation": "logits", "meaning": "per anchor: a person's score"}],
    ),
    "pose_landmarks_full": Source(
        "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
        "MediaPipe Pose landmarks and segmentation, full model (part of the pose pipeline)",
        "pose_landmarks",
        {"range": [0.0, 1.0], "resize": "the pose's rotated square region, 256x256, edges repeated"},
        [{"layout": "rows", "activation": "linear",
          "meaning": "39 landmarks x (x, y, z, visibility logit, presence logit); x, y, z in 256-px units"},
         {"layout": "rows", "activation": "probability", "meaning": "a pose is in the region"},
         {"layout": "NHWC", "activation": "logits", "meaning": "the person's segmentation in the region"},
         {"layout": "NHWC", "activation": "logits", "meaning": "a heatmap per landmark, 64x64"},
         {"layout": "rows", "activation": "linear", "meaning": "39 landmarks x (x, y, z) in metres, hips-centred"}],
    ),
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download_wheel(dest: Path) -> Path:
    """Fetch the pinned wheel from PyPI with pip (any OS can download the Linux wheel)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--platform", "manylinux2014_x86_64", "--python-version", "3.11", WHEEL_REQUIREMENT,
           "-d", str(dest), "--quiet"]
    subprocess.run(cmd, check=True)
    return dest / WHEEL_FILE


def read_wheel(wheel: Path) -> zipfile.ZipFile:
    data = wheel.read_bytes()
    if sha256(data) != WHEEL_SHA256:
        raise SystemExit(f"{wheel}: sha256 {sha256(data)} is not the pinned {WHEEL_SHA256}")
    return zipfile.ZipFile(wheel)


def make_card(name: str, src: Source, model, onnx_bytes: bytes) -> dict:
    from .tflite_to_onnx import CONVERTER_VERSION, OPSET

    def dims(value_info) -> list[int]:
        return [d.dim_value for d in value_info.type.tensor_type.shape.dim]

    inp = model.graph.input[0]
    return {
        "card_version": 2,
        "kind": src.kind,
        "name": name,
        "description": src.description,
        "file": f"{name}.onnx",
        "onnx_sha256": sha256(onnx_bytes),
        "input": {"name": inp.name, "shape": dims(inp), "layout": "NHWC", "dtype": "float32",
                  "colour_order": "RGB", **src.input},
        "outputs": [{"name": out.name, "shape": dims(out), **meta}
                    for out, meta in zip(model.graph.output, src.outputs, strict=True)],
        "licence": "Apache-2.0",
        "licence_file": LICENSE_FILE,
        "source": {
            "package": WHEEL_REQUIREMENT,
            "wheel": WHEEL_FILE,
            "wheel_sha256": WHEEL_SHA256,
            "file": src.path,
            "file_sha256": src.sha256,
        },
        "converter": {"name": "models/tflite_to_onnx.py", "version": CONVERTER_VERSION, "opset": OPSET},
    }


def card_bytes(card: dict) -> bytes:
    return (json.dumps(card, indent=2) + "\n").encode()


def build(wheel: Path) -> dict[str, bytes]:
    """Return {file name: bytes} of everything this command writes into models/."""
    from .tflite_to_onnx import convert_tflite

    outputs: dict[str, bytes] = {}
    with read_wheel(wheel) as zf:
        licence = next(n for n in zf.namelist() if n.endswith(".dist-info/LICENSE"))
        outputs[LICENSE_FILE] = zf.read(licence)
        for name, src in SOURCES.items():
            tfl = zf.read(src.path)
            if sha256(tfl) != src.sha256:
                raise SystemExit(f"{src.path}: sha256 {sha256(tfl)} is not the pinned {src.sha256}")
            model = convert_tflite(tfl, name)
            onnx_bytes = model.SerializeToString()
            outputs[f"{name}.onnx"] = onnx_bytes
            outputs[f"{name}.card.json"] = card_bytes(make_card(name, src, model, onnx_bytes))
    return outputs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m models.build", description=__doc__.split("\n\n")[0])
    ap.add_argument("--wheel", type=Path, help="a local copy of the pinned mediapipe wheel")
    ap.add_argument("--check", action="store_true", help="compare with models/ instead of writing")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_wheel(Path(tmp))
        outputs = build(wheel)
    bad = 0
    for fname, data in outputs.items():
        target = MODELS_DIR / fname
        if args.check:
            current = target.read_bytes() if target.exists() else b""
            same = current == data
            bad += not same
            print(f"{'same' if same else 'DIFFERENT'}  {fname}  {sha256(data)}")
        else:
            target.write_bytes(data)
            print(f"wrote {target}  sha256 {sha256(data)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
