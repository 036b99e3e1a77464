#!/usr/bin/env bash
# Issue 19, distillation measured (after benchmarks/run_stop24.sh): DAS+ctx1_pos trained with the
# full-sequence preset of its data set as teacher (option set ctx1_pos_kd, alpha 0.5, T = 2),
# paired with the DAS+ctx1_pos runs of the same seeds in docs/results/ablation.md. Resumable.
set -euo pipefail
run() {
  python -m benchmarks.compare --backbones ours --datasets "$1" --k "$2" --samplers das \
    --options ctx1_pos_kd --seeds "$3"
}
for seed in 0 1 2; do
  for dataset in vessel adrenal; do
    for k in 0.5 0.25; do
      run $dataset $k $seed
    done
  done
done
python -m benchmarks.update_readme
python -m benchmarks.ablation
