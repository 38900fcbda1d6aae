"""Model registry: every `*.card.json` in models/ (and in user model folders) is a model.

Adding a segmentation model is adding an ONNX file and a card; there is no code per model. A card
is checked when it is read, and again against the ONNX file when a session is made (see
`session.py`), so a card that lies or a file that is truncated fails with an error that names the
file.

Cards v2 say what `kind` of model a file is: "segmentation" (frame in, P(person) out: what users
choose), or a part of a pipeline ("pose_detector", "pose_landmarks"), with every output described
(name, shape, what it means, and whether it is raw logits or already a probability). Pipelines
(core/pose.py) are code, not cards: they name the parts they run. Version 1 cards (one output, a
segmentation model) are still read.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

BUNDLED_MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
DEFAULT_MODEL = "selfie_general"
# Extra folders of user models, separated by os.pathsep.
USER_MODELS_ENV = "BACKDROP_MODEL_PATH"


class ModelError(RuntimeError):
    """A model file or card is missing, corrupt or inconsistent. The message names the file."""


KINDS = ("segmentation", "pose_detector", "pose_landmarks")
ACTIVATIONS = ("probability", "logits", "linear")


@dataclass(frozen=True)
class OutputSpec:
    name: str
    shape: tuple[int, ...]
    meaning: str = ""
    activation: str = "probability"  # "logits": apply a sigmoid; "linear": coordinates and the like


@dataclass(frozen=True)
class ModelCard:
    name: str
    description: str
    path: Path  # the ONNX file
    card_path: Path
    input_name: str
    input_shape: tuple[int, int, int, int]  # NHWC
    outputs: tuple[OutputSpec, ...]
    onnx_sha256: str | None
    licence: str
    kind: str = "segmentation"

    @property
    def height(self) -> int:
        return self.input_shape[1]

    @property
    def width(self) -> int:
        return self.input_shape[2]

    def verify_file(self) -> bytes:
        """Read the ONNX file, checking it is there and (when the card pins it) intact."""
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise ModelError(f"model {self.name!r}: cannot read {self.path}: {exc.strerror}") from exc
        if self.onnx_sha256 and hashlib.sha256(data).hexdigest() != self.onnx_sha256:
            raise ModelError(
                f"model {self.name!r}: {self.path} is corrupt or was modified "
                f"(sha256 differs from its card {self.card_path.name}); "
                "restore it with `git checkout models/` or rebuild with `python -m models.build`"
            )
        return data


def _shape(value, what: str, card_path: Path) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(v, int) and v > 0 for v in value):
        raise ModelError(f"{card_path}: {what} must be a list of positive integers, got {value!r}")
    return tuple(value)


def read_card(card_path: Path) -> ModelCard:
    """Parse and validate one card file (version 1 or 2)."""
    try:
        raw = json.loads(card_path.read_text(encoding="utf-8"))
        inp = raw["input"]
        name, file = str(raw["name"]), str(raw["file"])
        version = int(raw.get("card_version", 1))
        kind = str(raw.get("kind", "segmentation"))
        outs = raw["outputs"] if version >= 2 else [dict(raw["output"], activation="probability")]
        outputs = tuple(OutputSpec(str(o["name"]), _shape(o["shape"], "output shape", card_path),
                                   str(o.get("meaning", "")), str(o.get("activation", "probability")))
                        for o in outs)
        in_shape = _shape(inp["shape"], "input.shape", card_path)
        layout, colour = inp.get("layout", "NHWC"), inp.get("colour_order", "RGB")
        input_name = str(inp["name"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{card_path}: not a valid model card ({type(exc).__name__}: {exc})") from exc
    if kind not in KINDS:
        raise ModelError(f"{card_path}: unknown kind {kind!r}; one of {', '.join(KINDS)}")
    if not outputs or any(o.activation not in ACTIVATIONS for o in outputs):
        raise ModelError(f"{card_path}: every output needs an activation, one of {', '.join(ACTIVATIONS)}")
    if len(in_shape) != 4 or in_shape[0] != 1 or in_shape[3] != 3 or layout != "NHWC" or colour != "RGB":
        raise ModelError(f"{card_path}: Backdrop needs an NHWC RGB input of shape [1,H,W,3], got "
                         f"{list(in_shape)} {layout} {colour}")
    out_shape = outputs[0].shape
    if kind == "segmentation" and (out_shape[-1] != 1 or len(out_shape) != 4 or out_shape[1:3] != in_shape[1:3]):
        raise ModelError(f"{card_path}: output must be [1,H,W,1] at the input size, got {list(out_shape)}")
    return ModelCard(
        name=name, description=str(raw.get("description", "")), path=card_path.parent / file,
        card_path=card_path, input_name=input_name, input_shape=in_shape,
        outputs=outputs, onnx_sha256=raw.get("onnx_sha256"), licence=str(raw.get("licence", "unknown")),
        kind=kind,
    )


def model_dirs(extra: list[Path] | None = None) -> list[Path]:
    dirs = [BUNDLED_MODELS_DIR]
    env = os.environ.get(USER_MODELS_ENV, "")
    dirs += [Path(p) for p in env.split(os.pathsep) if p]
    dirs += list(extra or [])
    return dirs


def list_models(extra_dirs: list[Path] | None = None, kinds: tuple[str, ...] = ("segmentation",)
                ) -> dict[str, ModelCard]:
    """All valid models of `kinds` by name; the first folder wins on a name clash (bundled models
    first). Users choose among segmentation models (and pipelines, core/pose.py); the other kinds
    are parts of pipelines.

    Broken user cards are skipped here (so one bad file does not hide the others) and reported
    by `find_model`.
    """
    found: dict[str, ModelCard] = {}
    for folder in model_dirs(extra_dirs):
        for card_path in sorted(folder.glob("*.card.json")) if folder.is_dir() else []:
            try:
                card = read_card(card_path)
            except ModelError:
                continue
            if card.kind in kinds:
                found.setdefault(card.name, card)
    return found


def find_model(name_or_path: str, extra_dirs: list[Path] | None = None) -> ModelCard:
    """A model by registry name, or by the path of its card or ONNX file."""
    p = Path(name_or_path)
    if p.suffix in (".json", ".onnx") or p.exists():
        card_path = p if p.name.endswith(".card.json") else p.with_name(p.name.removesuffix(".onnx") +
                                                                      ".card.json")
        if not card_path.exists():
            raise ModelError(f"{p}: no model card next to it (expected {card_path.name})")
        return read_card(card_path)
    models = list_models(extra_dirs, KINDS)
    if name_or_path not in models:
        for folder in model_dirs(extra_dirs):  # a card of that name that failed validation
            if (folder / f"{name_or_path}.card.json").exists():
                read_card(folder / f"{name_or_path}.card.json")
        raise ModelError(f"unknown model {name_or_path!r}; available: {', '.join(sorted(models)) or 'none'}")
    return models[name_or_path]
