"""benchmarks.speed and benchmarks.backend_train_check end to end, on tiny inputs."""

import json

import keras
import pytest

from benchmarks import backend_train_check, common, speed


def test_speed_report_times_every_sampler_beside_the_full_model(tmp_path, monkeypatch):
    monkeypatch.setattr(speed, "CONFIGS", {"tiny": ((8, 16, 16, 1), "small_cnn")})
    monkeypatch.setattr(speed, "SAMPLERS", ("uniform", "das"))
    output = str(tmp_path / "speed")
    assert speed.main(["--configs", "tiny", "--rounds", "2", "--output", output]) == 0
    report = json.loads((tmp_path / "speed.json").read_text())
    rows = {(r["sampler"], r["k"]): r for r in report["rows"]}
    assert set(rows) == {("full", 8), ("uniform", 4), ("uniform", 2), ("das", 4), ("das", 2)}
    assert rows[("full", 8)]["speedup_vs_full"] == pytest.approx(1.0)
    assert all(r["throughput_per_s"] > 0 and r["sampler_ms_per_batch"] > 0 for r in rows.values())
    assert report["machine"]["backend"] == keras.backend.backend()
    text = (tmp_path / "speed.md").read_text()
    assert "- tiny: " in text and "| das | 4 |" in text
    command = common.command_line("speed", ["--configs", "tiny"])
    assert f"Written by `{command}" in text


def test_backend_train_check_trains_and_reports(tmp_path):
    output = str(tmp_path / "train")
    argv = ["--epochs", "2", "--train", "32", "--samplers", "das", "full", "--output", output]
    assert backend_train_check.main(argv) == 0
    rows = json.loads((tmp_path / "train.json").read_text())["rows"]
    assert [r["sampler"] for r in rows] == ["das", "full"]
    assert [r["slices_seen"] for r in rows] == [8, 32]  # k = 25% of 32 slices; full: all
    for r in rows:
        assert 0.0 <= r["test_auc"] <= 1.0 and r["epoch_s_median"] > 0
    assert "| das | 8 |" in (tmp_path / "train.md").read_text()


def test_backend_train_check_refuses_bad_arguments(capsys):
    with pytest.raises(SystemExit):
        backend_train_check.main(["--epochs", "0"])
    assert "--epochs: must be >= 1; received 0" in capsys.readouterr().err
