"""Generates the Colab tutorials (tutorials/*.ipynb) from the Python source below, and runs them.

The notebooks are written from this file, so that they can be reviewed as ordinary source and
regenerated at will; their saved outputs come from a real execution (`--execute`), never typed.

    python tutorials/make_notebooks.py                        # rewrite all five from this file
    python tutorials/make_notebooks.py --execute              # ... and run them, saving outputs
    python tutorials/make_notebooks.py --execute --fast 03    # run one, in fast mode

Without `--execute`, a notebook whose code cells are unchanged keeps its saved outputs (a change
in the text only does not make them stale); any change in code drops them. With `--execute`
each notebook runs top to bottom in a fresh kernel of this Python (the one running this script),
in a temporary working folder, with

    DAS_KERAS_FAST   "1" with --fast: one epoch on a few batches (what the test suite runs)
    DAS_KERAS_DATA   folder of the MedMNIST3D files; default ../shared/data/medmnist3d beside the
                     checkout where it exists (else the loader's default, which downloads)
    DAS_KERAS_POCUS  folder with pocus_videos/ and dataset_metadata.csv; default
                     ../shared/data/pocus beside the checkout where it exists

The mode and the run time are stored in the notebook's metadata ("das_keras").
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
# The GitHub organisation is not decided yet: "das-keras/das-keras" is a placeholder.
REPO = "das-keras/das-keras"
COLAB_URL = "https://colab.research.google.com/github/{repo}/blob/main/tutorials/{file}"
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
PIP_EXTRAS = "video,tuning,export"
KERNEL_NAME = "das-keras-tutorials"
CELL_TIMEOUT = 1200


# ------------------------------------------------------------------------------ cell helpers


def md(text):
    return ("markdown", _clean(text))


def code(text):
    return ("code", _clean(text))


def _clean(text):
    import textwrap

    return textwrap.dedent(text).strip("\n")


def header(file, title, intro):
    url = COLAB_URL.format(repo=REPO, file=file)
    return md(f"# {title}\n\n[![Open In Colab]({BADGE})]({url})\n\n" + _clean(intro))


def install(extra_lines=""):
    """The install cell: runs pip only in Colab (elsewhere it does nothing)."""
    cells = [
        md(
            """
            ## Install

            In Colab this installs das-keras with the extras the tutorials use (`video`: clip
            decoding, `tuning`: keras-tuner, `export`: tf2onnx and ONNX Runtime). Colab already has
            TensorFlow, so the `cpu` extra (which brings `tensorflow-cpu`) is added only where no
            TensorFlow is installed: two TensorFlow packages side by side break each other.
            Outside Colab the cell does nothing: install das-keras yourself first, e.g.
            `pip install "das-keras[cpu,video,tuning,export]"`.
            """
        ),
        code(
            # `os` where the Colab-only lines below use it
            (
                "import importlib.util\nimport os\nimport sys"
                if "os." in extra_lines
                else "import importlib.util\nimport sys"
            )
            + "\n\n"
            + _clean(
                f"""
                IN_COLAB = "google.colab" in sys.modules
                if IN_COLAB:
                    extras = "{PIP_EXTRAS}"
                    if importlib.util.find_spec("tensorflow") is None:
                        extras = "cpu," + extras
                    get_ipython().run_line_magic("pip", f'install -q "das-keras[{{extras}}]"')
                """
            )
            + ("\n\n" + _clean(extra_lines) if extra_lines else "")
        ),
    ]
    return cells


SETUP = code(
    """
    import os
    import warnings

    import keras
    import numpy as np

    import das_keras as dk

    # DAS_KERAS_FAST=1 (set by the test suite) shrinks epochs and data to a smoke test.
    FAST = os.environ.get("DAS_KERAS_FAST") == "1"
    # Keras warns that fit(shuffle=True) is ignored for a tf.data.Dataset: our pipelines shuffle.
    warnings.filterwarnings("ignore", message="`shuffle=True` was passed")
    keras.utils.set_random_seed(0)
    get_ipython().run_line_magic("matplotlib", "inline")  # figures appear below the cells
    backend = keras.backend.backend()
    print(f"das-keras {dk.__version__}, Keras {keras.__version__}, backend {backend}")
    print("fast mode (smoke test, numbers meaningless)" if FAST else "normal mode")
    """
)


# ------------------------------------------------------------------------------ 1 quickstart


def quickstart():
    file = "01_quickstart.ipynb"
    return file, [
        header(
            file,
            "Quickstart: `model.fit` with a DASLayer on VesselMNIST3D",
            """
            A 3D scan is a stack of T two-dimensional slices. A slice classifier runs a 2D network
            on the slices and pools what it sees; the cheapest ones look at a fixed subset of the
            slices (every second one, say). **DAS** (*Deep Attention-guided Adaptive Subsampling*,
            Shankaranarayana et al., 2025) chooses instead, **for each scan**, which k of the T
            slices the 2D network looks at, from cheap per-slice descriptors (intensity variance,
            change between neighbouring slices, edge strength). The choice is learned end to end
            with the classifier.

            In this notebook you will

            1. load **VesselMNIST3D** (28 x 28 x 28 MRA patches of brain vessels; label: healthy
               vessel segment or aneurysm),
            2. build a classifier with a `dk.DASLayer` that keeps k = 14 of the 28 slices,
            3. train it with `model.fit`, weighting the rare aneurysm class,
            4. measure balanced accuracy and AUC on the held-out test split,
            5. look at which slices DAS chose, and save the model.

            A CPU runtime is enough: in normal mode the notebook takes a few minutes.
            """,
        ),
        *install(),
        md(
            """
            ## Setup

            `FAST` is for the project's test suite, which runs every tutorial with
            `DAS_KERAS_FAST=1`: one epoch on a few batches, only to check that the code runs. Leave
            it unset; with it, the numbers below mean nothing.
            """
        ),
        SETUP,
        md(
            """
            ## The data

            VesselMNIST3D is one of the MedMNIST v3 3D sets (CC BY 4.0), derived from the IntrA
            data set of intracranial aneurysms: 1,908 volumes of 28^3 voxels with official
            train / validation / test splits. `dk.data.medmnist3d` reads the official `.npz` file
            and checks its MD5. It looks in the folder named by the environment variable
            `DAS_KERAS_DATA`, else in `~/.das_keras/datasets`, and downloads the file from Zenodo
            (about 25 MB) when it is not there, as in a fresh Colab runtime.

            Each element is a volume of shape (T, H, W, C) = (28, 28, 28, 1) with values in [0, 1]:
            the first axis is read as the slice sequence. The training split is augmented with
            random flips and 90-degree turns.
            """
        ),
        code(
            """
            info = dk.data.medmnist3d_info("vessel")
            print("classes:", info["label_names"])
            print("volumes per split:", info["n_samples"])

            train_ds = dk.data.medmnist3d("vessel", "train", batch_size=32, augment=True, seed=0)
            val_ds = dk.data.medmnist3d("vessel", "val", batch_size=64)
            test_ds = dk.data.medmnist3d("vessel", "test", batch_size=64)
            if FAST:
                train_ds, val_ds, test_ds = train_ds.take(3), val_ds.take(1), test_ds.take(2)

            volumes, labels = next(iter(train_ds))
            print("one training batch:", volumes.shape, volumes.dtype, "labels", labels.shape)
            """
        ),
        md(
            """
            Aneurysms are rare: about one training volume in nine. A model that always answers
            "healthy vessel" is right 89% of the time, so we (a) weight the loss by inverse class
            frequency (`class_weight`, scikit-learn's "balanced" rule) and (b) report **balanced
            accuracy** (the mean of the per-class recalls: 0.5 for any constant answer) and the
            **AUC** (area under the ROC curve) rather than plain accuracy.
            """
        ),
        code(
            """
            _, train_labels = dk.data.load_medmnist3d_arrays("vessel", "train")
            class_weight = dk.data.class_weights("vessel")
            print("training volumes per class:", np.bincount(train_labels).tolist())
            print("class weights:", {c: round(w, 3) for c, w in class_weight.items()})
            """
        ),
        md(
            """
            ## The model

            The sampler sits in front of an ordinary per-slice 2D network:

            * `dk.DASLayer(k=14)` takes the volume (B, 28, 28, 28, 1) and returns the 14 slices it
              chose, (B, 14, 28, 28, 1), in slice order. `heads` and `tau0` are the number of
              attention heads and the base temperature of the selection (notebook 3 tunes them).
              During training it draws the slices with Gumbel noise (so that it explores) and
              passes gradients through a straight-through estimator; at inference it takes the
              14 highest-scoring slices, deterministically.
            * `FoldSlices` moves the slices into the batch, so that `small_cnn` (three
              Conv-BatchNorm-ReLU blocks) embeds all B x 14 slices in one call; `UnfoldSlices`
              regroups them per volume, and the embeddings are averaged over the slices.

            We name the sampler layer `"sampler"`: the plotting helpers in `dk.viz` look for it.
            `dk.models.build_classifier((28, 28, 28, 1), 2, sampler="das", k=14,
            backbone="small_cnn")` builds the same kind of model in one call.
            """
        ),
        code(
            """
            T, K = 28, 14
            inputs = keras.Input((T, 28, 28, 1), name="volume")
            slices = dk.DASLayer(k=K, heads=4, tau0=1.0, seed=0, name="sampler")(inputs)
            x = dk.models.FoldSlices()(slices)  # (B * K, 28, 28, 1)
            x = dk.models.small_cnn((28, 28, 1))(x)  # (B * K, 128)
            x = dk.models.UnfoldSlices(K)(x)  # (B, K, 128)
            x = keras.layers.GlobalAveragePooling1D()(x)  # (B, 128)
            x = keras.layers.Dropout(0.2)(x)
            outputs = keras.layers.Dense(2, activation="softmax")(x)
            model = keras.Model(inputs, outputs, name="das_quickstart")
            print(
                f"{model.count_params():,} parameters, "
                f"of which the DAS sampler: {model.get_layer('sampler').count_params():,}"
            )
            """
        ),
        md(
            """
            ## Training

            Adam at 1e-3 with the class weights. The validation split chooses the epoch: the
            checkpoint keeps the weights of the epoch with the lowest validation loss, and they are
            loaded back after training. (The validation split is small, 191 volumes of which 22
            aneurysms, so its numbers jump from epoch to epoch.) `EPOCHS` is kept small so that
            the notebook runs in a few minutes on a CPU; train longer (30 epochs, say) for a
            better model.
            """
        ),
        code(
            """
            EPOCHS = 1 if FAST else 6
            model.compile(
                keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"]
            )
            checkpoint = keras.callbacks.ModelCheckpoint(
                "quickstart_best.weights.h5",
                monitor="val_loss",
                save_best_only=True,
                save_weights_only=True,
            )
            history = model.fit(
                train_ds,
                validation_data=val_ds,
                epochs=EPOCHS,
                class_weight=class_weight,
                callbacks=[checkpoint],
                verbose=2,
            )
            model.load_weights("quickstart_best.weights.h5")
            """
        ),
        code(
            """
            dk.viz.plot_history(history, metrics=("loss", "accuracy"))
            """
        ),
        md(
            """
            ## Test-set evaluation

            The test split is used once, here. `dk.evaluation.classification_metrics` computes the
            balanced accuracy (at the arg-max class) and the AUC of the aneurysm probability with
            scikit-learn. Only 43 of the 382 test volumes are aneurysms, so these numbers are
            uncertain: compare models over several training seeds, not one run.
            """
        ),
        code(
            """
            from sklearn.metrics import confusion_matrix

            test_volumes = np.concatenate([x.numpy() for x, _ in test_ds])
            test_labels = np.concatenate([y.numpy() for _, y in test_ds])
            probabilities = model.predict(test_volumes, batch_size=64, verbose=0)
            metrics = dk.evaluation.classification_metrics(test_labels, probabilities)
            print(f"test volumes: {metrics['num_samples']}")
            print(f"balanced accuracy: {metrics['balanced_accuracy']:.3f}")
            print(f"AUC:               {metrics['auc']:.3f}")
            print("confusion matrix (rows: true vessel / aneurysm, columns: predicted):")
            print(confusion_matrix(test_labels, probabilities.argmax(1), labels=[0, 1]))
            """
        ),
        md(
            """
            A short run gives a modest model. The AUC measures how well the predicted
            probabilities rank aneurysms above healthy vessels at every threshold; the balanced
            accuracy uses the fixed threshold 0.5 (the arg-max), and stays near 0.5 when the
            chosen epoch rarely predicts "aneurysm" (see the confusion matrix). Longer training,
            a threshold chosen on the validation split, or 1D-convolution aggregation over the
            slices (`build_classifier(..., aggregation="conv1d")`) are the usual next steps.

            ## Which slices did DAS choose?

            `sampler.select(x)` returns the chosen slice indices (B, k), ascending, and the
            sampling matrix P (B, k, T). First, over the whole test split: how often each slice
            position was chosen, and how many different selections DAS made. A static sampler
            would make one selection for every volume.
            """
        ),
        code(
            """
            import matplotlib.pyplot as plt

            sampler = model.get_layer("sampler")
            indices, _ = sampler.select(test_volumes, training=False)
            indices = keras.ops.convert_to_numpy(indices)
            distinct = len({tuple(row) for row in indices})
            print(f"{distinct} different selections of {K} slices, {len(indices)} test volumes")

            counts = np.bincount(indices.ravel(), minlength=T) / len(indices)
            fig, ax = plt.subplots(figsize=(8, 2.8))
            ax.bar(np.arange(T), counts, color="#ff7f0e")
            ax.axhline(K / T, color="gray", ls="--", lw=1, label=f"k / T = {K / T:.2f}")
            ax.set_xlabel("slice index t")
            ax.set_ylabel("fraction of test volumes")
            ax.set_title("How often DAS chose each slice (test split)")
            ax.legend()
            plt.show()
            """
        ),
        md(
            """
            Then one test volume with an aneurysm: all 28 slices, the chosen ones outlined, and
            beneath them the DAS attention over the slices (for display, a softmax over T of the
            base attention the layer computes from the slice descriptors).
            """
        ),
        code(
            """
            i = int(np.flatnonzero(test_labels == 1)[0])
            print(
                f"test volume {i}: label {info['label_names'][test_labels[i]]}, "
                f"predicted aneurysm probability {probabilities[i, 1]:.2f}"
            )
            dk.viz.plot_slice_montage(model, test_volumes[i], max_columns=14)
            """
        ),
        md(
            """
            Side by side with a static `UniformSampler` (every second slice) on the same volume:
            """
        ),
        code(
            """
            dk.viz.compare_samplers(
                {"DAS (trained)": model, "uniform": dk.UniformSampler(k=K)},
                test_volumes[i],
                thumbnails=4,
            )
            """
        ),
        md(
            """
            ## Save and reload

            The model is an ordinary functional Keras model: `model.save` writes a `.keras` file,
            and `keras.models.load_model` reads it back once `das_keras` is imported (importing it
            registers the sampler layers). Inference is deterministic, so the reloaded model gives
            the same probabilities.
            """
        ),
        code(
            """
            model.save("das_vessel_quickstart.keras")
            reloaded = keras.models.load_model("das_vessel_quickstart.keras")
            difference = np.abs(reloaded.predict(test_volumes[:16], verbose=0) - probabilities[:16])
            print(f"largest difference after reloading: {difference.max():.2e}")
            """
        ),
        md(
            """
            ## Next

            * Compare samplers: replace `dk.DASLayer(...)` with `dk.DPSLayer(k=K)`,
              `dk.UniformSampler(k=K)` or `dk.RandomSampler(k=K)` and train again.
            * The command line does the whole run with resuming and logging:
              `das-keras train --dataset vessel --sampler das --k 0.5 --output runs/vessel`.
            * Notebook 2 loads pretrained models, notebook 3 tunes heads, tau0 and k, notebook 4
              works on ultrasound videos, notebook 5 exports to ONNX.
            """
        ),
    ]


# ------------------------------------------------------------------------------ 2 zoo


def pretrained_zoo():
    file = "02_pretrained_zoo.ipynb"
    return file, [
        header(
            file,
            "Pretrained models from the das-keras zoo",
            """
            The zoo holds trained classifiers ("presets"), each a folder with three files:

            * `config.json`: the Keras model (sampler, backbone, head),
            * `model.weights.h5`: its weights,
            * `metadata.json`: the data set, the training recipe, the **test-set metrics** it
              reached, the license of its training data and the SHA-256 of the weights file
              (checked on every load).

            In this notebook you will list the presets, load one, check its test-set numbers
            yourself, see which slices it chooses and why, fine-tune it, and save the result as a
            preset of your own.
            """,
        ),
        *install(
            """
            # The presets live in the zoo/ folder of the das-keras repository: fetch it in Colab.
            if IN_COLAB and not os.environ.get("DAS_KERAS_ZOO"):
                url = "https://github.com/{REPO}"
                get_ipython().system(f"git clone -q --depth 1 {url} das-keras-src")
                os.environ["DAS_KERAS_ZOO"] = "das-keras-src/zoo"
            """.replace("{REPO}", REPO)
        ),
        SETUP,
        md(
            """
            ## What is in the zoo

            `dk.zoo.list_presets()` lists the presets found in the folders of the environment
            variable `DAS_KERAS_ZOO` and in the `zoo/` folder of the das-keras source tree.
            """
        ),
        code(
            """
            presets = dk.zoo.list_presets()
            print(f"{'preset':24s} {'data set':10s} {'sampler':7s} {'k':>3s} {'test AUC':>8s}")
            for name in presets:
                meta = dk.zoo.load_metadata(name)
                auc = meta["test_metrics"].get("auc", float("nan"))
                k = meta.get("k", "-")
                print(f"{name:24s} {meta['dataset']:10s} {meta['sampler']:7s} {k:>3} {auc:8.3f}")
                print(f"{'':24s} license: {meta['license']}")
            """
        ),
        md(
            """
            We use the VesselMNIST3D DAS preset where the zoo has it, else the one trained on the
            synthetic demo task (volumes of 32 slices in which only 2 consecutive slices, at a
            random depth, show the object that decides the label: a square or a cross).
            """
        ),
        code(
            """
            VESSEL = "das_vesselmnist3d_28"
            PRESET = VESSEL if VESSEL in presets else "das_synthetic"
            meta = dk.zoo.load_metadata(PRESET)
            print(PRESET, "-", meta["description"])
            shown = ("dataset", "input_shape", "class_names", "sampler", "k", "split_sizes")
            for key in (*shown, "test_metrics", "license"):
                print(f"  {key}: {meta[key]}")
            recipe = ("backbone", "aggregation", "epochs_run", "learning_rate", "seed")
            print("  recipe:", {key: meta["recipe"][key] for key in recipe})
            """
        ),
        md(
            """
            ## Load it

            `dk.zoo.load` checks the weights' SHA-256 against `metadata.json`, builds the model
            and loads the weights. The result is an ordinary compiled `keras.Model`: call
            `predict`, `fit`, `save` or export it like any other.
            """
        ),
        code(
            """
            model = dk.zoo.load(PRESET)
            sampler = model.get_layer("sampler")
            print(
                f"{model.name}: input {model.input_shape}, output {model.output_shape}, "
                f"{model.count_params():,} parameters"
            )
            print(f"sampler: {type(sampler).__name__} keeping k = {sampler.num_selected} slices")
            """
        ),
        md(
            """
            ## Check its test-set numbers

            `dk.training.evaluate_run` loads the test split of the preset's data set (for
            MedMNIST3D sets from `DAS_KERAS_DATA` or by download) and computes balanced accuracy and
            AUC. They should match the `test_metrics` stored in the metadata.
            """
        ),
        code(
            """
            before = dk.training.evaluate_run(model, meta["dataset"], "test")
            print(f"test volumes: {before['num_samples']}")
            for key in ("balanced_accuracy", "auc"):
                stored = meta["test_metrics"][key]
                print(f"{key:18s} now {before[key]:.4f}   in metadata.json {stored:.4f}")
            """
        ),
        md(
            """
            ## Explain a prediction

            Which slices does the model look at? We take test volumes, pick one of the last class
            (aneurysm, or cross), and draw

            * `dk.viz.plot_slice_montage`: every slice, the chosen ones outlined in orange, and the
              DAS attention over the slices beneath;
            * `dk.viz.compare_samplers`: the slices that DAS, a `UniformSampler` and a
              `RandomSampler` with the same k would keep.

            For the synthetic task we also know where the object is (the data generator returns
            its depth): those slices carry a green tag.
            """
        ),
        code(
            """
            splits = dk.training.load_splits(meta["dataset"], batch_size=32)
            test_volumes, test_labels = (t.numpy() for t in next(iter(splits.test)))
            i = int(np.flatnonzero(test_labels == meta["num_classes"] - 1)[0])
            volume = test_volumes[i]
            probability = model.predict(volume[None], verbose=0)[0]
            print(
                f"test volume {i}: label {meta['class_names'][test_labels[i]]}, "
                f"predicted probabilities {[round(float(p), 3) for p in probability]}"
            )

            highlight = None
            if meta["dataset"] == "synthetic":
                # the synthetic test split is generated from seed 2; "depth": the object's slice
                depth = int(dk.data.synthetic_arrays(256, seed=2)["depth"][i])
                highlight = [depth, depth + 1]
                print("the object is in slices", highlight)
            dk.viz.plot_slice_montage(model, volume, highlight=highlight, highlight_label="object")
            """
        ),
        code(
            """
            k = sampler.num_selected
            dk.viz.compare_samplers(
                {
                    f"{PRESET}": model,
                    "uniform": dk.UniformSampler(k=k),
                    "random": dk.RandomSampler(k=k, seed=0),
                },
                volume,
                thumbnails=3,
                highlight=highlight,
                highlight_label="object",
            )
            """
        ),
        md(
            """
            ## Fine-tune

            A preset is a starting point for your own data: continue training with a smaller
            learning rate (here 1e-4) on volumes of the same shape. For the demonstration we
            continue on the preset's own training split for a few steps, then evaluate again; with
            your data, replace `splits.train` and `splits.val` by your `tf.data` pipelines of
            (volume, label).
            """
        ),
        code(
            """
            STEPS = 2 if FAST else 20
            model.compile(
                keras.optimizers.Adam(1e-4), "sparse_categorical_crossentropy", metrics=["accuracy"]
            )
            model.fit(
                splits.train.take(STEPS),
                validation_data=splits.val.take(1) if FAST else splits.val,
                epochs=1,
                class_weight=splits.class_weight,
                verbose=2,
            )
            after = dk.training.evaluate_run(model, meta["dataset"], "test")
            for key in ("balanced_accuracy", "auc"):
                print(f"{key:18s} before {before[key]:.4f}   after {STEPS} steps {after[key]:.4f}")
            """
        ),
        md(
            """
            ## Save it as a preset of your own

            `dk.zoo.save` writes the three files; `metadata` needs at least the name, the data
            set, the input shape, the sampler, the test metrics and the license of the training
            data. Load it back by folder (or put the folder in `DAS_KERAS_ZOO` and load it by
            name).
            """
        ),
        code(
            """
            mine = dk.zoo.save(
                model,
                "my_presets/finetuned",
                {
                    "name": "finetuned",
                    "description": f"{PRESET}, fine-tuned for {STEPS} steps",
                    "dataset": meta["dataset"],
                    "input_shape": meta["input_shape"],
                    "class_names": meta["class_names"],
                    "sampler": meta["sampler"],
                    "k": k,
                    "test_metrics": {key: after[key] for key in ("balanced_accuracy", "auc")},
                    "license": meta["license"],
                },
            )
            print(sorted(os.listdir("my_presets/finetuned")))
            print("weights sha256:", mine["weights_sha256"][:16], "...")
            again = dk.zoo.load("my_presets/finetuned")
            print(
                "same outputs after reloading:",
                np.allclose(
                    again.predict(test_volumes, verbose=0),
                    model.predict(test_volumes, verbose=0),
                    atol=1e-6,
                ),
            )
            """
        ),
        md(
            """
            ## Next

            * From the command line: `das-keras zoo` lists the presets, `das-keras evaluate
              --preset NAME` reproduces their test numbers, `das-keras explain --preset NAME ...`
              draws the figures above, `das-keras export --preset NAME` writes ONNX (notebook 5).
            * Mind each preset's `license`: it follows the license of its training data.
            """
        ),
    ]


# ------------------------------------------------------------------------------ 3 tuning


def tuning():
    file = "03_tuning.ipynb"
    return file, [
        header(
            file,
            "Tuning DAS: heads, tau0 and k with keras-tuner",
            """
            Three settings of a `DASLayer` matter most:

            * **k**, how many of the T slices the classifier looks at (cost against information),
            * **heads**, the number of attention heads that score the slices,
            * **tau0**, the base temperature of the selection: low values make the training-time
              selection close to a hard top-k, high values let it explore.

            `dk.tuning.DASHyperModel` turns them (and optionally the learning rate, the backbone
            width, the aggregation over slices, ...) into a keras-tuner search space, and
            `dk.tuning.make_tuner` wraps it in a `RandomSearch`, `BayesianOptimization` or
            `Hyperband` tuner. The objective is the validation AUC. Here we run a **tiny** search
            on VesselMNIST3D (a few trials of two epochs each) to show the mechanics; a useful
            search runs tens of trials for 15-30 epochs each (GPU recommended).
            """,
        ),
        *install(),
        SETUP,
        md(
            """
            ## Data

            VesselMNIST3D as in notebook 1 (files from `DAS_KERAS_DATA` or downloaded). The search
            chooses on the **validation** split; the test split is used once, for the best model.
            """
        ),
        code(
            """
            train_ds = dk.data.medmnist3d("vessel", "train", batch_size=32, augment=True, seed=0)
            val_ds = dk.data.medmnist3d("vessel", "val", batch_size=64)
            test_ds = dk.data.medmnist3d("vessel", "test", batch_size=64)
            if FAST:
                train_ds, val_ds, test_ds = train_ds.take(2), val_ds.take(1), test_ds.take(1)
            class_weight = dk.data.class_weights("vessel")
            """
        ),
        md(
            """
            ## The search space

            A single value fixes a hyperparameter; a list is a choice; a `(low, high)` tuple is a
            log-uniform range (for the continuous ones). The constructor checks every range
            before any trial runs (e.g. k above T raises an error at once).
            """
        ),
        code(
            """
            hypermodel = dk.tuning.DASHyperModel(
                input_shape=(28, 28, 28, 1),
                num_classes=2,
                heads=[1, 2, 4],
                tau0=(0.3, 3.0),
                k=[7, 14],
                seed=0,
            )
            print("tuned:", hypermodel.tuned_names, "- objective:", hypermodel.objective.name)
            """
        ),
        md(
            """
            ## Run the search

            `make_tuner` puts the search in `directory/project_name`. With `overwrite=False` (the
            default) running the same search again continues it: finished trials are kept and an
            interrupted one runs again. Here `overwrite=True` starts afresh each time the notebook
            runs.
            """
        ),
        code(
            """
            MAX_TRIALS = 2 if FAST else 3
            EPOCHS = 1 if FAST else 2
            tuner = dk.tuning.make_tuner(
                hypermodel,
                "random",
                directory="das_tune",
                project_name="vessel",
                max_trials=MAX_TRIALS,
                seed=0,
                overwrite=True,
            )
            tuner.search(
                train_ds,
                validation_data=val_ds,
                epochs=EPOCHS,
                class_weight=class_weight,
                verbose=2,
            )
            """
        ),
        md(
            """
            ## Results

            `dk.tuning.trial_summary` gives the best trial and any failures; the table lists all
            trials, best first. With two epochs per trial and a validation split of 191 volumes
            the ranking is noisy: it shows how to run a search, not which configuration is best.
            """
        ),
        code(
            """
            summary = dk.tuning.trial_summary(tuner)
            print(
                f"{summary['num_completed']} of {summary['num_trials']} trials completed; "
                f"objective {summary['objective']} ({summary['direction']})"
            )
            best = summary["best"]
            print(f"best: trial {best['trial_id']}, val AUC {best['score']:.3f}")
            for name, value in best["hyperparameters"].items():
                fixed = "" if name in hypermodel.tuned_names else "  (fixed)"
                print(
                    f"  {name:13s} {value:.3g}{fixed}"
                    if isinstance(value, float)
                    else f"  {name:13s} {value}{fixed}"
                )
            if summary["failures"]:
                print("failures:", summary["failures"])

            print()
            print(f"{'trial':>5s} {'heads':>5s} {'tau0':>6s} {'k':>3s} {'val AUC':>8s}")
            trials = sorted(
                tuner.oracle.trials.values(),
                key=lambda t: -1 if t.score is None else t.score,
                reverse=True,
            )
            for trial in trials:
                hp = trial.hyperparameters.values
                score = float("nan") if trial.score is None else trial.score
                row = f"{hp['heads']:5d} {hp['tau0']:6.2f} {hp['k']:3d} {score:8.3f}"
                print(f"{trial.trial_id:>5s} {row}")
            """
        ),
        md(
            """
            ## The best model on the test split

            `tuner.get_best_models` reloads the best trial's model (with the weights it had at the
            end of its trial). A real workflow would now retrain the best configuration for more
            epochs (`tuner.hypermodel.build(best_hp)` and `fit`) before testing.
            """
        ),
        code(
            """
            # the reloaded model is for inference: Keras warns that its optimizer state is not
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            best_hp = tuner.get_best_hyperparameters(1)[0]
            best_model = tuner.get_best_models(1)[0]
            test_volumes = np.concatenate([x.numpy() for x, _ in test_ds])
            test_labels = np.concatenate([y.numpy() for _, y in test_ds])
            probabilities = best_model.predict(test_volumes, batch_size=64, verbose=0)
            metrics = dk.evaluation.classification_metrics(test_labels, probabilities)
            print(
                f"best configuration: heads {best_hp.get('heads')}, "
                f"tau0 {best_hp.get('tau0'):.2f}, k {best_hp.get('k')}"
            )
            print(
                f"test balanced accuracy {metrics['balanced_accuracy']:.3f}, "
                f"AUC {metrics['auc']:.3f} ({metrics['num_samples']} volumes)"
            )
            """
        ),
        md(
            """
            ## Next

            * The same search from the command line, resumable, with the best model evaluated on
              the test split and optionally saved as a zoo preset:
              `das-keras tune --dataset vessel --tuner bayesian --trials 20 --epochs 15
              --k 7,14 --heads 1,2,4 --tau0 0.3:3 --output runs/tune_vessel`.
            * Several machines or processes can share one search (keras-tuner's chief / worker
              mode): see `help(dk.tuning)`.
            """
        ),
    ]


# ------------------------------------------------------------------------------ 4 video


def ultrasound_video():
    file = "04_ultrasound_video.ipynb"
    return file, [
        header(
            file,
            "Ultrasound videos: BUSV and POCUS clips",
            """
            A video clip is a sequence of T frames, (T, H, W, C), just like a volume's slices: the
            same samplers choose which k frames the classifier looks at. In ultrasound this is
            natural, since the few frames that show the finding (a lesion's margin, B-lines,
            a consolidation) matter more than the many that do not.

            This notebook covers

            1. **BUSV** (breast-ultrasound videos, Lin et al., MICCAI 2022): its published folder
               layout and `dk.data.busv`, demonstrated on a **fake** folder that this notebook
               generates (the real data cannot be downloaded automatically);
            2. any folder of clips with `dk.data.video_folder`;
            3. **POCUS** lung-ultrasound clips (COVID-19 / bacterial pneumonia / healthy) with
               `dk.data.pocus`: a short DAS training run and the frames it chose.
            """,
        ),
        *install(),
        SETUP,
        md(
            """
            ## 1. BUSV: the published layout

            BUSV is released with CVA-Net (https://github.com/jhl-Det/CVA-Net) through Baidu Pan /
            Google Drive, so it has to be downloaded by hand. `dk.data.busv(root, split)` expects
            the layout of that release:

            ```
            BUSV/
            ├── rawframes/
            │   ├── benign/
            │   │   ├── <video_id>/000000.png, 000001.png, ...
            │   │   └── ...
            │   └── malignant/
            │       └── <video_id>/000000.png, ...
            ├── imagenet_vid_train_15frames.json   (COCO-VID: the training videos)
            └── imagenet_vid_val.json              (COCO-VID: the validation videos)
            ```

            The class is the parent folder (benign = 0, malignant = 1). The published protocol
            has no separate test split: `split="test"` is the validation videos. The published
            errata are applied by default: `benign/x66ef02e7f1b9a0ef` (a duplicate of a malignant
            video) is dropped, and `benign/x63c9ba1377f35bf6` and `benign/x5a1c46ec6377e946` are
            relabelled malignant.

            ### A fake BUSV folder (layout demonstration only)

            The next cell writes a **fake** BUSV folder into a temporary directory: random noise
            frames with a dark blob, nothing from the real data set. It only shows what the loader
            reads. Two of its video ids are errata ids, so that you can see the errata at work.
            """
        ),
        code(
            """
            import json
            import tempfile
            from pathlib import Path

            from PIL import Image

            fake_busv = Path(tempfile.mkdtemp(prefix="FAKE_busv_"))
            rng = np.random.default_rng(0)
            fake_videos = {
                "train": [
                    "benign/xfake000000000001",
                    "benign/x66ef02e7f1b9a0ef",  # an errata id: dropped
                    "malignant/xfake000000000002",
                    "malignant/xfake000000000003",
                ],
                "val": [
                    "benign/xfake000000000004",
                    "benign/x63c9ba1377f35bf6",  # an errata id: relabelled malignant
                    "malignant/xfake000000000005",
                ],
            }
            split_files = {
                "train": "imagenet_vid_train_15frames.json",
                "val": "imagenet_vid_val.json",
            }


            def write_fake_video(name, num_frames=20, size=(48, 64)):
                folder = fake_busv / "rawframes" / name
                folder.mkdir(parents=True)
                yy, xx = np.mgrid[: size[0], : size[1]]
                for t in range(num_frames):  # noise with a dark blob that grows and shrinks
                    radius = 6 + 5 * np.sin(np.pi * t / num_frames)
                    frame = 150 + 40 * rng.standard_normal(size)
                    frame[(yy - size[0] / 2) ** 2 + (xx - size[1] / 2) ** 2 < radius**2] = 40
                    image = Image.fromarray(np.clip(frame, 0, 255).astype("uint8"))
                    image.save(folder / f"{t:06d}.png")
                return num_frames


            for split, names in fake_videos.items():
                coco = {"videos": [], "images": [], "categories": [{"id": 1, "name": "lesion"}]}
                for video_id, name in enumerate(names, start=1):
                    coco["videos"].append({"id": video_id, "name": name})
                    for t in range(write_fake_video(name)):
                        coco["images"].append(
                            {
                                "id": len(coco["images"]) + 1,
                                "video_id": video_id,
                                "frame_id": t,
                                "file_name": f"{name}/{t:06d}.png",
                            }
                        )
                (fake_busv / split_files[split]).write_text(json.dumps(coco))


            def show_tree(root, max_frames=2):
                for path in sorted(root.rglob("*")):
                    depth = len(path.relative_to(root).parts)
                    if path.suffix == ".png" and int(path.stem) >= max_frames:
                        if int(path.stem) == max_frames:
                            print("    " * (depth - 1) + "...")
                        continue
                    print("    " * (depth - 1) + path.name + ("/" if path.is_dir() else ""))


            show_tree(fake_busv)
            """
        ),
        md(
            """
            `dk.data.busv_videos` lists a split's videos with their labels (after the errata);
            `dk.data.busv` turns them into a `tf.data.Dataset` of (clip, label): every video's
            frames are read, converted to grayscale, resized and resampled to `num_frames` evenly
            spaced frames.
            """
        ),
        code(
            """
            for split in ("train", "val"):
                print(split)
                for folder, label in dk.data.busv_videos(fake_busv, split):
                    print(
                        f"   {folder.parent.name}/{folder.name} -> label {label} "
                        f"({dk.data.BUSV_CLASSES[label]})"
                    )

            busv_train = dk.data.busv(fake_busv, "train", num_frames=8, size=32, batch_size=2)
            clips, labels = next(iter(busv_train))
            print("one batch:", clips.shape, clips.dtype, "labels", labels.numpy().tolist())
            """
        ),
        md(
            """
            With the real data, point `root` to your BUSV folder (or put it at
            `$DAS_KERAS_DATA/busv`), and `das-keras train --dataset busv --data-dir BUSV ...`
            trains on it from the command line.

            ## 2. Any folder of clips

            `dk.data.video_folder` reads clips that are video files (mp4, avi, mov, mpeg, gif, ...)
            or folders of frames, takes the class from the folder name (`label_from="folder"`), a
            file-name prefix or your own function, and can split by patient from a metadata CSV so
            that no patient is in two splits. The fake BUSV `rawframes/` folder is such a folder of
            frame folders:
            """
        ),
        code(
            """
            rows = dk.data.video_folder_clips(fake_busv / "rawframes", label_from="folder")
            for row in rows:
                print(f"   {row.path.name:22s} class {row.class_name:9s} label {row.label}")
            clips_ds = dk.data.video_folder(
                fake_busv / "rawframes", num_frames=8, size=32, batch_size=4
            )
            print("one batch:", next(iter(clips_ds))[0].shape)
            """
        ),
        md(
            """
            ## 3. POCUS lung-ultrasound clips

            The POCUS data set (Born et al., *Applied Sciences* 2021,
            https://github.com/jannisborn/covid19_ultrasound) collects lung-ultrasound clips from
            publications, educational web sites and hospitals. `dk.data.pocus(root, split)` reads
            the `data/` folder of that repository: `pocus_videos/{convex,linear}/` with the clips,
            and `dataset_metadata.csv`.

            * **Classes** come from the file-name prefix: `Cov` COVID-19, `Pneu` bacterial
              pneumonia, `Reg` healthy ("regular"). Viral pneumonia (`Vir`, too few clips) and the
              clip with an uncertain label are left out.
            * **Splits** (70 / 15 / 15%) keep all clips of one patient (column "Patient ID / Name"
              of the metadata) in one split, so that the test set holds no patient seen in
              training.
            * **Licenses**: every clip has its own license, listed in the `License` column of
              `dataset_metadata.csv`. Most are **non-commercial** (CC BY-NC 4.0, CC BY-NC-SA),
              others CC BY 4.0 / 2.0, and a few COVID-19 emergency reuse terms. Check them before
              any use beyond research, and do not redistribute the clips.

            **Getting the clips.** Set the environment variable `DAS_KERAS_POCUS` to the folder
            that holds `pocus_videos/` and `dataset_metadata.csv`. In Colab the next cell clones
            the repository (`git clone --depth 1 https://github.com/jannisborn/covid19_ultrasound`)
            and uses its `data/` folder. Elsewhere, without the variable, the loader looks in
            `$DAS_KERAS_DATA/pocus` (or `~/.das_keras/datasets/pocus`).
            """
        ),
        code(
            """
            from collections import Counter

            POCUS_ROOT = os.environ.get("DAS_KERAS_POCUS")
            if POCUS_ROOT is None and IN_COLAB:
                get_ipython().system(
                    "git clone -q --depth 1 https://github.com/jannisborn/covid19_ultrasound"
                )
                POCUS_ROOT = "covid19_ultrasound/data"

            for split in ("train", "val", "test"):
                rows = dk.data.pocus_clips(POCUS_ROOT, split)
                counts = Counter(row.class_name for row in rows)
                per_class = ", ".join(f"{c} {counts[c]}" for c in dk.data.POCUS_CLASSES)
                groups = len({row.group for row in rows})
                print(f"{split:5s}: {len(rows):3d} clips, {groups:2d} patients; {per_class}")
            """
        ),
        md(
            """
            ### Decode the clips

            Each clip is decoded once (ffmpeg for video files, Pillow for GIFs) to `NUM_FRAMES`
            evenly spaced grayscale frames of 64 x 64 and kept in memory; `cache_dir` also keeps
            the decoded clips on disk as `.npy` files, so a second run skips decoding. Decoding all
            125 clips takes about a minute on a CPU.
            """
        ),
        code(
            """
            NUM_FRAMES, SIZE, K = 32, 64, 8
            options = dict(num_frames=NUM_FRAMES, size=SIZE, cache_dir="pocus_cache", seed=0)
            train_clips = dk.data.pocus(POCUS_ROOT, "train", batch_size=8, **options)
            val_clips = dk.data.pocus(POCUS_ROOT, "val", batch_size=16, **options)
            test_clips = dk.data.pocus(POCUS_ROOT, "test", batch_size=16, **options)
            if FAST:
                train_clips, val_clips, test_clips = (
                    train_clips.take(2),
                    val_clips.take(1),
                    test_clips.take(1),
                )

            train_labels = [row.label for row in dk.data.pocus_clips(POCUS_ROOT, "train")]
            counts = np.bincount(train_labels, minlength=3)
            class_weight = {c: float(len(train_labels) / (3 * n)) for c, n in enumerate(counts)}
            names = dk.data.POCUS_CLASSES
            print("class weights:", {names[c]: round(w, 2) for c, w in class_weight.items()})
            """
        ),
        md(
            """
            ### Train DAS on the clips

            `dk.models.build_classifier` builds the same kind of model as notebook 1 in one call:
            DAS keeps k = 8 of the 32 frames, a small CNN embeds them, a mean over the frames and a
            softmax over the three classes. As in notebook 1, the weights of the epoch with the
            lowest validation loss are kept. The run is short and the data small (87 training
            clips, 20 validation clips): expect a rough model, and read the test numbers (18
            clips) as a sanity check, not a result.
            """
        ),
        code(
            """
            EPOCHS = 1 if FAST else 10
            model = dk.models.build_classifier(
                (NUM_FRAMES, SIZE, SIZE, 1),
                3,
                sampler="das",
                k=K,
                backbone="small_cnn",
                sampler_kwargs={"seed": 0},
            )
            model.compile(
                keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"]
            )
            # Unreadable clips would be skipped, so the number of batches is unknown until the
            # first pass ends; Keras then warns that the "input ran out of data". It is harmless.
            warnings.filterwarnings("ignore", message="Your input ran out of data")
            checkpoint = keras.callbacks.ModelCheckpoint(
                "pocus_best.weights.h5",
                monitor="val_loss",
                save_best_only=True,
                save_weights_only=True,
            )
            history = model.fit(
                train_clips,
                validation_data=val_clips,
                epochs=EPOCHS,
                class_weight=class_weight,
                callbacks=[checkpoint],
                verbose=2,
            )
            model.load_weights("pocus_best.weights.h5")  # the epoch with the lowest val loss
            """
        ),
        code(
            """
            test_x = np.concatenate([x.numpy() for x, _ in test_clips])
            test_y = np.concatenate([y.numpy() for _, y in test_clips])
            probabilities = model.predict(test_x, verbose=0)
            metrics = dk.evaluation.classification_metrics(test_y, probabilities)
            print(
                f"test clips: {metrics['num_samples']}, balanced accuracy "
                f"{metrics['balanced_accuracy']:.3f}, macro one-vs-rest AUC {metrics['auc']:.3f}"
            )
            """
        ),
        md(
            """
            ### Which frames did DAS choose?

            For one test clip: all 32 frames, the 8 chosen outlined, and the DAS attention over the
            frames; then DAS against evenly spaced frames.
            """
        ),
        code(
            """
            i = 0
            print(
                f"test clip {i}: {dk.data.POCUS_CLASSES[test_y[i]]}, predicted "
                f"{dk.data.POCUS_CLASSES[int(probabilities[i].argmax())]}"
            )
            dk.viz.plot_slice_montage(model, test_x[i], max_columns=8)
            """
        ),
        code(
            """
            dk.viz.compare_samplers(
                {"DAS": model, "uniform": dk.UniformSampler(k=K)}, test_x[i], thumbnails=4
            )
            """
        ),
        md(
            """
            ## Next

            * The command line trains on these clips with resuming and logging:
              `das-keras train --dataset pocus --data-dir covid19_ultrasound/data --frames 32
              --frame-size 64 --output runs/pocus`.
            * Any model trained on these clips inherits the non-commercial terms of most of them.
            """
        ),
    ]


# ------------------------------------------------------------------------------ 5 ONNX


def export_onnx():
    file = "05_export_onnx.ipynb"
    return file, [
        header(
            file,
            "Export to ONNX and run with ONNX Runtime",
            """
            ONNX is the common exchange format for deploying models outside Python/Keras (C++,
            C#, Java, JavaScript, mobile, many inference servers). `dk.export.to_onnx` writes a
            classifier's **inference** graph: the sampler takes its deterministic top-k and only
            the k chosen slices go through the backbone, so the deployed model does k/T of the
            backbone's work. With `return_indices=True` the file also outputs *which* slices it
            chose, for display or audit next to the prediction.

            In this notebook you will train a small DAS model on the synthetic demo task, export
            it, run it with ONNX Runtime, check that it agrees with Keras, and look at the chosen
            indices.
            """,
        ),
        *install(),
        SETUP,
        md(
            """
            ## A model to export

            The synthetic task needs no download: volumes of 32 slices of 32 x 32 in which only 2
            consecutive slices, at a random depth, show the object that decides the label (a
            square or a cross). DAS keeps k = 8 of the 32 slices. `dk.data.synthetic_arrays`
            also returns the depth of the object, which lets us check the chosen slices later.
            """
        ),
        code(
            """
            EPOCHS = 1 if FAST else 6
            N_TRAIN, N_VAL, N_TEST = (64, 32, 64) if FAST else (768, 128, 256)
            train_ds = dk.data.synthetic("train", num_samples=N_TRAIN, batch_size=32)
            val_ds = dk.data.synthetic("val", num_samples=N_VAL, batch_size=64)
            test = dk.data.synthetic_arrays(N_TEST, seed=2)  # the "test" split, with depths
            x_test, y_test, depth = test["x"], test["y"], test["depth"]

            model = dk.models.build_classifier(
                (32, 32, 32, 1),
                2,
                sampler="das",
                k=8,
                backbone="small_cnn",
                aggregation="max",
                sampler_kwargs={"seed": 0},
            )
            model.compile(
                keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"]
            )
            model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2)
            keras_probabilities = model.predict(x_test, verbose=0)
            metrics = dk.evaluation.classification_metrics(y_test, keras_probabilities)
            print(
                f"Keras, test: balanced accuracy {metrics['balanced_accuracy']:.3f}, "
                f"AUC {metrics['auc']:.3f}"
            )
            """
        ),
        md(
            """
            ## Export

            `to_onnx(model, path, opset=None, return_indices=False)` converts with tf2onnx
            (opsets 13-18; the default is 17) and returns the path. The batch dimension stays
            dynamic; T, H, W and C are fixed by the model. The graph's tensors are named `inputs`
            (B, T, H, W, C), `output` (B, classes) and, with `return_indices=True`, `indices`
            (B, k), int32, ascending. (tf2onnx names the dynamic batch dimension `unk__<n>`.)
            """
        ),
        code(
            """
            import onnx

            path = dk.export.to_onnx(model, "das_synthetic.onnx", return_indices=True)
            proto = onnx.load(path)
            print(
                f"{path}: {os.path.getsize(path) / 1e6:.2f} MB, opset "
                f"{max(o.version for o in proto.opset_import if o.domain in ('', 'ai.onnx'))}"
            )


            def describe(value):
                tensor = value.type.tensor_type
                dims = [d.dim_param or d.dim_value for d in tensor.shape.dim]
                return f"{value.name} {dims} {onnx.TensorProto.DataType.Name(tensor.elem_type)}"


            print("inputs: ", [describe(v) for v in proto.graph.input])
            print("outputs:", [describe(v) for v in proto.graph.output])
            """
        ),
        md(
            """
            ## Run it with ONNX Runtime

            ONNX Runtime needs neither TensorFlow nor das-keras: only the `.onnx` file and a float32
            array in [0, 1] of shape (B, 32, 32, 32, 1).
            """
        ),
        code(
            """
            import onnxruntime as ort

            session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
            onnx_probabilities, onnx_indices = session.run(
                ["output", "indices"], {"inputs": x_test.astype("float32")}
            )
            print(
                "output",
                onnx_probabilities.shape,
                onnx_probabilities.dtype,
                "| indices",
                onnx_indices.shape,
                onnx_indices.dtype,
            )
            """
        ),
        md(
            """
            ## Compare with Keras

            The probabilities should agree to float precision, and the chosen slices exactly: the
            Keras sampler's `select` gives the indices on the Keras side.
            `dk.export.verify_onnx(model, path, inputs)` does the same comparison in one call.
            """
        ),
        code(
            """
            keras_indices, _ = model.get_layer("sampler").select(x_test, training=False)
            keras_indices = keras.ops.convert_to_numpy(keras_indices)
            difference = np.abs(keras_probabilities - onnx_probabilities).max()
            same_class = keras_probabilities.argmax(1) == onnx_probabilities.argmax(1)
            same_indices = np.all(keras_indices == onnx_indices, axis=1)
            print(f"max |Keras - ONNX| probability: {difference:.2e}")
            print(f"same class:   {same_class.mean():.3f}")
            print(f"same indices: {same_indices.mean():.3f}")

            report = dk.export.verify_onnx(model, path, x_test[:64])
            print("verify_onnx:", report)
            """
        ),
        md(
            """
            ## The chosen slices

            For each test volume the file says which 8 slices it looked at. On the synthetic task
            we know where the object is (slices `depth` and `depth + 1`), so we can count how often
            at least one informative slice was among the chosen ones. A static sampler keeping 8
            evenly spaced slices of 32 catches one of the 2 informative slices in about half of
            the volumes.
            """
        ),
        code(
            """
            import matplotlib.pyplot as plt

            for n in range(5):
                print(
                    f"volume {n}: object in slices {depth[n]}-{depth[n] + 1}, "
                    f"ONNX chose {onnx_indices[n].tolist()}"
                )

            hit = np.array([bool({d, d + 1} & set(row)) for d, row in zip(depth, onnx_indices)])
            uniform = np.linspace(0, 31, 8).round().astype(int)  # evenly spaced, for comparison
            uniform_hit = np.array([bool({d, d + 1} & set(uniform)) for d in depth])
            print(
                f"an informative slice was chosen for {hit.mean():.0%} of the test volumes "
                f"(evenly spaced slices: {uniform_hit.mean():.0%})"
            )

            n = 40
            fig, ax = plt.subplots(figsize=(9, 3.2))
            ax.scatter(
                np.repeat(np.arange(n), 8),
                onnx_indices[:n].ravel(),
                s=10,
                c="#ff7f0e",
                label="chosen slices (ONNX)",
            )
            ax.scatter(
                np.arange(n),
                depth[:n] + 0.5,
                marker="_",
                s=120,
                c="#2ca02c",
                label="object (slices depth, depth + 1)",
            )
            ax.set_xlabel("test volume")
            ax.set_ylabel("slice index")
            ax.set_title("Slices chosen by the exported model, per input")
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
            plt.show()
            """
        ),
        md(
            """
            ## Speed

            A rough look at inference time on this machine, both on the test volumes in
            batches of 32 (median of a few runs). Shared or busy machines make such numbers
            noisy; the project's benchmark (`benchmarks/`) measures them properly.
            """
        ),
        code(
            """
            import time


            def median_seconds(run, repeats=1 if FAST else 5):
                times = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    run()
                    times.append(time.perf_counter() - start)
                return float(np.median(times))


            batches = [x_test[i : i + 32] for i in range(0, len(x_test), 32)]
            keras_time = median_seconds(lambda: [model(b, training=False) for b in batches])
            onnx_time = median_seconds(
                lambda: [session.run(["output"], {"inputs": b}) for b in batches]
            )
            per_volume = 1000 / len(x_test)
            print(f"Keras (TensorFlow, eager calls): {keras_time * per_volume:.2f} ms per volume")
            print(f"ONNX Runtime:                    {onnx_time * per_volume:.2f} ms per volume")
            """
        ),
        md(
            """
            ## Next

            * From the command line: `das-keras export --model model.keras --output das.onnx
              --indices --verify` (or `--preset NAME` for a zoo model).
            * `dk.export.to_saved_model` writes a TensorFlow SavedModel instead (TF Serving,
              TFLite conversion).
            """
        ),
    ]


NOTEBOOKS = (quickstart, pretrained_zoo, tuning, ultrasound_video, export_onnx)


# ------------------------------------------------------------------------------ building


def build(spec):
    """A `nbformat` notebook (no outputs) from a spec function: (file name, notebook)."""
    file, cells = spec()
    stem = file.removesuffix(".ipynb")
    nb = nbformat.v4.new_notebook()
    for i, (kind, source) in enumerate(cells):
        cell = (nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell)(
            source
        )
        cell.id = f"{stem[:2]}-{i:02d}"  # stable ids keep the diffs of regenerated files small
        nb.cells.append(cell)
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "colab": {"provenance": [], "toc_visible": True},
    }
    return file, nb


def code_sources(nb):
    return [c.source for c in nb.cells if c.cell_type == "code"]


def write(file, nb, keep_outputs=True):
    """Writes `nb`; keeps the outputs of the file on disk when its code cells are unchanged."""
    path = HERE / file
    if keep_outputs and path.exists():
        old = nbformat.read(path, as_version=4)
        if code_sources(old) == code_sources(nb):
            old_code = [c for c in old.cells if c.cell_type == "code"]
            new_code = [c for c in nb.cells if c.cell_type == "code"]
            for new, previous in zip(new_code, old_code, strict=True):
                new.outputs = previous.outputs
                new.execution_count = previous.execution_count
            if "das_keras" in old.metadata:
                nb.metadata["das_keras"] = old.metadata["das_keras"]
        elif any(c.get("outputs") for c in old.cells if c.cell_type == "code"):
            print(f"{file}: code changed, saved outputs dropped (run with --execute)")
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return path


# ------------------------------------------------------------------------------ executing


def kernel_env(fast, extra=None):
    """Environment for the notebook kernel: this process's, plus the data folders and FAST."""
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for name, folder in (
        ("DAS_KERAS_DATA", SHARED_DATA / "medmnist3d"),
        ("DAS_KERAS_POCUS", SHARED_DATA / "pocus"),
    ):
        if not env.get(name) and folder.is_dir():
            env[name] = str(folder)
    env.pop("DAS_KERAS_FAST", None)
    if fast:
        env["DAS_KERAS_FAST"] = "1"
    env.update(extra or {})
    return env


def write_kernelspec(folder):
    """A kernelspec for this Python under `folder/kernels/` (nothing registered globally).

    Returns the folder to put in JUPYTER_PATH.
    """
    spec_dir = Path(folder) / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (das-keras tutorials)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return str(folder)


def execute(nb, workdir, fast, env_extra=None, timeout=CELL_TIMEOUT):
    """Runs `nb` top to bottom in a fresh kernel of this Python, in `workdir`.

    Returns:
        (executed notebook, seconds). Raises `nbclient.exceptions.CellExecutionError` when a
        cell fails.
    """
    from nbclient import NotebookClient

    workdir = Path(workdir)
    jupyter_path = write_kernelspec(workdir / ".jupyter_kernel")
    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = jupyter_path  # where the kernel spec manager looks first
    try:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name=KERNEL_NAME,
            record_timing=False,
            resources={"metadata": {"path": str(workdir)}},
        )
        start = time.perf_counter()
        client.execute(env=kernel_env(fast, env_extra))
        seconds = time.perf_counter() - start
    finally:
        if previous is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = previous
    shutil.rmtree(workdir / ".jupyter_kernel", ignore_errors=True)
    return nb, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("only", nargs="*", help="notebooks to handle (prefixes: 01 03 ...)")
    parser.add_argument("--execute", action="store_true", help="run and save outputs")
    parser.add_argument("--fast", action="store_true", help="with --execute: DAS_KERAS_FAST=1")
    args = parser.parse_args(argv)
    for spec in NOTEBOOKS:
        file, nb = build(spec)
        if args.only and not any(file.startswith(prefix) for prefix in args.only):
            continue
        if args.execute:
            with tempfile.TemporaryDirectory(prefix="das_keras_tutorial_") as workdir:
                nb, seconds = execute(nb, workdir, args.fast)
            nb.metadata["das_keras"] = {
                "outputs_from": "fast mode (DAS_KERAS_FAST=1)" if args.fast else "normal mode",
                "run_seconds": round(seconds, 1),
            }
            write(file, nb, keep_outputs=False)
            print(f"{file}: executed in {seconds:.0f} s ({'fast' if args.fast else 'normal'})")
        else:
            write(file, nb)
            print(f"{file}: written")


if __name__ == "__main__":
    main()
