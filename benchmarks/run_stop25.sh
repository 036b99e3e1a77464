#!/usr/bin/env bash
# The queue of stop 25, one run at a time, resumable (finished runs are cached under runs/compare/
# and skipped):  bash benchmarks/run_stop25.sh
# Issue 22 first: AdrenalMNIST3D 64^3 at k = 25% (slices resized to 32 x 32 before the backbone),
# the full, center and uniform references of seed 0, then the DAS seeds 1 and 2 that the
# das_adrenalmnist3d_64_k25 preset needs (its recipe over 3 seeds). Then issue 19's uniform with
# context on the 28^3 MedMNIST sets (the best static sampler, fairly equipped).
set -euo pipefail
run() {  # dataset k sampler options seed [extra flags]
  # shellcheck disable=SC2086  # $6 is a list of flags
  python -m benchmarks.compare --backbones ours --datasets "$1" --k "$2" --samplers "$3" \
    --options "$4" --seeds "$5" ${6:-}
}
SIZE64="--size 64 --image-size 32"
run adrenal 0.25 full default 0 "$SIZE64"
run adrenal 0.25 center ctx1 0 "$SIZE64"
run adrenal 0.25 uniform ctx1 0 "$SIZE64"
run adrenal 0.25 das ctx1_pos 1 "$SIZE64"
run adrenal 0.25 das ctx1_pos 2 "$SIZE64"
for seed in 0 1 2; do
  for dataset in vessel adrenal; do
    for k in 0.5 0.25; do
      run $dataset $k uniform ctx1 $seed
    done
  done
done
python -m benchmarks.update_readme
