#!/usr/bin/env bash
# Issue 19, third round (stop 24), one run at a time, resumable (finished runs are cached under
# runs/compare/ and skipped). Run from the repository root:  bash benchmarks/run_issue19_round3.sh
# 1. the last AdrenalMNIST3D seed of center+ctx1 at k = 25%;
# 2. POCUS with the chosen options (DAS ctx1_pos; the static samplers center and uniform, ctx1);
# 3. uniform with context on the MedMNIST sets, so that "best static sampler" covers both.
set -euo pipefail
run() {
  python -m benchmarks.compare --backbones ours --datasets "$1" --k "$2" --samplers "$3" \
    --options "$4" --seeds "$5"
}
run adrenal 0.25 center ctx1 2
for seed in 0 1 2; do
  for k in 0.5 0.25; do
    run pocus $k das ctx1_pos $seed
    run pocus $k center ctx1 $seed
    run pocus $k uniform ctx1 $seed
  done
done
for seed in 0 1 2; do
  for dataset in vessel adrenal; do
    for k in 0.5 0.25; do
      run $dataset $k uniform ctx1 $seed
    done
  done
done
python -m benchmarks.update_readme
