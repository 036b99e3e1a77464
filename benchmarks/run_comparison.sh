#!/bin/bash
# The runs behind docs/results/comparison.md and sensitivity.md, most important first.
# Every finished run is cached in runs/compare/, so this can be stopped and started again;
# each command rewrites the reports from whatever has finished.
#   bash benchmarks/run_comparison.sh            (from the repository root, ../shared beside it)
set -e
export TF_CPP_MIN_LOG_LEVEL=3
P="python benchmarks/compare.py --backbones ours"
$P --datasets vessel --k 0.5 --samplers full uniform dps das --seeds 0 1 2
$P --datasets adrenal --k 0.5 --samplers full uniform dps das --seeds 0 1 2
$P --datasets synthetic --k 0.5 --epochs 6 --seeds 0 1 2
$P --datasets vessel adrenal --k 0.5 --samplers random adps --seeds 0 1 2
$P --datasets vessel --k 0.25 --samplers uniform dps das --seeds 0 1 2
python benchmarks/sensitivity.py --seeds 0 1 2
python benchmarks/compare.py --datasets pocus --backbones ours --k 0.5 --seeds 0 1 2
python benchmarks/compare.py --datasets vessel adrenal --backbones paper --k 0.5 --seeds 0 1 2
python benchmarks/update_readme.py
