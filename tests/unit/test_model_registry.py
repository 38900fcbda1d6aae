"""A broken model or a lying card gives a clear error naming the file; adding a model is a file + card."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from core.model_registry import BUNDLED_MODELS_DIR, ModelError, find_model, list_models
from core.session import create_session


def _copy_model(tmp_path, name="selfie_general", new_name="mine"):
    shutil.copy(BUNDLED_MODELS_DIR / f"{name}.onnx", tmp_path / f"{new_name}.onnx")
    card = json.loads((BUNDLED_MODELS_DIR / f"{name}.card.json").read_text(encoding="utf-8"))
    card.update(name=new_name, file=f"{new_name}.onnx")
    card_path = tmp_path / f"{new_name}.card.json"
    card_path.write_text(json.dumps(card), encoding="utf-8")
    return card_path, card


def test_bundled_models_are_listed():
    models = list_models()
    assert {"selfie_general", "selfie_landscape"} <= set(models)
    assert models["selfie_general"].input_shape == (1, 256, 256, 3)
    assert models["selfie_landscape"].input_shape == (1, 144, 256, 3)


def test_a_user_model_folder_adds_models_without_code(tmp_path, monkeypatch):
    _copy_model(tmp_path)
    monkeypatch.setenv("BACKDROP_MODEL_PATH", str(tmp_path))
    assert "mine" in list_models()
    assert create_session(find_model("mine"), "cpu").provider == "CPUExecutionProvider"


def test_card_that_lies_about_shapes_is_refused_naming_the_card(tmp_path):
    card_path, card = _copy_model(tmp_path)
    card["input"]["shape"] = [1, 144, 256, 3]
    card["outputs"][0]["shape"] = [1, 144, 256, 1]
    card_path.write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelError, match=r"mine\.card\.json.*input"):
        create_session(find_model(str(card_path)), "cpu")


def test_card_with_wrong_output_name_is_refused(tmp_path):
    card_path, card = _copy_model(tmp_path)
    card["outputs"][0]["name"] = "nope"
    card_path.write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelError, match="nope"):
        create_session(find_model(str(card_path)), "cpu")


@pytest.mark.parametrize("pinned", [True, False])
def test_truncated_onnx_is_refused_naming_the_file(tmp_path, pinned):
    card_path, card = _copy_model(tmp_path)
    if not pinned:
        card.pop("onnx_sha256")
        card_path.write_text(json.dumps(card), encoding="utf-8")
    onnx_path = tmp_path / "mine.onnx"
    onnx_path.write_bytes(onnx_path.read_bytes()[:100_000])
    with pytest.raises(ModelError, match=r"mine\.onnx"):
        create_session(find_model(str(card_path)), "cpu")


def test_a_file_that_is_not_onnx_is_refused(tmp_path):
    card_path, card = _copy_model(tmp_path)
    card.pop("onnx_sha256")
    card_path.write_text(json.dumps(card), encoding="utf-8")
    (tmp_path / "mine.onnx").write_text("this is not a model", encoding="utf-8")
    with pytest.raises(ModelError, match=r"cannot load .*mine\.onnx"):
        create_session(find_model(str(card_path)), "cpu")


def test_missing_onnx_file_is_refused(tmp_path):
    card_path, _ = _copy_model(tmp_path)
    (tmp_path / "mine.onnx").unlink()
    with pytest.raises(ModelError, match=r"cannot read .*mine\.onnx"):
        create_session(find_model(str(card_path)), "cpu")


def test_invalid_card_json_is_refused_naming_it(tmp_path, monkeypatch):
    (tmp_path / "bad.card.json").write_text("{not json", encoding="utf-8")
    monkeypatch.setenv("BACKDROP_MODEL_PATH", str(tmp_path))
    assert "bad" not in list_models()  # one broken card does not hide the others
    with pytest.raises(ModelError, match=r"bad\.card\.json"):
        find_model("bad")


def test_unknown_model_lists_the_available_ones():
    with pytest.raises(ModelError, match="selfie_general"):
        find_model("no_such_model")


def test_version_1_cards_are_still_read(tmp_path):
    """A user's model with a card from before cards v2: one output, a segmentation model."""
    card_path, card = _copy_model(tmp_path)
    out = card.pop("outputs")[0]
    card.pop("kind")
    card["card_version"] = 1
    card["output"] = {k: v for k, v in out.items() if k != "activation"}
    card_path.write_text(json.dumps(card), encoding="utf-8")
    model = find_model(str(card_path))
    assert model.kind == "segmentation" and model.outputs[0].name == out["name"]
    assert create_session(model, "cpu").run(np.zeros((1, 256, 256, 3), np.float32)).shape == (256, 256)


def test_users_are_offered_segmentation_models_not_pipeline_parts():
    offered = list_models()
    assert "selfie_general" in offered and "pose_detection" not in offered and "pose_landmarks_full" not in offered
    assert find_model("pose_landmarks_full").kind == "pose_landmarks"  # the pipeline still finds its parts
