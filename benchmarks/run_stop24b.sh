#!/usr/bin/env bash
# The rest of stop 24's queue, reordered once the 64^3 run times were known (~20 min for DAS
# k = 25% at 32 x 32 slices under load): POCUS seeds 1 and 2 first (issue 19's POCUS target and
# the POCUS presets need 3 seeds), then the 64^3 static samplers and full model of seed 0, then
# uniform with context on the MedMNIST sets, then the 64^3 seeds 1 and 2. Resumable.
#   bash benchmarks/run_stop24b.sh
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
