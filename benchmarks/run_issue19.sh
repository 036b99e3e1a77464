#!/usr/bin/env bash
# Issue 19 (stop 17): DAS with the learned position term and 2.5D context against the static
# samplers with the same context, backbone ours, 3 seeds, one run at a time (resumable: finished
# runs are cached under runs/compare/ and skipped).
set -euo pipefail
C="python -m benchmarks.compare --backbones ours"
for dataset in vessel adrenal; do
  for seed in 0 1 2; do
    for k in 0.5 0.25; do
      $C --datasets $dataset --k $k --samplers das --options ctx1_pos --seeds $seed
      $C --datasets $dataset --k $k --samplers center --options ctx1 --seeds $seed
    done
  done
done
python -m benchmarks.update_readme
