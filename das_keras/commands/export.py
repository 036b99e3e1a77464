"""`das-keras export`: a trained model to ONNX or a SavedModel, optionally checked against Keras."""

import sys

from das_keras.commands.common import handles_errors, load_splits, positive_float, positive_int

FORMATS = ("onnx", "saved_model")


def register(subparsers):
    """Adds the `export` sub-command to `subparsers` (an argparse sub-parsers action).

    Args:
        subparsers: the object `argparse.ArgumentParser.add_subparsers` returned.

    Returns:
        The new sub-parser; its `func(args)` returns the exit code.

    Example:
        >>> parser = argparse.ArgumentParser()
        >>> register(parser.add_subparsers(dest="command"))  # doctest: +SKIP
    """
    parser = subparsers.add_parser(
        "export",
        help="export a model to ONNX or a TensorFlow SavedModel (inference graph, dynamic batch)",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="a .keras file, or a run folder holding model.keras")
    source.add_argument("--preset", help="a zoo preset name (see `das-keras zoo`)")
    parser.add_argument("--format", default="onnx", choices=FORMATS)
    parser.add_argument(
        "--output", required=True, help="the .onnx file, or the SavedModel folder, to write"
    )
    parser.add_argument(
        "--opset",
        type=positive_int,
        default=None,
        help="ONNX opset, 13-18 (default: 17; onnx only)",
    )
    parser.add_argument(
        "--indices",
        action="store_true",
        help="also output the sampler's chosen slice indices (B, k) as 'indices'",
    )
    _add_verify_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def _add_verify_arguments(parser):
    group = parser.add_argument_group("verification (--verify)")
    group.add_argument(
        "--verify",
        action="store_true",
        help="run the export and Keras side by side: max abs difference, class and index agreement",
    )
    group.add_argument(
        "--dataset",
        default=None,
        help="verify on the test split of this data set (e.g. vessel); default: random inputs",
    )
    group.add_argument("--data-dir", default=None, help="data folder (default: $DAS_KERAS_DATA)")
    group.add_argument("--size", type=int, default=28, choices=(28, 64), help="MedMNIST3D size")
    group.add_argument(
        "--frames", type=positive_int, default=32, help="frames per clip T (POCUS, BUSV)"
    )
    group.add_argument(
        "--frame-size", type=positive_int, default=64, help="clip frame size (POCUS, BUSV)"
    )
    group.add_argument("--batch-size", type=positive_int, default=16)
    group.add_argument(
        "--num-batches",
        type=positive_int,
        default=2,
        help="test batches (or random batches) to compare",
    )
    group.add_argument(
        "--atol", type=positive_float, default=1e-4, help="largest accepted max abs difference"
    )


@handles_errors
def run(args):
    """Runs `das-keras export`; returns the exit code.

    1 when the exported model fails to run, or its verification fails; 2 for bad arguments
    (a missing model file, --opset with a SavedModel, ...).
    """
    # Imported here, not at the top: `das-keras --help` builds this parser without TensorFlow.
    from das_keras import export, runs

    if args.opset is not None and args.format != "onnx":
        raise ValueError(f"`--opset` applies to --format onnx only; received {args.format}.")
    option = "`--model`" if args.model else "`--preset`"
    model = runs.load_model(args.model or args.preset, option=option)
    exporter = export.to_onnx if args.format == "onnx" else export.to_saved_model
    options = {"opset": args.opset} if args.format == "onnx" else {}
    try:
        path = exporter(model, args.output, return_indices=args.indices, **options)
        print(f"exported {model.name} ({args.format}) to {path}")
        if not args.verify:
            return 0
        report = _verify(model, path, args)
    except export.ExportedModelError as error:
        print(f"das-keras export: error: {error}", file=sys.stderr)
        return 1
    print(verification_table(report))
    return 0 if verification_passed(report, args.atol) else 1


def _verify(model, path, args):
    from das_keras import export

    inputs, source = verification_inputs(model, args)
    check = export.verify_onnx if args.format == "onnx" else export.verify_saved_model
    report = check(model, path, inputs)
    report["inputs"] = source
    return report


def verification_inputs(model, args):
    """The inputs `--verify` compares on: test batches of `--dataset`, or random volumes.

    Args:
        model: the Keras model (its input shape sizes the random inputs).
        args: parsed arguments (dataset, data_dir, size, frames, frame_size, batch_size,
            num_batches).

    Returns:
        (inputs, description): float32 array (N, T, H, W, C) and a short text for the report.

    Example:
        >>> x, text = verification_inputs(model, args)  # doctest: +SKIP
    """
    if args.num_batches < 1 or args.batch_size < 1:
        raise ValueError(
            f"`--num-batches` and `--batch-size` must be >= 1; received {args.num_batches} and "
            f"{args.batch_size}."
        )
    import numpy as np

    if args.dataset is None:
        shape = (args.num_batches * args.batch_size, *model.inputs[0].shape[1:])
        inputs = np.random.default_rng(0).uniform(size=shape).astype("float32")
        return inputs, f"{len(inputs)} random uniform inputs"
    splits = load_splits(args)
    batches = [np.asarray(x) for x, _ in splits.test.take(args.num_batches)]
    inputs = np.concatenate(batches).astype("float32")
    return inputs, f"{len(inputs)} test inputs of {args.dataset}"


def verification_table(report):
    """A `verify_onnx` report as a short Markdown table.

    Args:
        report: the dict of `das_keras.export.verify_onnx`, with an "inputs" description.

    Returns:
        str.

    Example:
        >>> print(verification_table({"inputs": "8 random", "num_samples": 8,
        ...     "max_abs_diff": 1e-7, "class_agreement": 1.0, "index_agreement": None,
        ...     "deterministic": True, "exported_indices_valid": None}))  # doctest: +SKIP
    """
    indices = report["index_agreement"]
    lines = [
        f"verification on {report['inputs']}:",
        "| max abs difference | class agreement | index agreement |",
        "|---|---|---|",
        f"| {report['max_abs_diff']:.3g} | {report['class_agreement']:.4f} "
        f"| {'-' if indices is None else f'{indices:.4f}'} |",
    ]
    if not report["deterministic"]:
        lines.append(
            "note: the sampler is a RandomSampler; the export draws its own random slices, so "
            "only the validity of its indices is checked "
            f"(valid: {report['exported_indices_valid']})."
        )
    return "\n".join(lines)


def verification_passed(report, atol):
    """Whether a verification report shows a faithful export.

    Deterministic models must agree within `atol` and on every class and index; a RandomSampler
    model (whose draws cannot match) needs only valid indices.

    Args:
        report: the dict of `das_keras.export.verify_onnx`.
        atol: float, the largest accepted max abs difference.

    Returns:
        bool.

    Example:
        >>> verification_passed({"deterministic": False, "exported_indices_valid": True}, 1e-4)
        True
    """
    if not report["deterministic"]:
        return report["exported_indices_valid"] is not False
    return (
        report["max_abs_diff"] <= atol
        and report["class_agreement"] == 1.0
        and report["index_agreement"] in (None, 1.0)
    )
