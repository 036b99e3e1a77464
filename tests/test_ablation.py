"""benchmarks.ablation: paired on/off rows from a comparison's runs."""

import json

import pytest

from benchmarks import ablation


def _run(sampler, seed, val_auc, test_auc, accuracy=0.8):
    return {
        "dataset": "vessel",
        "backbone": "ours",
        "k": 0.5,
        "sampler": sampler,
        "seed": seed,
        "val": {"auc": val_auc},
        "test": {"auc": test_auc, "accuracy": accuracy},
        "test_prior": {"auc": test_auc, "accuracy": accuracy + 0.1},
    }


def test_options_are_paired_on_shared_seeds(tmp_path):
    runs = [
        _run("das", 0, 0.80, 0.85),
        _run("das", 1, 0.81, 0.86),
        _run("das", 2, 0.82, 0.99),  # no partner with the option: left out of the pair
        _run("das+ctx1_pos", 0, 0.84, 0.90),
        _run("das+ctx1_pos", 1, 0.85, 0.90),
        _run("das+ctx1_pos_ema", 0, 0.80, 0.80),
    ]
    (tmp_path / "comparison.json").write_text(json.dumps({"runs": runs}))
    output = tmp_path / "ablation"
    argv = ["--comparison", str(tmp_path / "comparison"), "--output", str(output)]
    assert ablation.main(argv) == 0
    rows = json.loads((tmp_path / "ablation.json").read_text())["rows"]
    context = next(r for r in rows if r["with"] == "das+ctx1_pos" and r["without"] == "das")
    assert context["seeds"] == [0, 1]
    assert context["delta_mean"] == pytest.approx(0.045)
    assert context["val_delta_mean"] == pytest.approx(0.04)
    assert context["verdict"] == "helps"
    ema = next(r for r in rows if r["with"] == "das+ctx1_pos_ema")
    assert ema["seeds"] == [0] and ema["verdict"] == "hurts"
    prior = [r for r in rows if r["option"].startswith("prior correction")]
    assert {r["with"] for r in prior} == {"das", "das+ctx1_pos", "das+ctx1_pos_ema"}
    assert all(r["delta_mean"] == pytest.approx(0.1) for r in prior)
    assert "| EMA of the weights | vessel | 0.5 |" in (tmp_path / "ablation.md").read_text()
