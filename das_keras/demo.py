"""`das-keras demo`: DAS vs DPS vs Uniform on the synthetic task, with a table and a figure."""

import json
import os
import time

import keras
import numpy as np
from tqdm.keras import TqdmCallback

from das_keras import checks
from das_keras.data.synthetic import synthetic_arrays
from das_keras.evaluation import classification_metrics
from das_keras.models import build_classifier, sampler_of, small_cnn
from das_keras.runs import recipe
from das_keras.viz import plot_selections

DEMO_SAMPLERS = ("das", "dps", "uniform")


def run_demo(
    output_dir="das_demo", epochs=12, k=8, num_slices=32, size=32, seed=0, verbose=1, num_train=768
):
    """Trains DAS, DPS and Uniform at the same k on the synthetic set and compares them.

    Each model: the sampler, a small per-slice CNN, max over slices; Adam 1e-3, batch 32; the
    epoch with the lowest validation loss is kept (the test split is used only for the final
    numbers). Writes `results.json` and `selections.png` to `output_dir`.

    Args:
        output_dir: folder for the outputs (created).
        epochs: training epochs per model.
        k: slices kept out of `num_slices`: a count, or a fraction of it.
        num_slices: T of the synthetic volumes.
        size: slice height and width.
        seed: seed of the data and the models.
        verbose: 0 silent, 1 progress lines and the table.
        num_train: training volumes (validation 128, test 256).

    Returns:
        dict: sampler name -> {"balanced_accuracy", "auc", "hit_rate", "sampler_ms_per_volume"}.

    Example:
        >>> results = run_demo("out", epochs=1, num_train=64, verbose=0)  # doctest: +SKIP
    """
    k = checks.resolve_k(k, num_slices)
    os.makedirs(output_dir, exist_ok=True)
    data = {
        split: synthetic_arrays(n, num_slices, size, seed=seed * 10 + offset)
        for split, n, offset in (("train", num_train, 0), ("val", 128, 1), ("test", 256, 2))
    }
    results, selections = {}, {}
    for sampler in DEMO_SAMPLERS:
        keras.utils.set_random_seed(seed)
        start = time.perf_counter()
        model = train_demo_model(sampler, data, k, epochs, seed, progress=bool(verbose))
        probabilities = model.predict(data["test"]["x"], batch_size=64, verbose=0)
        indices = _chosen_indices(model, data["test"]["x"])
        results[sampler] = {
            **classification_metrics(data["test"]["y"], probabilities),
            "hit_rate": hit_rate(indices, data["test"]["depth"], 2),
            "sampler_ms_per_volume": sampler_time_ms(sampler_of(model), data["test"]["x"][:64]),
            "train_seconds": time.perf_counter() - start,
        }
        selections[sampler] = indices
        if verbose:
            print(f"{sampler}: trained in {results[sampler]['train_seconds']:.0f} s", flush=True)
    with open(os.path.join(output_dir, "results.json"), "w") as f:
        json.dump(
            {"k": k, "num_slices": num_slices, "epochs": epochs, "results": results}, f, indent=2
        )
    plot_selections(
        data["test"], selections, num_slices, os.path.join(output_dir, "selections.png")
    )
    if verbose:
        print(format_table(results, k, num_slices))
        print(f"Wrote {output_dir}/results.json and {output_dir}/selections.png")
    return results


def train_demo_model(sampler, data, k, epochs, seed, progress=False):
    """Builds and fits one demo model; returns it with its best-validation-loss weights.

    With `progress`, a tqdm bar counts the epochs (`tqdm.keras.TqdmCallback`).

    Every sampler's model gets precise BatchNorm statistics (`das_keras.batch_norm`) before each
    validation: with 24 steps per epoch the moving averages lag behind the weights and the
    validation loss that picks the epoch swings by 10x between epochs. The compile settings and
    callbacks are the recipe's (`das_keras.runs.recipe`).
    """
    shape = data["train"]["x"].shape[1:]
    model = build_classifier(
        shape,
        2,
        sampler=sampler,
        k=k,
        backbone=small_cnn(shape[1:], filters=(16, 32, 64)),
        aggregation="max",
        sampler_kwargs=recipe.sampler_kwargs(sampler, seed),
    )
    recipe.compile_model(model, learning_rate=1e-3)
    best = keras.callbacks.EarlyStopping("val_loss", patience=epochs, restore_best_weights=True)
    callbacks = [
        # BatchNorm statistics of the current weights before each validation (see batch_norm.py)
        *recipe.recipe_callbacks(data["train"]["x"], epochs, precise_bn=True, precise_bn_batches=8),
        best,
        *([TqdmCallback(verbose=0, desc=sampler)] if progress else []),
    ]
    model.fit(
        data["train"]["x"],
        data["train"]["y"],
        batch_size=32,
        epochs=epochs,
        verbose=0,
        validation_data=(data["val"]["x"], data["val"]["y"]),
        callbacks=callbacks,
    )
    return model


def hit_rate(indices, depths, structure_slices):
    """Fraction of inputs where at least one chosen slice is an informative one."""
    indices = np.asarray(indices)
    depths = np.asarray(depths)[:, None]
    hits = (indices >= depths) & (indices < depths + structure_slices)
    return float(np.mean(hits.any(axis=1)))


def sampler_time_ms(sampler_layer, volumes, repeats=7):
    """Median inference time of the sampler alone, in milliseconds per volume."""
    inputs = keras.Input(volumes.shape[1:])
    model = keras.Model(inputs, sampler_layer(inputs))
    model.predict_on_batch(volumes)  # trace once
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict_on_batch(volumes)
        times.append(time.perf_counter() - start)
    return 1000.0 * float(np.median(times)) / len(volumes)


def _chosen_indices(model, volumes):
    indices, _ = sampler_of(model).select(volumes, training=False)
    return np.asarray(indices)


def format_table(results, k, num_slices):
    """The demo's results as a Markdown table."""
    lines = [
        f"Synthetic task, k = {k} of T = {num_slices} slices (test split)",
        "",
        "| sampler | balanced acc. | AUC | inputs where an informative slice was chosen "
        "| sampler ms / volume |",
        "|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['balanced_accuracy']:.3f} | {r['auc']:.3f} | {r['hit_rate']:.0%} "
            f"| {r['sampler_ms_per_volume']:.3f} |"
        )
    return "\n".join(lines)
