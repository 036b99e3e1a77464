#!/usr/bin/env bash
# The queue of stop 24, one run at a time, resumable (finished runs are cached under runs/compare/
# and skipped):  bash benchmarks/run_stop24.sh
# POCUS with the chosen options (issue 19: DAS ctx1_pos; center and uniform ctx1) for 3 seeds
# (the POCUS presets need them too); AdrenalMNIST3D at 64^3, k = 25% (issue 22), slices resized to
# 32 x 32 before the backbone (`--image-size 32`: the native 64 x 64 full model takes ~5 h per run
# on a 2-core CPU), the 28^3 recipe otherwise; uniform with context on the MedMNIST sets (issue
# 19's "best static sampler"); the 64^3 seeds 1 and 2. Stop 24 ran POCUS seed 0, the 64^3 DAS of
# seed 0 (~20 min under load), POCUS seeds 1 and 2, and stopped in the 64^3 full model.
set -euo pipefail
run() {  # dataset k sampler options seed [extra flags]
  # shellcheck disable=SC2086  # $6 is a list of flags
  python -m benchmarks.compare --backbones ours --datasets "$1" --k "$2" --samplers "$3" \
    --options "$4" --seeds "$5" ${6:-}
}
pocus() {  # seed
  for k in 0.5 0.25; do
    run pocus $k das ctx1_pos "$1"
    run pocus $k center ctx1 "$1"
    run pocus $k uniform ctx1 "$1"
  done
}
size64() {  # seed
  run adrenal 0.25 das ctx1_pos "$1" "--size 64 --image-size 32"
  run adrenal 0.25 full default "$1" "--size 64 --image-size 32"
  run adrenal 0.25 center ctx1 "$1" "--size 64 --image-size 32"
  run adrenal 0.25 uniform ctx1 "$1" "--size 64 --image-size 32"
}
pocus 0
run adrenal 0.25 das ctx1_pos 0 "--size 64 --image-size 32"
pocus 1
pocus 2
size64 0
for seed in 0 1 2; do
  for dataset in vessel adrenal; do
    for k in 0.5 0.25; do
      run $dataset $k uniform ctx1 $seed
    done
  done
done
size64 1
size64 2
python -m benchmarks.update_readme
