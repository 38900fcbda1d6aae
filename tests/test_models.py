"""Our ONNX models are faithful to MediaPipe's TFLite originals and reproducible from the wheel."""

from __future__ import annotations

import hashlib
import zipfile

import numpy as np
import pytest

from core.model_registry import BUNDLED_MODELS_DIR, find_model
from core.preprocess import resize_to_model, to_tensor
from core.session import create_session
from models import build as model_build
from models.tflite_to_onnx import UnsupportedOpError, convert_tflite

pytestmark = pytest.mark.network


def _tflite_bytes(wheel, name: str) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(model_build.SOURCES[name][0])


def _tflite_run(buf: bytes, x: np.ndarray) -> np.ndarray:
    """MediaPipe's model on the real TFLite interpreter (XNNPACK runs the custom op)."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_content=buf)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"]).reshape(x.shape[1:3])


@pytest.mark.parametrize("name", sorted(model_build.SOURCES))
def test_onnx_masks_match_tflite_on_real_photos_and_noise(name, mediapipe_wheel, people_photos):
    card = find_model(name)
    sess = create_session(card, "cpu")
    buf = _tflite_bytes(mediapipe_wheel, name)
    rng = np.random.default_rng(7)
    inputs = {k: to_tensor(resize_to_model(v, card.width, card.height)) for k, v in people_photos.items()}
    inputs["noise"] = rng.random((1, card.height, card.width, 3), dtype=np.float32)
    # Smooth noise drives the sigmoid away from saturation, so the comparison is not trivially 0 vs 0.
    inputs["smooth_noise"] = np.repeat(np.repeat(rng.random((1, card.height // 16, card.width // 16, 3),
                                                            dtype=np.float32), 16, 1), 16, 2)
    for label, x in inputs.items():
        ref = _tflite_run(buf, x)
        got = sess.run(x)
        diff = float(np.abs(got - ref).max())
        assert diff <= 1e-3, f"{name}/{label}: max abs diff {diff}"
        if label in people_photos:
            inter = np.logical_and(got > 0.5, ref > 0.5).sum()
            union = np.logical_or(got > 0.5, ref > 0.5).sum()
            assert union > 0.05 * got.size, f"{name}/{label}: the model found no person"
            assert inter / union >= 0.999, f"{name}/{label}: IoU {inter / union}"


def test_rebuild_from_wheel_reproduces_committed_files(mediapipe_wheel):
    outputs = model_build.build(mediapipe_wheel)
    for fname, data in outputs.items():
        committed = (BUNDLED_MODELS_DIR / fname).read_bytes()
        assert hashlib.sha256(data).hexdigest() == hashlib.sha256(committed).hexdigest(), fname


def test_cards_record_the_sha256_of_the_committed_onnx():
    for name in model_build.SOURCES:
        card = find_model(name)
        assert hashlib.sha256(card.path.read_bytes()).hexdigest() == card.onnx_sha256


def test_unknown_custom_op_stops_the_converter_naming_it(mediapipe_wheel):
    buf = _tflite_bytes(mediapipe_wheel, "selfie_general")
    patched = buf.replace(b"Convolution2DTransposeBias", b"Convolution2DTransposeBiaX")
    assert patched != buf
    with pytest.raises(UnsupportedOpError, match="Convolution2DTransposeBiaX"):
        convert_tflite(patched, "x")


def test_unknown_builtin_op_stops_the_converter_naming_it(mediapipe_wheel):
    import tflite

    buf = bytearray(_tflite_bytes(mediapipe_wheel, "selfie_general"))
    model = tflite.Model.GetRootAsModel(buf, 0)
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        if code.BuiltinCode() == tflite.BuiltinOperator.HARD_SWISH:
            tab = code._tab
            # OperatorCode: deprecated_builtin_code (int8, vtable slot 4), builtin_code (int32, slot 10)
            buf[tab.Pos + tab.Offset(4)] = tflite.BuiltinOperator.SQUARE
            pos = tab.Pos + tab.Offset(10)
            buf[pos:pos + 4] = int(tflite.BuiltinOperator.SQUARE).to_bytes(4, "little")
    with pytest.raises(UnsupportedOpError, match="SQUARE"):
        convert_tflite(bytes(buf), "x")
