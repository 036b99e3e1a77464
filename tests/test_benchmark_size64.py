"""The comparison at MedMNIST3D size 64 (issue 22), end to end on tiny generated files in the
official format: its own data set key and run cache, the 3D CNN as a method, recipe overrides."""

import importlib
import importlib.util
import json
from pathlib import Path

import pytest

from benchmarks import common, compare
from das_keras.data import medmnist3d_info

mm = importlib.import_module("das_keras.data.medmnist3d")


def _official_npz_writer():
    """tests/data/conftest.py's `write_official_npz` (the official-format generator)."""
    path = Path(__file__).parent / "data" / "conftest.py"
    spec = importlib.util.spec_from_file_location("medmnist_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_official_npz


def test_size28_labels_and_cache_folders_are_unchanged():
    # the queue's command: no size, no override flags -> the folders of the runs it cached
    args = compare.parse_args(
        "--backbones ours --datasets vessel --k 0.5 --samplers das --options ctx1_pos_ema "
        "--seeds 0".split()
    )
    assert compare.recipe_overrides(args, "vessel") == {}
    assert common.dataset_key("vessel", args.size) == "vessel"
    assert common.run_dir("vessel", "ours", 0.5, "das+ctx1_pos_ema", 0) == (
        "runs/compare/vessel/ours/k0.5/das+ctx1_pos_ema/seed0"
    )
    synthetic = compare.parse_args(["--datasets", "synthetic", "--epochs", "6"])
    assert compare.recipe_overrides(synthetic, "synthetic") == {}
    assert common.split_dataset_key("adrenal64") == ("adrenal", 64)
    assert common.recipe_of("adrenal64") == common.recipe_of("adrenal")


def test_the_distillation_option_set_takes_the_data_sets_full_preset_as_teacher():
    options = common.option_set("ctx1_pos_kd", "das", "vessel")
    assert options["distill"] == {"teacher": "full_vesselmnist3d_28"}
    assert options["sampler_options"] == {"context": 1, **common.DAS_POSITIONS}
    assert common.option_set("ctx1_pos_kd", "center", "pocus")["distill"]["teacher"] == (
        "full_pocus"
    )
    with pytest.raises(ValueError, match="adrenal64"):  # no 64^3 teacher
        common.option_set("ctx1_pos_kd", "das", "adrenal64")
    assert "sampler_options" in common.option_set("ctx1_pos_kd", "das")  # models only


def test_overrides_split_into_recipe_sampler_and_model_arguments():
    overrides = {"epochs": 24, "descriptor_size": 8, "image_size": 32}
    assert common.override_tag(overrides) == "@ds8_ep24_px32"
    assert common.applicable_overrides(overrides, "center") == {"epochs": 24, "image_size": 32}
    assert common.applicable_overrides(overrides, "volume3d") == {"epochs": 24}
    assert common.split_overrides(overrides) == (
        {"epochs": 24},
        {"descriptor_size": 8},
        {"image_size": (32, 32)},
    )


@pytest.mark.slow
def test_compare_trains_size64_rows_apart_from_size28(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    (shared / "medmnist3d").mkdir(parents=True)
    info = medmnist3d_info("adrenal", 64)
    md5 = _official_npz_writer()(
        shared / "medmnist3d" / info["filename"], size=64, counts=(6, 4, 4)
    )
    monkeypatch.setitem(mm.MEDMNIST3D[info["name"]]["md5"], 64, md5)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(common.RECIPE, "epochs", 1)
    argv = "--backbones ours --datasets adrenal --size 64 --k 0.25 --samplers center volume3d "
    argv += "--options default --seeds 0 --lr 0.002 --image-size 16 "
    argv += f"--shared {shared} --output {tmp_path}/cmp"
    assert compare.main(argv.split()) == 0

    summary = json.loads((tmp_path / "cmp.json").read_text())["summary"]
    # --image-size resizes the slices of the slice samplers only (the 3D CNN sees whole volumes)
    assert sorted(summary) == [
        "adrenal64/ours/0.25/center@px16_lr0.002",
        "adrenal64/ours/0.25/volume3d@lr0.002",
    ]
    center = summary["adrenal64/ours/0.25/center@px16_lr0.002"]
    assert center["k_slices"] == 16
    assert center["overrides"] == {"learning_rate": 0.002, "image_size": 16}
    assert summary["adrenal64/ours/0.25/volume3d@lr0.002"]["k_slices"] == 64
    runs = tmp_path / "runs" / "compare" / "adrenal64" / "ours"
    center_dir = runs / "k0.25" / "center@px16_lr0.002" / "seed0"
    result = json.loads((center_dir / "result.json").read_text())
    assert result["size"] == 64 and result["dataset"] == "adrenal64"
    assert 0.0 <= result["test"]["auc"] <= 1.0
    config = json.loads((center_dir / "run_config.json").read_text())
    assert (config["size"], config["learning_rate"], config["epochs"]) == (64, 0.002, 1)
    assert config["model_options"]["image_size"] == [16, 16]
    assert (runs / "kall" / "volume3d@lr0.002" / "seed0" / "model.keras").is_file()
    assert "## adrenal64, backbone ours, k = 25% of T" in (tmp_path / "cmp.md").read_text()
