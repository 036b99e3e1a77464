#!/usr/bin/env bash
# Issue 19 on the synthetic set: the chosen options (DAS ctx1_pos; center and uniform ctx1), seed 0
# at k = 50% and 25% (a run takes ~15 min on a shared 2-core CPU; seeds 1 and 2 are the same
# commands with --seeds 1 / 2). Resumable: finished runs are cached under runs/compare/.
set -euo pipefail
SEEDS=${SEEDS:-0}
for seed in $SEEDS; do
  for k in 0.5 0.25; do
    for pair in "das ctx1_pos" "center ctx1" "uniform ctx1"; do
      set -- $pair
      python -m benchmarks.compare --backbones ours --datasets synthetic --k $k --samplers "$1" \
        --options "$2" --seeds "$seed"
    done
  done
done
