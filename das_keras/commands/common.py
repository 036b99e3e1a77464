"""Arguments shared by several sub-commands."""

from das_keras.training import DATASETS


def parse_k(value):
    """--k: an int count, or a fraction of T written with a decimal point (0.5)."""
    return float(value) if "." in value else int(value)


def add_data_arguments(parser):
    """--dataset, --data-dir, --size, --frames, --frame-size, --batch-size."""
    parser.add_argument(
        "--dataset",
        default="synthetic",
        help=f"one of {', '.join(DATASETS)} (default: synthetic)",
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        help="data folder: MedMNIST3D files, the POCUS or BUSV root (default: $DAS_KERAS_DATA)",
    )
    parser.add_argument("--size", type=int, default=28, choices=(28, 64), help="MedMNIST3D size")
    parser.add_argument("--frames", type=int, default=32, help="frames per clip T (POCUS, BUSV)")
    parser.add_argument("--frame-size", type=int, default=64, help="clip frame size (POCUS, BUSV)")
    parser.add_argument("--batch-size", type=int, default=32)


def data_options(args):
    """The keyword arguments of `das_keras.training.load_splits` from parsed arguments."""
    return {
        "data_dir": args.data_dir,
        "size": args.size,
        "num_frames": args.frames,
        "frame_size": args.frame_size,
    }


def metrics_table(metrics):
    """One evaluation as a Markdown table."""
    return "\n".join(
        [
            "| data set | split | n | balanced acc. | AUC | accuracy |",
            "|---|---|---|---|---|---|",
            f"| {metrics['dataset']} | {metrics['split']} | {metrics['num_samples']} "
            f"| {metrics['balanced_accuracy']:.4f} | {metrics['auc']:.4f} "
            f"| {metrics['accuracy']:.4f} |",
        ]
    )
