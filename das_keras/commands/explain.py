"""`das-keras explain`: a figure of the slices a model chose for one input, and its prediction."""

import os

from das_keras.commands.common import handles_errors, non_negative_int, positive_int
from das_keras.defaults import DATASET_NAMES

KINDS = ("montage", "matrix", "compare")


def register(subparsers):
    """Adds the `explain` sub-command to `subparsers`.

    Args:
        subparsers: what `argparse.ArgumentParser.add_subparsers` returned.

    Returns:
        The new `argparse.ArgumentParser`; its `func(args)` returns the exit code.

    Example:
        >>> import argparse
        >>> parser = argparse.ArgumentParser(prog="das-keras")
        >>> _ = register(parser.add_subparsers(dest="command"))
        >>> args = parser.parse_args(["explain", "--model", "m.keras", "--index", "0", "--output",
        ...                           "x.png"])
        >>> args.kind, args.split
        ('montage', 'test')
    """
    parser = subparsers.add_parser(
        "explain",
        help="draw which slices a model chose for one input, and print its prediction",
        description=(
            "Runs a model on one input (a .npy volume, or element N of a data set's split), "
            "prints the slices its sampler chose and the predicted class, and writes a PNG: "
            "'montage' (all slices, chosen ones outlined, DAS attention beneath), 'matrix' "
            "(the sampling matrix P) or 'compare' (its choice beside Uniform at the same k, and "
            "beside any --compare-model)."
        ),
    )
    model = parser.add_mutually_exclusive_group(required=True)
    model.add_argument("--preset", help="a zoo preset name (see `das-keras zoo`)")
    model.add_argument("--model", help="a .keras file, or a run folder holding model.keras")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--input",
        metavar="FILE.npy",
        help="one volume, (T, H, W, C) or (T, H, W), as the model takes it (e.g. floats in [0, 1])",
    )
    source.add_argument(
        "--index", type=non_negative_int, metavar="N", help="take element N of --split"
    )
    parser.add_argument(
        "--dataset",
        default=None,
        help=f"with --index: one of {', '.join(DATASET_NAMES)} (default: the preset's data set, "
        "else synthetic)",
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        help="data folder: MedMNIST3D files, the POCUS or BUSV root (default: $DAS_KERAS_DATA)",
    )
    parser.add_argument("--split", default="test", choices=("train", "val", "test"))
    parser.add_argument(
        "--size",
        type=int,
        default=None,
        choices=(28, 64),
        help="MedMNIST3D size (default: from the model's input shape)",
    )
    parser.add_argument(
        "--frames",
        type=positive_int,
        default=None,
        help="frames per clip T (default: the model's T)",
    )
    parser.add_argument(
        "--frame-size",
        type=positive_int,
        default=None,
        help="clip frame size (default: the model's H)",
    )
    parser.add_argument("--output", required=True, metavar="PNG", help="the figure to write")
    parser.add_argument("--kind", default="montage", choices=KINDS, help="the figure")
    parser.add_argument(
        "--compare-model",
        action="append",
        default=[],
        metavar="FILE",
        help="with --kind compare: another .keras model to show (repeatable)",
    )
    parser.set_defaults(func=run)
    return parser


@handles_errors
def run(args):
    """Runs `das-keras explain`; prints errors in the input as one line and returns 2."""
    return _explain(args)


def _explain(args):
    # Imported here, not at the top: `das-keras --help` builds this parser without TensorFlow.
    import numpy as np

    from das_keras import runs, viz
    from das_keras.layers import UniformSampler
    from das_keras.models import sampler_of

    option = "--model" if args.model else "--preset"
    model = runs.load_model(args.model or args.preset, option=option)
    source = runs.model_source(args.model or args.preset)
    volume, label, class_names = _load_volume(args, model, source)
    indices = viz._select(sampler_of(model), volume, False)[0].tolist()
    probabilities = viz._numpy(model(volume[None], training=False))[0]
    predicted = int(np.argmax(probabilities))

    if args.kind == "montage":
        fig = viz.plot_slice_montage(model, volume)
    elif args.kind == "matrix":
        fig = viz.plot_sampling_matrix(model, volume)
    else:
        samplers = {f"this model ({_model_name(args)})": model}
        for path in args.compare_model:
            samplers[os.path.basename(path)] = runs.load_model(path, option="--compare-model")
        samplers["uniform"] = UniformSampler(k=len(indices))
        fig = viz.compare_samplers(samplers, volume)

    predicted_text = f"{_class_text(predicted, class_names)}, p = {probabilities[predicted]:.3f}"
    line = f"predicted: {predicted_text}"
    if label is not None:
        line += f"; true: {_class_text(label, class_names)}"
    fig.suptitle(f"{fig.get_suptitle()}\n{_source_text(args)}: {line}", fontsize=10)
    viz._save(fig, args.output)

    print(f"chosen slices ({len(indices)} of {volume.shape[0]}): {indices}")
    print(f"predicted class: {predicted_text}")
    if label is not None:
        print(f"true class: {_class_text(label, class_names)}")
    print(f"wrote {args.output}")
    return 0


def _load_volume(args, model, source):
    """(volume float32 (T, H, W, C), true label or None, class names or None)."""
    import numpy as np

    from das_keras.data import catalog

    expected = tuple(model.input_shape[1:])
    class_names = source["class_names"]
    if args.input is not None:
        if not os.path.isfile(args.input):
            raise FileNotFoundError(f"--input: no file at {args.input}.")
        try:
            volume = np.load(args.input, allow_pickle=False)
        except ValueError as error:
            raise ValueError(
                f"--input: {args.input} is not a plain .npy array ({error})."
            ) from None
        if volume.ndim == 3:
            volume = volume[..., None]
        elif volume.ndim == 5 and volume.shape[0] == 1:
            volume = volume[0]
        if volume.ndim != 4 or not np.issubdtype(volume.dtype, np.number):
            raise ValueError(
                f"--input: {args.input} must hold one volume of shape (T, H, W, C) or (T, H, W); "
                f"received {volume.dtype} of shape {volume.shape}."
            )
        _check_shape(volume.shape, expected, f"--input {args.input} holds a volume of shape")
        return volume.astype("float32"), None, class_names

    dataset = args.dataset or (args.preset and source["dataset"]) or "synthetic"
    num_frames, height = expected[0], expected[1]
    splits = catalog.load_splits(
        dataset,
        batch_size=32,
        seed=0,
        data_dir=args.data_dir,
        size=args.size or (height if height in (28, 64) else 28),
        num_frames=args.frames or num_frames,
        frame_size=args.frame_size or height,
    )
    split = getattr(splits, args.split).unbatch()
    element = next(iter(split.skip(args.index).take(1)), None)
    if element is None:
        count = sum(1 for _ in split)
        raise ValueError(
            f"--index {args.index} is out of range: the {args.split} split of {dataset} has "
            f"{count} inputs (0 .. {count - 1})."
        )
    volume, label = (np.asarray(t) for t in element)
    _check_shape(
        volume.shape,
        expected,
        f"the {dataset} {args.split} inputs have shape",
        hint=" (pass --dataset, and --size / --frames / --frame-size, matching the model)",
    )
    label = int(label.reshape(-1)[0])  # a scalar, or (1,) as MedMNIST labels are
    return volume.astype("float32"), label, class_names or list(splits.class_names) or None


def _check_shape(shape, expected, what, hint=""):
    if len(shape) != len(expected) or any(
        e is not None and e != s for e, s in zip(expected, shape)
    ):
        shown = tuple("?" if e is None else e for e in expected)
        raise ValueError(
            f"{what} {tuple(shape)}, but the model takes (T, H, W, C) = {shown}{hint}."
        )


def _class_text(index, class_names):
    if class_names and 0 <= index < len(class_names):
        return f"{index} ({class_names[index]})"
    return str(index)


def _model_name(args):
    return args.preset or os.path.basename(os.path.normpath(args.model))


def _source_text(args):
    if args.input is not None:
        return os.path.basename(args.input)
    return f"{args.split} input {args.index}"
