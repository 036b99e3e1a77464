#!/usr/bin/env bash
# Issue 19, second round: multi-axis selection (the ACS idea) and EMA on VesselMNIST3D, probed on
# one seed first, then the missing AdrenalMNIST3D seeds, then more seeds of what the probe kept.
# One run at a time; resumable (finished runs are cached under runs/compare/ and skipped).
set -euo pipefail
C="python benchmarks/compare.py --backbones ours"
run() { $C --datasets "$1" --k "$2" --samplers "$3" --options "$4" --seeds "$5"; }
run vessel 0.5 das ctx1_pos_axes3 0
run vessel 0.5 center ctx1_axes3 0
run vessel 0.5 das ctx1_pos_ema 0
for seed in 1 2; do
  for k in 0.5 0.25; do
    run adrenal $k das ctx1_pos $seed
    run adrenal $k center ctx1 $seed
  done
done
for seed in 1 2; do
  run vessel 0.5 das ctx1_pos_axes3 $seed
  run vessel 0.5 center ctx1_axes3 $seed
done
for seed in 0 1 2; do
  run vessel 0.25 das ctx1_pos_axes3 $seed
  run vessel 0.25 center ctx1_axes3 $seed
done
python benchmarks/update_readme.py
