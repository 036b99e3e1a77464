#!/usr/bin/env bash
# Stop 25's second queue, beside run_stop25.sh (one run at a time, resumable; finished runs are
# cached under runs/compare/). Issue 22's reference: the full-volume 3D CNN ("volume3d",
# `build_volume_cnn`) under the same recipe on the 28^3 MedMNIST sets, seed 0. (Issue 19's
# synthetic set with the chosen options is benchmarks/run_stop25_synthetic.sh: the 2 cores here
# did not leave room for it beside the 64^3 runs.)
set -euo pipefail
for dataset in vessel adrenal; do
  python -m benchmarks.compare --backbones ours --datasets $dataset --k 0.25 --samplers volume3d \
    --options default --seeds 0
done
