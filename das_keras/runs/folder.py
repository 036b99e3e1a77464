"""Run folders that survive faults: one trainer at a time, atomic writes, a reconciled resume.

What `das_keras.runs.train_run` relies on here:

- A lock (`RunLock`, an OS file lock through `filelock`): a second trainer on the same folder is
  refused at once with the holder's PID. The OS drops the lock when its process dies, so a killed
  run (SIGKILL included) leaves no stale lock.
- Atomic writes (`atomic_write`): every file of the run folder is written to a temporary file
  beside it and renamed onto its name, so a crash or a full disk leaves the old file or the new
  one, never a torn one. A failed write stops the run with a `RunFolderError` that names the file.
- One order per epoch: best weights, then the resume backup (which carries the epoch's log row),
  then log.csv. On a resume `reconcile` drops log rows of epochs that the backup does not hold
  (they are trained again) and restores the backup's row if a crash lost it, so log.csv keeps
  exactly one row per epoch.
- The best weights carry their validation loss inside the file (an HDF5 attribute, renamed into
  place with the weights in one step). A resumed run starts from that value, so the best weights
  are never replaced by a worse epoch.
- run_state.json says whether fit ran to its end, so a folder is not mistaken for a finished one
  when only its backup is missing.
"""

import contextlib
import csv
import json
import math
import os
import tempfile
import time

import filelock
import h5py
import keras

LOCK_NAME = "run.lock"
STATE_NAME = "run_state.json"
VAL_LOSS_ATTR = "das_keras_val_loss"
EPOCH_ATTR = "das_keras_epoch"
LOG_ROW_ATTR = "das_keras_log_row"
_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once: os.umask can only be read by setting it


class RunFolderError(RuntimeError):
    """A run folder could not be written, or holds a state that cannot be resumed."""


class RunLockedError(RunFolderError):
    """Another process is training in this run folder."""


def atomic_write(path, write):
    """Writes a file through a temporary file beside it, renamed onto `path` when complete.

    Args:
        path: the file to write.
        write: callable that writes the complete file to the path it is given (that path ends
            like `path`, e.g. ".weights.h5", for writers that check the extension).

    Returns:
        `path`.

    Raises:
        RunFolderError: the write failed (full disk, permissions, ...); `path` is unchanged.

    Example:
        >>> atomic_write("/tmp/a.txt", lambda p: open(p, "w").write("x"))  # doctest: +SKIP
    """
    folder, name = os.path.split(os.path.abspath(path))
    suffix = name[name.index(".") :] if "." in name else ""
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=suffix, dir=folder)
        os.close(handle)
        os.chmod(temporary, _mode(path))  # mkstemp makes 0600; keep the usual permissions
    except OSError as error:
        raise _write_error(path, error) from error
    try:
        write(temporary)
        with open(temporary, "rb+") as f:  # on disk before the rename makes it visible
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except OSError as error:
        _remove(temporary)
        raise _write_error(path, error) from error
    except BaseException:
        _remove(temporary)
        raise
    return path


def write_text(path, text):
    """Writes a text file atomically (see `atomic_write`)."""

    def write(temporary):
        with open(temporary, "w") as f:
            f.write(text)

    return atomic_write(path, write)


class RunLock:
    """An exclusive lock on a run folder, held while one process trains in it.

    The lock is an OS file lock on `<folder>/run.lock`; the holder's PID is written beside it
    (`run.lock.pid`) so that a refused process can name it.

    Args:
        folder: the run folder (created if missing).

    Raises:
        RunLockedError: on `acquire`, when another process holds the lock.

    Example:
        >>> with RunLock("runs/demo"):  # doctest: +SKIP
        ...     pass
    """

    def __init__(self, folder):
        self.folder = os.fspath(folder)
        self.path = os.path.join(self.folder, LOCK_NAME)
        self.pid_path = self.path + ".pid"
        self._lock = filelock.FileLock(self.path, timeout=0)

    def acquire(self):
        os.makedirs(self.folder, exist_ok=True)
        try:
            self._lock.acquire()
        except filelock.Timeout:
            raise RunLockedError(
                f"run folder {self.folder} is in use by another trainer (PID {self._holder()}); "
                "wait for it to end, stop it, or choose another output folder."
            ) from None
        try:
            write_text(self.pid_path, str(os.getpid()))
        except BaseException:
            self._lock.release()
            raise
        return self

    def release(self):
        if self._lock.is_locked:
            _remove(self.pid_path)
            self._lock.release()

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()

    def _holder(self):
        # the holder writes its PID just after it takes the lock: wait a moment for it
        for _ in range(20):
            with contextlib.suppress(OSError, ValueError):
                with open(self.pid_path) as f:
                    return int(f.read())
            time.sleep(0.05)
        return "unknown"


class BestWeights(keras.callbacks.Callback):
    """Saves the weights of the epoch with the lowest `monitor` value, atomically, with that
    value stored in the file; a resumed run starts from the stored value.

    Args:
        path: the weights file (ends in ".weights.h5").
        monitor: the log to minimise.

    Example:
        >>> best = BestWeights("run/best.weights.h5")
        >>> model.fit(x, y, validation_split=0.2, callbacks=[best])  # doctest: +SKIP
    """

    def __init__(self, path, monitor="val_loss"):
        super().__init__()
        self.path = os.fspath(path)
        self.monitor = monitor
        self.best = None

    def on_train_begin(self, logs=None):
        self.best = stored_value(self.path)

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or not math.isfinite(float(value)):
            return  # a NaN never becomes the best
        value = float(value)
        if self.best is not None and value >= self.best:
            return

        def write(temporary):
            self.model.save_weights(temporary)
            _set_attributes(temporary, {VAL_LOSS_ATTR: value, EPOCH_ATTR: epoch})

        atomic_write(self.path, write)
        self.best = value


class CSVLog(keras.callbacks.Callback):
    """Per-epoch logs in a CSV file, rewritten atomically each epoch (the format of
    `keras.callbacks.CSVLogger`: "epoch" then the sorted log names).

    A row for an epoch replaces any row of that epoch or later, so a repeated epoch is logged once.

    Args:
        path: the CSV file; an existing one is continued.
    """

    def __init__(self, path):
        super().__init__()
        self.path = os.fspath(path)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        fields, rows = read_csv(self.path)
        fields = fields or ["epoch", *sorted(logs)]
        rows = [row for row in rows if int(row["epoch"]) < epoch]
        rows.append({"epoch": epoch, **{key: logs.get(key, "NA") for key in fields[1:]}})
        _write_csv(self.path, fields, rows)


class Backup(keras.callbacks.BackupAndRestore):
    """`keras.callbacks.BackupAndRestore` with atomic writes, and a state file that says when fit
    ran to its end.

    The epoch count and the epoch's log row are stored in the weights file as well, so weights,
    epoch and row always agree (the metadata JSON, written second, can lag behind after a crash),
    and `reconcile` can restore a log row that a crash lost after the backup was written.

    Args:
        backup_dir: the backup folder.
        state_path: run_state.json of the run folder.
    """

    def __init__(self, backup_dir, state_path):
        super().__init__(backup_dir)
        self.state_path = os.fspath(state_path)
        self._row = {}

    def on_epoch_end(self, epoch, logs=None):
        # as CSVLog writes it: the values' str()
        self._row = {"epoch": str(epoch), **{k: str(v) for k, v in (logs or {}).items()}}
        super().on_epoch_end(epoch, logs)

    def on_train_begin(self, logs=None):
        write_text(self.state_path, json.dumps({"finished": False}))
        super().on_train_begin(logs)

    def on_train_end(self, logs=None):
        # written before the backup goes: a crash in between leaves a finished, known state
        write_text(self.state_path, json.dumps({"finished": True}))
        super().on_train_end(logs)

    def _save_model(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        epoch, row = self._current_epoch, json.dumps(self._row)

        def write(temporary):
            self.model.save_weights(temporary)
            _set_attributes(temporary, {EPOCH_ATTR: epoch, LOG_ROW_ATTR: row})

        atomic_write(self._weights_path, write)
        write_text(self._training_metadata_path, json.dumps({"epoch": epoch, "batch": 0}))

    def _load_model(self):
        super()._load_model()
        epoch = _attribute(self._weights_path, EPOCH_ATTR)
        if epoch is not None:
            self.model._initial_epoch = int(epoch)


def backup_epoch(backup_dir):
    """The number of complete epochs a backup folder holds (0 without a backup)."""
    epoch = _attribute(os.path.join(backup_dir, "latest.weights.h5"), EPOCH_ATTR)
    if epoch is not None:
        return int(epoch)
    with contextlib.suppress(OSError, ValueError, KeyError):
        with open(os.path.join(backup_dir, "training_metadata.json")) as f:
            return int(json.load(f)["epoch"])
    return 0


def stored_value(weights_path):
    """The validation loss stored in a best-weights file, or None."""
    value = _attribute(weights_path, VAL_LOSS_ATTR)
    return None if value is None else float(value)


def fit_finished(folder, log_path, best_path, backup_dir):
    """Whether an earlier fit in this run folder ran to its end.

    From run_state.json where the folder has one; a folder written before it existed counts as
    finished when epochs are logged, best weights written and no backup is left.
    """
    state_path = os.path.join(folder, STATE_NAME)
    if os.path.exists(state_path):
        with open(state_path) as f:
            return bool(json.load(f).get("finished")) and os.path.exists(best_path)
    if os.path.exists(backup_dir) or not os.path.exists(best_path):
        return False
    return bool(read_csv(log_path)[1])


def reconcile(log_path, best_path, backup_dir):
    """Brings a run folder to the state of its backup before a resume.

    Log rows of epochs the backup does not hold are dropped (the resumed fit trains and logs
    them again); the row of the backup's last epoch is restored from the backup when a crash
    lost it. Best weights from before their validation loss was stored in the file get it from
    the lowest logged one, read before any row is dropped.

    Args:
        log_path, best_path, backup_dir: the run folder's log.csv, best weights and backup.
    """
    fields, rows = read_csv(log_path)
    if os.path.exists(best_path) and stored_value(best_path) is None:
        logged = [float(row["val_loss"]) for row in rows if row.get("val_loss") not in (None, "")]
        if logged:
            _restamp(best_path, min(logged))
    start = backup_epoch(backup_dir)
    kept = [row for row in rows if int(row["epoch"]) < start]
    last = _backup_row(backup_dir)
    # only the row that the crash lost: the log holds every epoch before it (a worker's fresh
    # temporary log, see das_keras.distribute.task_dir, holds none and gets none)
    before = [int(row["epoch"]) for row in kept] == list(range(start - 1))
    if last and int(last["epoch"]) == start - 1 and before:
        fields = fields or ["epoch", *sorted(set(last) - {"epoch"})]
        kept.append({key: last.get(key, "NA") for key in fields})
    elif len(kept) == len(rows):
        return
    if kept:
        _write_csv(log_path, fields, kept)
    else:
        os.remove(log_path)


def _backup_row(backup_dir):
    row = _attribute(os.path.join(backup_dir, "latest.weights.h5"), LOG_ROW_ATTR)
    with contextlib.suppress(TypeError, ValueError):
        row = json.loads(row)
        return row if isinstance(row, dict) and "epoch" in row else None
    return None


def read_log(log_path):
    """Per-epoch logs from a run's log.csv as {column: [values]}.

    Example:
        >>> read_log("runs/demo/log.csv")["val_loss"]  # doctest: +SKIP
    """
    _, rows = read_csv(log_path)
    return {key: [float(r[key]) for r in rows] for key in (rows[0] if rows else {})}


def read_csv(path):
    """(field names, rows as dicts) of a CSV file; ([], []) when it is missing or empty."""
    if not os.path.exists(path):
        return [], []
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def _write_csv(path, fields, rows):
    def write(temporary):
        with open(temporary, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)

    atomic_write(path, write)


def _restamp(path, value):
    def write(temporary):
        with open(path, "rb") as source, open(temporary, "wb") as target:
            target.write(source.read())
        _set_attributes(temporary, {VAL_LOSS_ATTR: value})

    atomic_write(path, write)


def _set_attributes(path, attributes):
    with h5py.File(path, "a") as f:
        f.attrs.update(attributes)


def _attribute(path, name):
    if not os.path.exists(path):
        return None
    try:
        with h5py.File(path, "r") as f:
            value = f.attrs.get(name)
    except OSError:
        return None  # not an HDF5 file: no stored value
    return None if value is None else value.item() if hasattr(value, "item") else value


def _mode(path):
    with contextlib.suppress(OSError):
        return os.stat(path).st_mode & 0o777
    return 0o666 & ~_UMASK


def _write_error(path, error):
    return RunFolderError(
        f"could not write {path}: {error.strerror or error}. The run stopped; fix the cause "
        "(e.g. free disk space), then run the same command again to resume from the last "
        "complete epoch."
    )


def _remove(path):
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)
