"""Run folders survive faults: a failed write, a second trainer, a failed start (issue 20)."""

import csv
import errno
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

STEPS_PER_EPOCH = 2  # 16 volumes, batches of 8
# val_loss falls every epoch with these settings (the validation split is the training split,
# BatchNorm keeps the last batch's statistics), so epoch 2 writes new best weights
TINY = {
    "sampler": "uniform",
    "k": 4,
    "epochs": 5,
    "batch_size": 8,
    "patience": 50,
    "bn_momentum": 0.0,
    "verbose": 0,
}


@pytest.fixture
def tiny_data(monkeypatch):
    """Replaces the synthetic data set by 16 volumes of 8 x 16 x 16; counts the loads."""
    from das_keras.data import catalog

    loads = []

    def load_splits(*args, **kwargs):
        loads.append(args)
        train = _tiny_split()
        return catalog.DataSplits(train, train, train, (8, 16, 16, 1), 2)

    monkeypatch.setattr(catalog, "load_splits", load_splits)
    return loads


def _tiny_split():
    from das_keras import data

    return data.synthetic(
        "train", num_samples=16, num_slices=8, size=16, batch_size=8, shuffle=False
    )


def _log(run):
    text = (run / "log.csv").read_text()
    rows = list(csv.DictReader(text.splitlines()))
    return text, [int(row["epoch"]) for row in rows], [float(row["val_loss"]) for row in rows]


def _disk_full_at_epoch_2(monkeypatch, run, target):
    """The first write of `target` ("best": weights into the run folder, "backup": weights into
    its backup, "log": log.csv) at the end of epoch 2 or later raises ENOSPC; returns the list of
    failed writes."""
    import keras

    from das_keras.runs import folder as run_folder

    save_weights = keras.Model.save_weights
    write_csv = run_folder._write_csv
    failed = []

    def no_space(temporary):
        raise OSError(errno.ENOSPC, "No space left on device", temporary)

    def failing_log(path, fields, rows):
        if len(rows) > 2 and not failed:
            failed.append(path)
            return run_folder.atomic_write(path, no_space)
        return write_csv(path, fields, rows)

    if target == "log":
        monkeypatch.setattr(run_folder, "_write_csv", failing_log)
        return failed

    def failing(self, filepath, *args, **kwargs):
        folder = os.path.dirname(os.path.abspath(filepath))
        in_target = folder == str(run / "backup") if target == "backup" else folder == str(run)
        late = int(self.optimizer.iterations) > 2 * STEPS_PER_EPOCH
        if in_target and late and not failed:
            failed.append(filepath)
            raise OSError(errno.ENOSPC, "No space left on device", filepath)
        return save_weights(self, filepath, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "save_weights", failing)
    return failed


@pytest.mark.slow
@pytest.mark.parametrize("target", ["best", "backup", "log"])
def test_failed_write_stops_the_run_and_the_resume_keeps_the_best_and_a_complete_log(
    tiny_data, monkeypatch, tmp_path, target
):
    from das_keras.runs import train_run
    from das_keras.runs.folder import RunFolderError, stored_value

    run = tmp_path / "run"
    failed = _disk_full_at_epoch_2(monkeypatch, run, target)
    with pytest.raises(RunFolderError, match="No space left on device") as error:
        train_run(run, **TINY)
    assert failed and "could not write" in str(error.value)
    assert not (run / "model.keras").exists()
    assert not list(run.glob(".*.h5")), "a temporary file was left behind"

    failed.append("disk has space again")  # the patched writer now passes every write through
    model, history = train_run(run, **TINY)

    text, epochs, val_losses = _log(run)
    assert epochs == [0, 1, 2, 3, 4] and text.count("epoch,") == 1
    assert history["val_loss"] == pytest.approx(val_losses)
    # the best weights are those of the lowest logged val_loss, never a worse epoch's
    assert stored_value(run / "best.weights.h5") == pytest.approx(min(val_losses))
    loss = model.evaluate(_tiny_split(), verbose=0)[0]
    assert loss == pytest.approx(min(val_losses), rel=1e-4)
    assert json.loads((run / "run_state.json").read_text()) == {"finished": True}
    assert not (run / "backup").exists()


@pytest.mark.slow
def test_a_second_trainer_is_refused_at_once_with_the_holders_pid(tiny_data, tmp_path):
    from das_keras.runs import train_run
    from das_keras.runs.folder import RunLockedError

    run = tmp_path / "run"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from das_keras.runs.folder import RunLock; lock = RunLock(sys.argv[1]);"
            " lock.acquire();"
            " print('locked', flush=True); sys.stdin.read()",
            str(run),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked", "the holder could not lock"
        start = time.monotonic()
        with pytest.raises(RunLockedError, match=rf"{run}.*PID {holder.pid}\b"):
            train_run(run, **TINY)
        assert time.monotonic() - start < 5
        assert not tiny_data, "the refused trainer loaded data"
        assert not (run / "run_config.json").exists()
    finally:
        holder.kill()  # SIGKILL: the OS drops the lock with the process
        holder.wait()
    train_run(run, **{**TINY, "epochs": 1})
    assert _log(run)[1] == [0]


@pytest.mark.slow
def test_a_failed_start_leaves_the_folder_free_for_a_valid_run(tiny_data, tmp_path):
    from das_keras.runs import train_run

    run = tmp_path / "run"
    with pytest.raises(ValueError, match="`k`"):
        train_run(run, **{**TINY, "k": 12})  # k > T = 8
    assert not (run / "run_config.json").exists()
    with pytest.raises(ValueError, match="sampler"):
        train_run(run, **{**TINY, "sampler": "nonesuch"})
    assert not (run / "run_config.json").exists()

    train_run(run, **{**TINY, "epochs": 1})
    assert json.loads((run / "run_config.json").read_text())["k"] == 4
    assert _log(run)[1] == [0]


@pytest.mark.parametrize(
    "name, value",
    [
        ("epochs", 0),
        ("epochs", -1),
        ("epochs", 2.5),
        ("learning_rate", -1),
        ("learning_rate", 0.0),
        ("learning_rate", float("nan")),
        ("batch_size", 0),
        ("patience", -1),
    ],
)
def test_numeric_arguments_are_refused_before_anything_is_written(tiny_data, tmp_path, name, value):
    from das_keras.runs import train_run

    with pytest.raises(ValueError, match=f"`{name}`.*received"):
        train_run(tmp_path / "run", **{**TINY, name: value})
    assert not tiny_data and not (tmp_path / "run").exists()


def test_atomic_write_keeps_the_old_file_when_the_writer_fails(tmp_path):
    from das_keras.runs.folder import RunFolderError, atomic_write, write_text

    path = tmp_path / "log.csv"
    write_text(path, "old")

    def torn(temporary):
        with open(temporary, "w") as f:
            f.write("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(RunFolderError, match=f"{path}.*No space left"):
        atomic_write(path, torn)
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["log.csv"]
    assert oct(path.stat().st_mode & 0o777) != oct(0o600)  # not mkstemp's private mode


def test_reconcile_restores_the_backups_log_row_when_a_crash_lost_it(tmp_path):
    import keras

    from das_keras.runs.folder import Backup, reconcile

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    backup = Backup(tmp_path / "backup", tmp_path / "run_state.json")
    backup.set_model(model)
    backup.on_epoch_end(2, {"loss": 0.7, "val_loss": 0.6})  # the backup of epoch 2 ...
    log = tmp_path / "log.csv"  # ... was written, the log row of epoch 2 was not
    log.write_text("epoch,loss,val_loss\n0,1.0,0.9\n1,0.8,0.5\n")

    reconcile(log, tmp_path / "best.weights.h5", tmp_path / "backup")

    assert log.read_text() == "epoch,loss,val_loss\n0,1.0,0.9\n1,0.8,0.5\n2,0.7,0.6\n"
    reconcile(log, tmp_path / "best.weights.h5", tmp_path / "backup")  # a second time: no change
    assert _log(tmp_path)[1] == [0, 1, 2]
    log.unlink()  # a log without the earlier rows (a worker's temporary one) gets no lone row
    reconcile(log, tmp_path / "best.weights.h5", tmp_path / "backup")
    assert not log.exists()


def test_reconcile_drops_log_rows_beyond_the_backup_and_stamps_old_best_weights(tmp_path):
    import keras

    from das_keras.runs.folder import reconcile, stored_value

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    best = tmp_path / "best.weights.h5"
    model.save_weights(best)  # a best-weights file from before the value was stored in it
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "training_metadata.json").write_text(json.dumps({"epoch": 2, "batch": 0}))
    log = tmp_path / "log.csv"
    log.write_text("epoch,loss,val_loss\n0,1.0,0.9\n1,0.8,0.5\n2,0.7,0.6\n3,0.6,0.4\n")

    reconcile(log, best, backup)

    assert _log(tmp_path)[1] == [0, 1]
    # the lowest val_loss of the whole log (epoch 3) was the best before the rows went
    assert stored_value(best) == pytest.approx(0.4)
    model.load_weights(best)  # the stamp leaves a loadable weights file
    assert np.isfinite(model.get_weights()[0]).all()


def test_a_run_config_with_tuples_resumes_as_the_file_stores_it(tmp_path):
    from das_keras.runs.config import check_or_write_config

    config = {"k": 0.25, "model_options": {"image_size": (32, 32)}}
    check_or_write_config(tmp_path, config)  # written: the tuple becomes a JSON list
    check_or_write_config(tmp_path, config, write=False)  # the same settings: accepted
    with pytest.raises(ValueError, match=r"model_options: .*\[32, 32\].*\[16, 16\]"):
        check_or_write_config(tmp_path, {"k": 0.25, "model_options": {"image_size": (16, 16)}})
