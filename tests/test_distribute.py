"""Training under tf.distribute, on this CPU machine.

TensorFlow fixes its devices when it starts, so every test runs TensorFlow in subprocesses:

- MirroredStrategy over 2 logical CPU devices (one process);
- MultiWorkerMirroredStrategy with 2 worker processes on 127.0.0.1 (TF_CONFIG on free ports).

The data are tiny (das_keras.data.synthetic_arrays: 64 volumes of 8 slices of 16x16) and the
model is DAS + small_cnn, so each test takes well under a minute.
"""

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

# Shared by both scripts: train_run's data loader replaced by tiny in-memory splits.
TINY_SPLITS = """
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import json, sys
import numpy as np


def tiny_splits(dataset, batch_size, seed, *args, **kwargs):
    import tensorflow as tf

    from das_keras.data import synthetic_arrays
    from das_keras.data.catalog import DataSplits

    def split(offset, n, shuffle):
        data = synthetic_arrays(n, num_slices=8, size=16, structure_slices=3, noise=0.05,
                                seed=seed * 10 + offset)
        ds = tf.data.Dataset.from_tensor_slices((data["x"], data["y"]))
        if shuffle:
            ds = ds.shuffle(n, seed=seed)
        return ds.batch(batch_size)

    return DataSplits(split(0, 64, True), split(1, 32, False), split(2, 32, False),
                      input_shape=(8, 16, 16, 1), num_classes=2, class_names=["a", "b"])


def patch_training():
    from das_keras import runs
    from das_keras.data import catalog

    catalog.load_splits = tiny_splits
    return runs


def fixed_inputs():
    from das_keras.data import synthetic_arrays

    return synthetic_arrays(16, num_slices=8, size=16, structure_slices=3, noise=0.05, seed=99)
"""

MIRRORED_SCRIPT = """
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras
from das_keras import distribute
from das_keras.layers import RandomSampler
from das_keras.layers import functional as F
from das_keras.models import build_classifier

out_dir = sys.argv[1]
training = patch_training()
strategy = distribute.get_strategy("mirrored", devices=["/cpu:0", "/cpu:1"])
result = {"replicas": strategy.num_replicas_in_sync}

# 1. Gumbel noise and random keys: different on the two replicas.
with strategy.scope():
    seed = keras.random.SeedGenerator(0)
    sampler = RandomSampler(k=4, seed=0)
    sampler.build((None, 8, 4, 4, 1))
x = tf.zeros((4, 8, 4, 4, 1))

@tf.function
def draw():
    return strategy.run(lambda: (F.gumbel_noise((3, 8), seed), sampler.select(x)[0]))

noise, indices = draw()
result["noise"] = [v.numpy().tolist() for v in strategy.experimental_local_results(noise)]
result["indices"] = [v.numpy().tolist() for v in strategy.experimental_local_results(indices)]
result["outside"] = F.gumbel_noise((3, 8), keras.random.SeedGenerator(0)).numpy().tolist()

# 2. The same run on 2 replicas and on 1 device.
options = dict(dataset="synthetic", sampler="das", k=4, epochs=4, batch_size=16,
               learning_rate=3e-3, patience=50, verbose=0, seed=0)
model2, history2 = training.train_run(os.path.join(out_dir, "two"), strategy=strategy, **options)
result["two"] = history2
result["variable_type"] = type(model2.trainable_variables[0].value).__name__
model1, history1 = training.train_run(os.path.join(out_dir, "one"), **options)
result["one"] = history1

# 3. The 2-replica checkpoint loads on one device, with the same outputs.
inputs = fixed_inputs()["x"]
reference = model2.predict(inputs, batch_size=8, verbose=0)
single = build_classifier((8, 16, 16, 1), 2, sampler="das", k=4, backbone="small_cnn",
                          sampler_kwargs={"seed": 0})
single.load_weights(os.path.join(out_dir, "two", "best.weights.h5"))
result["reload_max_diff"] = float(np.max(np.abs(single.predict(inputs, verbose=0) - reference)))
with open(os.path.join(out_dir, "result.json"), "w") as f:
    json.dump(result, f)
"""

WORKER_SCRIPT = '''
import keras
import tensorflow as tf

from das_keras import distribute
from das_keras.layers import functional as F

out_dir, task_id = sys.argv[1], int(sys.argv[2])
training = patch_training()
strategy = distribute.get_strategy("multi_worker")
result = {"replicas": strategy.num_replicas_in_sync, "chief": distribute.is_chief(strategy)}


class CrashAtEpoch(keras.callbacks.EarlyStopping):
    """EarlyStopping that stops the first run with an error when epoch 2 begins."""

    crash = True

    def on_epoch_begin(self, epoch, logs=None):
        if CrashAtEpoch.crash and epoch == 2:
            CrashAtEpoch.crash = False
            raise RuntimeError("simulated interruption")


keras.callbacks.EarlyStopping = CrashAtEpoch
options = dict(dataset="synthetic", sampler="das", k=4, epochs=4, batch_size=16,
               learning_rate=3e-3, patience=50, verbose=0, seed=0)
run_dir = os.path.join(out_dir, "run")
try:
    training.train_run(run_dir, strategy=strategy, **options)
    result["interrupted"] = False
except RuntimeError as error:
    result["interrupted"] = "simulated interruption" in str(error)
    result["after_interruption"] = sorted(os.listdir(run_dir))
model, history = training.train_run(run_dir, strategy=strategy, **options)
result["history"] = history
result["predictions"] = model.predict(fixed_inputs()["x"], batch_size=8, verbose=0).tolist()

with strategy.scope():
    seed = keras.random.SeedGenerator(0)

@tf.function
def draw():
    return strategy.run(lambda: F.gumbel_noise((3, 8), seed))

result["noise"] = strategy.experimental_local_results(draw())[0].numpy().tolist()
with open(os.path.join(out_dir, f"result_{task_id}.json"), "w") as f:
    json.dump(result, f)
'''


def _environment(**extra):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow", **extra}
    env.pop("TF_CONFIG", None)
    env.update(extra)
    return env


def _script(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(textwrap.dedent(TINY_SPLITS) + textwrap.dedent(body))
    return str(path)


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _decreased(history):
    return history["loss"][-1] < history["loss"][0]


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory):
    """Runs the MirroredStrategy script once; its results for the tests below."""
    out = tmp_path_factory.mktemp("mirrored")
    script = _script(out, "mirrored.py", MIRRORED_SCRIPT)
    done = subprocess.run(
        [sys.executable, script, str(out)],
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    with open(out / "result.json") as f:
        return json.load(f), out


def test_mirrored_replicas_draw_different_noise(mirrored):
    result, _ = mirrored
    assert result["replicas"] == 2
    noise = np.asarray(result["noise"])  # (replicas, 3, 8)
    assert noise.shape == (2, 3, 8)
    assert not np.allclose(noise[0], noise[1]), "both replicas drew the same Gumbel noise"
    assert np.abs(noise[0] - noise[1]).min() > 0  # no element shared
    indices = result["indices"]
    assert indices[0] != indices[1], "both replicas drew the same random slices"
    # Outside a replica context the draw is plain keras.random (and replica 0 shares its start).
    assert np.asarray(result["outside"]).shape == (3, 8)
    assert np.allclose(np.asarray(result["outside"])[0], noise[0][0])


def test_mirrored_training_matches_one_device(mirrored):
    result, out = mirrored
    two, one = result["two"], result["one"]
    assert result["variable_type"] == "MirroredVariable"
    assert len(two["loss"]) == len(one["loss"]) == 4
    assert _decreased(two) and _decreased(one), (two["loss"], one["loss"])
    # Same data, seed and global batch: the runs differ only by per-replica BatchNorm statistics
    # and noise. Both learn the training set (chance is 0.5) and end at a similar loss.
    assert two["accuracy"][-1] >= 0.75 and one["accuracy"][-1] >= 0.75, (two, one)
    assert abs(two["loss"][-1] - one["loss"][-1]) < 0.25, (two["loss"], one["loss"])
    for name in ("log.csv", "best.weights.h5", "model.keras", "run_config.json"):
        assert (out / "two" / name).exists(), name
    assert not (out / "two" / "backup").exists()  # BackupAndRestore cleans up after a full run


def test_mirrored_checkpoint_loads_on_one_device(mirrored):
    result, _ = mirrored
    assert result["reload_max_diff"] < 1e-5


@pytest.mark.slow
def test_two_worker_training_on_localhost(tmp_path):
    script = _script(tmp_path, "worker.py", WORKER_SCRIPT)
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    processes = []
    for index in range(2):
        tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        processes.append(
            subprocess.Popen(
                [sys.executable, script, str(tmp_path), str(index)],
                env=_environment(TF_CONFIG=json.dumps(tf_config)),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outputs = []
    try:
        for process in processes:
            outputs.append(process.communicate(timeout=300))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for process, (_, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr[-4000:]
    results = []
    for index in range(2):
        with open(tmp_path / f"result_{index}.json") as f:
            results.append(json.load(f))
    chief, worker = results
    assert chief["replicas"] == worker["replicas"] == 2
    assert chief["chief"] and not worker["chief"]

    # Interrupted when epoch 3 began, resumed from the backups at epoch 3: 4 epochs in all.
    assert chief["interrupted"] and worker["interrupted"]
    assert "backup" in chief["after_interruption"]
    assert "backup_worker_1" in chief["after_interruption"]  # the worker's own backup
    history = chief["history"]
    assert [int(e) for e in history["epoch"]] == [0, 1, 2, 3]
    assert _decreased(history), history["loss"]

    # Only the chief wrote the run folder; the backups are gone after the finished run.
    run = tmp_path / "run"
    # (run.lock: filelock may leave the released lock file in place)
    assert sorted(set(os.listdir(run)) - {"run.lock"}) == [
        "best.weights.h5",
        "log.csv",
        "model.keras",
        "run_config.json",
        "run_state.json",
        "tensorboard",
    ]
    # Both workers hold the same (synchronised) model; predict gathers all 16 inputs.
    assert np.asarray(chief["predictions"]).shape == (16, 2)
    np.testing.assert_allclose(chief["predictions"], worker["predictions"], atol=1e-5)
    assert worker["history"]["loss"] == history["loss"][2:]  # the same steps on both workers
    # The two workers' replicas drew different Gumbel noise.
    assert not np.allclose(chief["noise"], worker["noise"])


def test_get_strategy_errors(monkeypatch):
    from das_keras import distribute

    with pytest.raises(ValueError, match="`name` must be one of"):
        distribute.get_strategy("horovod")
    with pytest.raises(ValueError, match="`devices` is only used"):
        distribute.get_strategy("default", devices=["/cpu:0"])
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="TF_CONFIG environment variable, which is not set"):
        distribute.get_strategy("multi_worker")
    for key in ("TPU_NAME", "COLAB_TPU_ADDR"):
        monkeypatch.delenv(key, raising=False)
    if not os.path.exists("/dev/accel0") and not os.path.exists("/dev/vfio/0"):
        with pytest.raises(RuntimeError, match="No TPU found"):
            distribute.get_strategy("tpu")
    with pytest.raises(ValueError, match="`batch_size` is the global batch"):
        distribute.check_global_batch_size(0)


@pytest.mark.parametrize(
    "raw, message",
    [
        ("not json", "TF_CONFIG must be JSON"),
        ('{"cluster": {}}', "'cluster' dict and a 'task' dict"),
        ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "ps", "index": 0}}', "must name a job"),
        (
            '{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 3}}',
            "out of range",
        ),
    ],
)
def test_tf_config_errors(raw, message):
    from das_keras.distribute import tf_config_task

    with pytest.raises(ValueError, match=message):
        tf_config_task({"TF_CONFIG": raw})


def test_tf_config_task():
    from das_keras.distribute import tf_config_task

    config = {"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}
    assert tf_config_task({"TF_CONFIG": json.dumps(config)}) == ("worker", 1, config["cluster"])


def test_cli_has_strategy_flag():
    from das_keras.cli import build_parser

    args = build_parser().parse_args(
        ["train", "--output", "x", "--strategy", "mirrored", "--batch-size", "64"]
    )
    assert args.strategy == "mirrored" and args.batch_size == 64
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--output", "x", "--strategy", "ps"])
