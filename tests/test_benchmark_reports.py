"""The benchmark report code (benchmarks/compare.py, sensitivity.py, tuned_vs_default.py) on
made-up run results.

The training itself is what the scripts call from das_keras.training (tested elsewhere); here
the bookkeeping is checked: which runs are needed, how they are grouped, and the verdicts.
"""

import json
import os

import pytest

from benchmarks import common, compare, sensitivity, tuned_vs_default, update_readme
from benchmarks import report as compare_report


def _result(sampler, k, seed, auc, options=None, k_slices=None):
    return {
        "dataset": "vessel",
        "backbone": "ours",
        "k": k,
        "sampler": sampler,
        "options": options or {},
        "seed": seed,
        "k_slices": k_slices or int(28 * k),
        "val": {"auc": auc, "balanced_accuracy": 0.5, "accuracy": 0.5},
        "test": {"auc": auc, "balanced_accuracy": 0.5, "accuracy": 0.5},
    }


def test_sensitivity_points_share_the_default_runs_and_repeat_none():
    points = sensitivity.points(list(sensitivity.STUDIES))
    assert len(points) == len({json.dumps(p, sort_keys=True) for p in points})
    assert ("das", 0.5, {}) in points and ("das", 0.5, {"heads": 8}) in points
    assert ("das", 0.5, {"heads": 4}) not in points  # the default is the plain run
    assert {p[0] for p in points} == {"das", "dps", "uniform", "full"}


def test_run_folders_separate_options():
    plain = common.run_dir("vessel", "ours", 0.5, "das", 0)
    tuned = common.run_dir("vessel", "ours", 0.5, "das", 0, {"tau0": 0.25})
    assert plain != tuned and tuned.split(os.sep)[-2] == "das_tau00.25"


def test_verdict_weighs_the_effect_against_seed_noise():
    flat = [{"seeds": [0, 1], "test_auc_mean": m, "test_auc_std": 0.05} for m in (0.80, 0.82, 0.81)]
    steep = [
        {"seeds": [0, 1], "test_auc_mean": m, "test_auc_std": 0.01} for m in (0.70, 0.80, 0.90)
    ]
    assert sensitivity.verdict(flat).startswith("does not matter")
    assert sensitivity.verdict(steep).startswith("matters")
    assert "not enough" in sensitivity.verdict(flat[:1])


def test_cost_verdict_compares_das_with_the_best_other_sampler_per_cost():
    def row(sampler, slices, mean, std=0.01):
        return {
            "sampler": sampler,
            "k_slices": slices,
            "seeds": [0, 1, 2],
            "test_auc_mean": mean,
            "test_auc_std": std,
        }

    cost = [
        row("das", 7, 0.70),
        row("uniform", 7, 0.80),
        row("dps", 7, 0.75),
        row("das", 14, 0.90, std=0.02),
        row("uniform", 14, 0.89),
        row("full", 28, 0.95),
    ]
    lines = sensitivity.cost_verdict(cost)
    assert "7 slices" in lines[0] and "below" in lines[0] and "uniform, 0.800" in lines[0]
    assert "14 slices" in lines[1] and "within the seed noise" in lines[1]
    assert len(lines) == 2  # gaps of both signs: no "at every cost" summary
    lines = sensitivity.cost_verdict([r for r in cost if r["k_slices"] == 7])
    assert lines[-1].startswith("- DAS is below the best other sampler at every cost tried")


def test_report_groups_runs_by_value(tmp_path, monkeypatch):
    results = [
        _result("das", 0.5, 0, 0.80),
        _result("das", 0.5, 1, 0.90),
        _result("das", 0.5, 0, 0.70, {"heads": 8}),
        _result("das", 0.25, 0, 0.60),
        _result("uniform", 0.5, 0, 0.75),
        _result("full", 0.5, 0, 0.85, k_slices=28),
    ]
    monkeypatch.setattr(common, "collect", lambda with_options=False: results)
    study, cost = sensitivity.write_report(str(tmp_path / "s"), "vessel", "test")
    heads = {r["value"]: r for r in study["heads"]}
    assert heads[4]["seeds"] == [0, 1] and heads[4]["test_auc_mean"] == pytest.approx(0.85)
    assert heads[8]["test_auc_mean"] == pytest.approx(0.70) and heads[1]["seeds"] == []
    assert {(r["sampler"], r["k_slices"]) for r in cost} >= {("das", 7), ("full", 28)}
    assert (tmp_path / "s.png").stat().st_size > 1000
    assert "| 8 | 1 |" in (tmp_path / "s.md").read_text()


def test_comparison_summary_and_readme_section(monkeypatch):
    results = [
        {**_result("das", 0.5, seed, auc), "epochs_run": 5, "max_epochs": 16}
        for seed, auc in ((1, 0.9), (0, 0.7))
    ]
    full = {**_result("full", 0.5, 0, 0.85, k_slices=28), "epochs_run": 5, "max_epochs": 16}
    other_k = {**_result("das", 0.25, 0, 0.6), "epochs_run": 5, "max_epochs": 16}
    adrenal = {**full, "dataset": "adrenal"}
    paper = {**full, "backbone": "paper", "test": {**full["test"], "auc": 0.55}}
    summary = compare_report.summarize([*results, full, other_k, adrenal, paper])
    # the full model joins every k run on its data set, and only there
    assert {"vessel/ours/0.5/full", "vessel/ours/0.25/full", "adrenal/ours/0.5/full"} <= set(
        summary
    )
    assert "adrenal/ours/0.25/full" not in summary
    entry = summary["vessel/ours/0.5/das"]
    assert entry["seeds"] == [0, 1] and entry["test_auc_mean"] == pytest.approx(0.8)
    assert entry["test_auc_std"] == pytest.approx(0.1)
    assert "| das | 14 |" in compare_report.markdown(summary)
    monkeypatch.setattr(
        update_readme,
        "_load",
        lambda name: {"summary": summary} if name == "comparison" else None,
    )
    section = update_readme.section()
    assert section.startswith(update_readme.START) and section.endswith(update_readme.END)
    # a column for each sampler that ran at that k with that backbone, and the full model
    assert "| data set | full | das | recipe |" in section
    assert "| vessel | 0.850 ± 0.000 (1) | 0.800 ± 0.100 (2) | no augmentation |" in section
    # a second table for k = 25%: the full model's row joins it
    assert "k = 25% of T" in section
    assert "| vessel | 0.850 ± 0.000 (1) | 0.600 ± 0.000 (1) |" in section
    # a k = 25% table borrows the full model's k = 50% entry (older reports list it there only)
    only_half = {k: v for k, v in summary.items() if k != "vessel/ours/0.25/full"}
    assert update_readme.comparison_rows(only_half, 0.25)[0].startswith(
        "| vessel | 0.850 ± 0.000 (1) |"
    )
    # a sampler missing on one data set: a dash in its row
    assert update_readme.comparison_rows(summary, 0.5, samplers=["full", "das"])[0].startswith(
        "| adrenal | 0.850 ± 0.000 (1) | - |"
    )
    # the paper backbone's rows: a table of their own (the full model only), after ours
    assert section.index("backbone *paper*") > section.index("k = 25% of T")
    assert "| vessel | 0.550 ± 0.000 (1) | no augmentation |" in section


def _run(sampler, seed, auc, recipe):
    return {**_result(sampler, 0.5, seed, auc), "recipe": recipe, "epochs_run": 4, "max_epochs": 4}


def test_comparison_report_keeps_its_runs_and_replaces_earlier_entries(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "RUNS", str(tmp_path / "runs"))
    output = str(tmp_path / "comparison")
    old, new = {"augment": True}, common.recipe_of("vessel")
    assert old != new  # VesselMNIST3D trains without augmentation
    earlier = compare_report.summarize([_run("das", 0, 0.6, old), _run("uniform", 0, 0.5, old)])
    for entry in earlier.values():
        entry["stored_runs"] = False  # a report written before runs were kept in it
    with open(output + ".json", "w") as f:
        json.dump({"summary": earlier}, f)
    cached = _run("das", 0, 0.9, new)
    folder = common.run_dir("vessel", "ours", 0.5, "das", 0)
    os.makedirs(folder)
    with open(os.path.join(folder, "result.json"), "w") as f:
        json.dump(cached, f)

    summary = compare_report.write_report(output)
    assert summary["vessel/ours/0.5/das"]["test_auc_mean"] == pytest.approx(0.9)
    assert summary["vessel/ours/0.5/uniform"]["test_auc_mean"] == pytest.approx(0.5)
    text = (tmp_path / "comparison.md").read_text()
    assert "| 1 | 4 of 4 | no augmentation |" in text and "| flips, turns |" in text

    # without the cache (a fresh clone) the report rebuilds from the runs it keeps
    (tmp_path / "runs").rename(tmp_path / "elsewhere")
    assert compare_report.write_report(output) == summary

    # a stored run of an older recipe does not mix with the new recipe's runs
    mixed = compare_report.summarize([cached, _run("das", 1, 0.1, old)])
    assert mixed["vessel/ours/0.5/das"]["seeds"] == [0]


def test_comparison_refuses_a_cached_run_of_another_recipe(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "RUNS", str(tmp_path))
    folder = common.run_dir("vessel", "ours", 0.5, "das", 0)
    os.makedirs(folder)
    with open(os.path.join(folder, "result.json"), "w") as f:
        json.dump(_run("das", 0, 0.9, {"augment": True}), f)
    with pytest.raises(RuntimeError, match="move the folder aside"):
        compare.run_one("vessel", "ours", 0.5, "das", 0, str(tmp_path), epochs=1)


def test_tuned_vs_default_report_and_readme_line(tmp_path, monkeypatch):
    best = {
        "best_trial": "03",
        "val_objective": 0.91,
        "num_trials": 8,
        "hyperparameters": {"heads": 2, "tau0": 0.41234, "k": 0.5},
    }
    best["trials"] = [
        {"trial_id": "03", "score": 0.91, "hyperparameters": best["hyperparameters"]},
        {"trial_id": "00", "score": 0.85, "hyperparameters": {"heads": 8, "tau0": 3.0}},
    ]
    options = tuned_vs_default.tuned_options(best)
    assert options == {"heads": 2, "tau0": 0.412}  # the run folder's name stays short
    default = [_result("das", 0.5, s, auc) for s, auc in ((0, 0.7), (1, 0.9))]
    tuned = [_result("das", 0.5, s, 0.85, options) for s in (0, 1)]
    report = {
        "dataset": "vessel",
        "k": 0.5,
        "data_recipe": {"augment": False},
        "trial_epochs": 8,
        "search_command": ["tune", "--dataset", "vessel"],
        "search": best,
        "default": {
            "options": tuned_vs_default.DEFAULT_OPTIONS,
            **tuned_vs_default.summary(default),
        },
        "tuned": {"options": options, **tuned_vs_default.summary(tuned)},
        "command": "python -m benchmarks.tuned_vs_default",
    }
    assert report["default"]["test_auc"] == pytest.approx([0.8, 0.1])
    tuned_vs_default.write_report(str(tmp_path / "tuning"), report)
    text = (tmp_path / "tuning.md").read_text()
    assert "| default (heads = 4, tau0 = 1) | 0.800 ± 0.100 | 0.800 ± 0.100 |" in text
    assert "| tuned (heads = 2, tau0 = 0.412) |" in text and "0.850 / 0.850 |" in text
    assert "benchmarks/compare.py; no augmentation) at k = 0.5" in text
    assert "no measurable gain" in text  # +0.05 is within the default's std of 0.1
    assert text.index("| 03 | 0.910 | 2 | 0.412 |") < text.index("| 00 | 0.850 | 8 | 3 |")
    steady = {**report["default"], "test_auc": [0.80, 0.01]}
    assert "better than the default by +0.050" in tuned_vs_default.verdict(
        steady, {**report["tuned"], "test_auc": [0.85, 0.01]}
    )

    line = "\n".join(update_readme.tuning_lines(report))
    assert "default (heads = 4, tau0 = 1) 0.800 ± 0.100 (2)" in line
    assert "tuned (heads = 2, tau0 = 0.412) 0.850 ± 0.000 (2)" in line
    assert "same recipe for both, no augmentation;" in line
    assert update_readme.tuning_lines({"dataset": "vessel"}) == []  # search not finished


def test_sensitivity_report_keeps_its_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "RUNS", str(tmp_path / "runs"))
    recipe = common.recipe_of("vessel")
    runs = [
        {**_result("das", 0.5, 0, 0.8), "recipe": recipe},
        {**_result("das", 0.5, 0, 0.7, {"tau0": 4.0}), "recipe": recipe},
        {
            **_result("das", 0.5, 1, 0.1, {"tau0": 4.0}),
            "recipe": {"augment": not recipe["augment"]},
        },
        {**_result("random", 0.5, 0, 0.6), "recipe": recipe},  # not a sweep point
    ]
    for run in runs:
        folder = common.run_dir(
            "vessel", "ours", run["k"], run["sampler"], run["seed"], run["options"]
        )
        os.makedirs(folder)
        with open(os.path.join(folder, "result.json"), "w") as f:
            json.dump(run, f)
    output = str(tmp_path / "s")
    study, _ = sensitivity.write_report(output, "vessel", "test")
    kept = json.loads((tmp_path / "s.json").read_text())["runs"]
    assert sorted((r["sampler"], r["options"].get("tau0", 1.0)) for r in kept) == [
        ("das", 1.0),
        ("das", 4.0),
    ]  # the other recipe's run and the run outside the sweep are left out
    # a machine without the run cache rebuilds the same report
    (tmp_path / "runs").rename(tmp_path / "elsewhere")
    assert sensitivity.write_report(output, "vessel", "test")[0] == study


def test_tuned_vs_default_report_only_without_the_run_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "RUNS", str(tmp_path / "runs"))
    search_dir, output = tmp_path / "search", tmp_path / "tuning"
    search_dir.mkdir()
    best = {
        "best_trial": "01",
        "val_objective": 0.9,
        "num_trials": 2,
        "hyperparameters": {"heads": 1, "tau0": 0.2},
    }
    (search_dir / "best.json").write_text(json.dumps(best))
    recipe = common.recipe_of("vessel")
    for options, auc in ((None, 0.8), ({"heads": 1, "tau0": 0.2}, 0.85)):
        for seed in (0, 1):
            folder = common.run_dir("vessel", "ours", 0.5, "das", seed, options)
            os.makedirs(folder)
            run = {**_result("das", 0.5, seed, auc, options), "recipe": recipe}
            with open(os.path.join(folder, "result.json"), "w") as f:
                json.dump(run, f)
    argv = ["--report-only", "--seeds", "0", "1", "--search-dir", str(search_dir)]
    argv += ["--output", str(output)]
    assert tuned_vs_default.main(argv) == 0
    first = json.loads((tmp_path / "tuning.json").read_text())
    assert first["tuned"]["test_auc"] == pytest.approx([0.85, 0.0]) and len(first["runs"]) == 4

    # a fresh clone: no search folder, no run cache; the report's JSON has both
    (search_dir / "best.json").unlink()
    (tmp_path / "runs").rename(tmp_path / "elsewhere")
    assert tuned_vs_default.main(argv) == 0
    again = json.loads((tmp_path / "tuning.json").read_text())
    assert again["default"] == first["default"] and again["tuned"] == first["tuned"]
    (tmp_path / "tuning.json").unlink()
    assert tuned_vs_default.main(argv) == 1  # nothing to report from: says so, no traceback


def test_readme_gpu_speed_table_names_the_device_and_both_ratios():

    def row(sampler, k, speedup):
        return {
            "config": "T64_64x64",
            "input_shape": [64, 64, 64, 1],
            "backbone": "small_cnn",
            "sampler": sampler,
            "k": k,
            "batch": 256,
            "speedup_vs_full": speedup,
        }

    speed = {
        "machine": {"gpu": ["NVIDIA H100"], "backend": "jax"},
        "rows": [row("full", 64, 1.0), row("uniform", 32, 1.9), row("das", 32, 1.8)],
    }
    lines = update_readme.gpu_speed_lines(speed, "speed_gpu")
    assert lines[0].startswith("Inference on NVIDIA H100 (Keras on jax)")
    assert "| (64, 64, 64, 1) | small_cnn | 256 | 1.80x | 1.90x |" in lines
    cpu_only = {**speed, "machine": {"gpu": [], "backend": "tensorflow"}}
    assert update_readme.gpu_speed_lines(cpu_only, "speed") == []


def test_recipe_label_names_switched_and_set_options():
    assert compare_report.recipe_label({"augment": True}) == "flips, turns"
    assert compare_report.recipe_label({"augment": False, "precise_bn": True}) == (
        "no augmentation, precise_bn"
    )
    assert compare_report.recipe_label({"augment": True, "epochs": 24, "precise_bn": False}) == (
        "flips, turns, epochs 24"
    )


def test_readme_train_check_line():
    check = {
        "machine": {"gpu": ["NVIDIA H100"], "backend": "jax"},
        "settings": {"k": 0.25, "epochs": 8},
        "rows": [{"sampler": "das", "test_auc": 1.0}, {"sampler": "uniform", "test_auc": 0.689}],
    }
    (line, _) = update_readme.train_check_lines(check, "train_gpu")
    assert "Keras with jax on NVIDIA H100, without TensorFlow" in line
    assert "test AUC: das 1.000; uniform 0.689" in line
    assert update_readme.train_check_lines(None, "train_gpu") == []
