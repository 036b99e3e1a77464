#!/usr/bin/env bash
# Issue 19, second round (stop 23), one run at a time, resumable (finished runs are cached under
# runs/compare/ and skipped). Run from the repository root:  bash benchmarks/run_issue19_round2.sh
# 1. probes on one seed: multi-axis selection (the ACS idea) for DAS and center, EMA for DAS;
# 2. the missing AdrenalMNIST3D seeds of the chosen options;
# 3. POCUS with the chosen options (DAS, and the static samplers center and uniform);
# 4. uniform with context on the MedMNIST sets, so that "best static sampler" covers both.
set -euo pipefail
run() {
  python -m benchmarks.compare --backbones ours --datasets "$1" --k "$2" --samplers "$3" \
    --options "$4" --seeds "$5"
}
run vessel 0.5 das ctx1_pos_axes3 0
run vessel 0.5 center ctx1_axes3 0
run vessel 0.5 das ctx1_pos_ema 0
for seed in 1 2; do
  for k in 0.5 0.25; do
    run adrenal $k das ctx1_pos $seed
    run adrenal $k center ctx1 $seed
  done
done
for seed in 0 1 2; do
  for k in 0.5 0.25; do
    run pocus $k das ctx1_pos $seed
    run pocus $k center ctx1 $seed
    run pocus $k uniform ctx1 $seed
  done
done
for dataset in vessel adrenal; do
  for seed in 0 1 2; do
    for k in 0.5 0.25; do
      run $dataset $k uniform ctx1 $seed
    done
  done
done
python -m benchmarks.update_readme
