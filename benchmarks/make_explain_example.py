"""Makes docs/explain_example.png: what a briefly trained DAS model looks at on the synthetic task.

A DAS classifier (k = 8 of T = 32 slices, a small per-slice CNN, as in `das-keras demo`) is trained
for a few epochs on the synthetic set, whose label lives in 2 consecutive slices at a random depth.
The figure is `das_keras.viz.plot_slice_montage` of one test input: all 32 slices, the 8 chosen ones
outlined, the 2 informative ones tagged green, and DAS's attention over the slices beneath.

The input shown is the first test input that the model classifies correctly (pass --index to
show another); the title also gives, over the whole test split, the accuracy and the share of
inputs for which an informative slice was among the chosen ones, so the single example can be
judged against the rest. Also writes the training curves (`das_keras.viz.plot_history`) and the
side-by-side comparison with Uniform at the same k (`das_keras.viz.compare_samplers`) next to it.

Run from the repository root (about 2-4 minutes on 2 CPU cores):

    .venv/bin/python -m benchmarks.make_explain_example
"""

import argparse
import os

import keras
import numpy as np

from das_keras import viz
from das_keras.data.synthetic import CLASS_NAMES, synthetic_arrays
from das_keras.demo import hit_rate
from das_keras.layers import UniformSampler
from das_keras.models import build_classifier, sampler_of, small_cnn


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="docs/explain_example.png")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--num-train", type=int, default=768)
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--index", type=int, default=None, help="test input to show")
    args = parser.parse_args(argv)
    data = {
        split: synthetic_arrays(n, seed=args.seed * 10 + offset)
        for split, n, offset in (("train", args.num_train, 0), ("val", 128, 1), ("test", 256, 2))
    }
    keras.utils.set_random_seed(args.seed)
    shape = data["train"]["x"].shape[1:]
    model = build_classifier(
        shape,
        2,
        sampler="das",
        k=args.k,
        backbone=small_cnn(shape[1:], filters=(16, 32, 64)),
        sampler_kwargs={"seed": args.seed},
    )
    model.compile(
        keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    history = model.fit(
        data["train"]["x"],
        data["train"]["y"],
        batch_size=32,
        epochs=args.epochs,
        validation_data=(data["val"]["x"], data["val"]["y"]),
        callbacks=[
            keras.callbacks.EarlyStopping(
                "val_loss", patience=args.epochs, restore_best_weights=True
            )
        ],
        verbose=2,
    )

    test = data["test"]
    probabilities = model.predict(test["x"], batch_size=64, verbose=0)
    predicted = probabilities.argmax(-1)
    indices, _ = sampler_of(model).select(test["x"], training=False)
    indices = np.asarray(indices)
    accuracy = float(np.mean(predicted == test["y"]))
    hits = hit_rate(indices, test["depth"], 2)
    print(f"test accuracy {accuracy:.3f}; informative slice chosen for {hits:.0%} of test inputs")

    index = args.index
    if index is None:
        index = int(np.flatnonzero(predicted == test["y"])[0]) if accuracy > 0 else 0
    volume, depth, label = test["x"][index], int(test["depth"][index]), int(test["y"][index])
    fig = viz.plot_slice_montage(
        model, volume, highlight=(depth, depth + 1), highlight_label="informative slices"
    )
    truth, guess = CLASS_NAMES[label], CLASS_NAMES[predicted[index]]
    fig.suptitle(
        f"{fig.get_suptitle()}\nSynthetic test input {index}: true {truth}, predicted {guess} "
        f"(p = {probabilities[index].max():.2f}). Whole test split ({len(test['y'])} inputs): "
        f"accuracy {accuracy:.3f},\nan informative slice among the chosen for {hits:.0%} of them "
        f"(DAS trained {len(history.history['loss'])} epochs, best validation loss kept)",
        fontsize=10,
    )
    viz._save(fig, args.output)
    stem = os.path.splitext(args.output)[0]
    viz.compare_samplers(
        {"DAS (trained)": model, "uniform": UniformSampler(k=args.k)},
        volume,
        path=f"{stem}_compare.png",
        thumbnails=2,
        highlight=(depth, depth + 1),
        highlight_label="informative",
    )
    viz.plot_history(history, path=f"{stem}_history.png")
    print(f"wrote {args.output}, {stem}_compare.png and {stem}_history.png (test input {index})")


if __name__ == "__main__":
    main()
