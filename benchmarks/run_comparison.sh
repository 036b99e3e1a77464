#!/bin/bash
# The runs behind docs/results/comparison.md and sensitivity.md, most important first.
# Every finished run is cached in runs/compare/ (an interrupted one resumes at its last epoch),
# so this can be stopped and started again; each command rewrites the reports from whatever
# has finished.
#   bash benchmarks/run_comparison.sh            (from the repository root, ../shared beside it)
set -e
export TF_CPP_MIN_LOG_LEVEL=3
P="python -m benchmarks.compare --backbones ours --k 0.5"
MAIN="--samplers full uniform dps das"
$P --datasets vessel $MAIN --seeds 0 1 2
$P --datasets synthetic $MAIN --epochs 6 --seeds 0 1 2
$P --datasets adrenal $MAIN --seeds 0
$P --datasets pocus $MAIN --seeds 0 1 2
$P --datasets adrenal $MAIN --seeds 1 2
python -m benchmarks.sensitivity --seeds 0 1 2     # also the k = 25% rows of vessel
python -m benchmarks.tuned_vs_default
# recipe variant probe: precise BatchNorm statistics (docs/results/comparison_precise_bn.md)
$P --variant precise_bn --datasets vessel --samplers das uniform --seeds 0 1 2
$P --datasets vessel adrenal pocus --samplers random adps --seeds 0 1 2
$P --datasets synthetic --samplers random adps --epochs 6 --seeds 0 1 2
python -m benchmarks.compare --datasets vessel adrenal pocus --backbones paper --k 0.5 --seeds 0 1 2
python -m benchmarks.update_readme
# rows added in stop 13: Random / ADPS on adrenal, the paper backbone on vessel (seed by seed)
$P --backbones ours --k 0.5 --datasets adrenal --samplers random adps --seeds 0 1 2
for seed in 0 1 2; do
  $P --backbones paper --k 0.5 --datasets vessel --samplers das uniform dps full --seeds $seed
done
# recipe probe: no augmentation (docs/results/comparison_no_augment.md)
for seed in 0 1 2; do
  $P --variant no_augment --backbones ours --k 0.5 --datasets vessel --samplers das uniform full --seeds $seed
done
# stop 14: VesselMNIST3D trains without flips and turns (compare.AUGMENT) -> its rows again; the
# speed table after the XLA-compiled descriptors; the no-augmentation probe on AdrenalMNIST3D
V="python -m benchmarks.compare --backbones ours"
for seed in 0 1 2; do
  $V --k 0.5 --datasets vessel --samplers das uniform full dps random adps --seeds $seed
done
python -m benchmarks.train_zoo --only das_vesselmnist3d_28 full_vesselmnist3d_28
python -m benchmarks.make_zoo_readme
python -m benchmarks.speed --configs T28_28x28 T28_28x28_mobilenet T64_64x64 T128_112x112 --rounds 9
for seed in 0 1 2; do
  $V --variant no_augment --k 0.5 --datasets adrenal --samplers das uniform --seeds $seed
done
for seed in 0 1 2; do
  $V --k 0.25 --datasets vessel --samplers das uniform dps --seeds $seed
done
for seed in 0 1 2; do
  $V --k 0.25 --datasets vessel --samplers random adps --seeds $seed
done
for seed in 0 1 2; do
  $V --k 0.25 --datasets adrenal --samplers das uniform dps --seeds $seed
done
for seed in 0 1 2; do
  $V --k 0.25 --datasets synthetic --samplers das uniform dps --epochs 6 --seeds $seed
done
for seed in 0 1 2; do
  $V --k 0.25 --datasets pocus --samplers das uniform dps --seeds $seed
done
for seed in 0 1 2; do
  $V --k 0.75 --datasets vessel --samplers das uniform dps --seeds $seed
done
python -m benchmarks.update_readme
# stop 15: the sensitivity sweep and the tuned vs default rows with the new VesselMNIST3D recipe
# (the search is unchanged: its trials never used augmentation, so it is read from
# docs/results/tuning.json); the paper backbone on the synthetic set and POCUS; a 24-epoch probe
# on AdrenalMNIST3D; the missing k = 25% rows (random, ADPS)
python -m benchmarks.sensitivity --seeds 0 1 2
python -m benchmarks.tuned_vs_default --stored-search
for seed in 0 1 2; do
  python -m benchmarks.compare --backbones paper --k 0.5 --datasets synthetic --samplers das uniform dps full random adps --epochs 6 --seeds $seed
done
python -m benchmarks.compare --variant precise_bn --backbones paper --k 0.5 --datasets synthetic --samplers full das --epochs 6 --seeds 0
python -m benchmarks.compare --variant epochs24 --backbones ours --k 0.5 --datasets adrenal --samplers das uniform full --seeds 0
for seed in 0 1 2; do
  python -m benchmarks.compare --backbones paper --k 0.5 --datasets pocus --samplers das uniform dps full random adps --seeds $seed
done
for seed in 0 1 2; do
  $V --k 0.25 --datasets synthetic --samplers random adps --epochs 6 --seeds $seed
done
for seed in 0 1 2; do
  $V --k 0.25 --datasets pocus --samplers random adps --seeds $seed
done
for seed in 0 1 2; do
  $V --k 0.25 --datasets adrenal --samplers random adps --seeds $seed
done
# on a GPU machine (an H100; Keras on JAX, no TensorFlow there: keras, namex and optree wheels):
#   KERAS_BACKEND=jax python -m benchmarks.backend_train_check --output docs/results/train_gpu
#   KERAS_BACKEND=jax python -m benchmarks.speed --rounds 15 --output docs/results/speed_gpu
#   KERAS_BACKEND=jax python -m benchmarks.speed --rounds 11 --batch-size 256 --output docs/results/speed_gpu_batch256
python -m benchmarks.update_readme
# stop 16: the paper backbone on AdrenalMNIST3D, and on VesselMNIST3D with its current recipe (no
# augmentation: the rows of stop 13 used flips and turns); each configuration's seeds averaged
for seed in 0 1 2; do
  python -m benchmarks.compare --backbones paper --k 0.5 --datasets adrenal --samplers das uniform dps full random adps --seeds $seed
done
for seed in 0 1 2; do
  python -m benchmarks.compare --backbones paper --k 0.5 --datasets vessel --samplers das uniform dps full random adps --seeds $seed
done
# the center sampler (the k central slices), added this stop, backbone ours
for seed in 0 1 2; do
  python -m benchmarks.compare --backbones ours --k 0.5 0.25 --datasets vessel adrenal pocus --samplers center --seeds $seed
  python -m benchmarks.compare --backbones ours --k 0.5 0.25 --datasets synthetic --samplers center --epochs 6 --seeds $seed
done
python -m benchmarks.seed_ensemble
python -m benchmarks.selection_stats
python -m benchmarks.update_readme
