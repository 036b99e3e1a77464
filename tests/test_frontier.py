"""benchmarks/frontier.py end to end on a tiny comparison JSON: FLOPs, throughput, the figure,
the JSON behind it and the markdown table."""

import json

import pytest

from benchmarks import frontier


def _entry(auc, std, k_slices, seeds=(0, 1, 2)):
    return {
        "seeds": list(seeds),
        "k_slices": k_slices,
        "test_auc_mean": auc,
        "test_auc_std": std,
        "test_accuracy_mean": 0.8,
        "test_accuracy_std": 0.01,
        "val_auc_mean": auc - 0.01,
    }


def test_input_of_a_size64_key():
    assert frontier.input_of("adrenal64") == ((64, 64, 64, 1), 2)
    assert frontier.input_of("vessel") == ((28, 28, 28, 1), 2)


def test_reference_is_the_trained_full_model_with_the_rows_input_settings():
    entries = {("das+ctx1_pos@px32", "0.25"): {}, ("center@px32", "0.25"): {}}
    assert frontier.reference_key(entries) == ("full", "all")  # none trained: the plain one
    entries[("full@px32", "all")] = {}
    assert frontier.reference_key(entries) == ("full@px32", "all")
    entries[("full", "all")] = {}
    assert frontier.reference_key(entries) == ("full@px32", "all")  # the tag most rows share


@pytest.mark.slow
def test_frontier_writes_figure_json_and_table(tmp_path):
    summary = {
        "vessel/ours/0.25/das+ctx1_pos": _entry(0.90, 0.01, 7),
        "vessel/ours/0.25/center": _entry(0.85, 0.02, 7),
        "vessel/ours/0.25/full": _entry(0.88, 0.005, 28),  # listed under each k: one row
        "vessel/ours/0.5/full": _entry(0.88, 0.005, 28),
        "vessel/ours/0.5/volume3d": _entry(0.87, 0.01, 28),
        "vessel/paper/0.5/das": _entry(0.5, 0.0, 14),  # another backbone: left out
        "adrenal/ours/0.5/das": _entry(0.5, 0.0, 14),  # another data set: left out
    }
    comparison = tmp_path / "comparison.json"
    comparison.write_text(json.dumps({"summary": summary}))
    argv = ["--datasets", "vessel", "--comparison", str(comparison), "--output-dir"]
    argv += [str(tmp_path), "--rounds", "1", "--calls", "1", "--batch", "2"]
    assert frontier.main(argv) == 0

    report = json.loads((tmp_path / "frontier_vessel.json").read_text())
    rows = {(r["label"], r["k"]): r for r in report["rows"]}
    assert sorted(rows) == [
        ("center", "0.25"),
        ("das+ctx1_pos", "0.25"),
        ("full", "all"),
        ("volume3d", "all"),
    ]
    das, full = rows[("das+ctx1_pos", "0.25")], rows[("full", "all")]
    assert (das["sampler"], das["options"], das["test_auc_mean"]) == ("das", "ctx1_pos", 0.90)
    assert das["slices"] == 7 and full["slices"] == 28
    assert das["flops"]["sampler"] > 10 * rows[("center", "0.25")]["flops"]["sampler"]
    assert das["flops"]["total"] == sum(
        das["flops"][p] for p in ("sampler", "backbone", "aggregation")
    )
    assert das["flops"]["total"] < 0.5 * full["flops"]["total"]
    assert rows[("volume3d", "all")]["flops"]["backbone"] > 0
    assert full["throughput_ratio_to_full"] == 1.0
    assert all(r["throughput_per_s"] > 0 for r in rows.values())
    assert [ref["auc"] for ref in report["references"]] == [0.874, 0.930]
    assert (tmp_path / "frontier_vessel.png").stat().st_size > 10_000
    table = (tmp_path / "frontier.md").read_text()
    assert "| vessel | das | ctx1_pos | 0.25 | 3 | 0.900 ± 0.010 | 0.800 ± 0.010 |" in table
