"""keras-tuner tuners over a `DASHyperModel`, and reports of their trials."""

import keras
import keras_tuner
from keras_tuner.src.distribute import utils as distribute_utils

from das_keras import checks
from das_keras.tuning.hypermodel import DASHyperModel

TUNERS = ("random", "bayesian", "hyperband")


def make_tuner(
    hypermodel,
    tuner="random",
    directory="das_tune",
    project_name="search",
    max_trials=10,
    max_epochs=None,
    seed=None,
    overwrite=False,
    **kwargs,
):
    """A keras-tuner tuner over a `DASHyperModel`, reloading an existing search by default.

    Args:
        hypermodel: a `DASHyperModel` (its `objective` is the tuner's).
        tuner: "random" (`RandomSearch`), "bayesian" (`BayesianOptimization`) or "hyperband".
        directory: folder of the search; the same folder and project name continue a search.
        project_name: sub-folder of `directory` holding the oracle and the trials.
        max_trials: int >= 1, trials in total (also across resumed runs); for Hyperband a cap on
            its schedule, or None for the whole schedule.
        max_epochs: Hyperband only (required there): epochs of the longest trials.
        seed: int or None, seed of the oracle.
        overwrite: False (default) reloads an existing search; True deletes it first.
        **kwargs: other arguments of the keras-tuner tuner (e.g. `factor`,
            `executions_per_trial`, `distribution_strategy`).

    Returns:
        The tuner; call `tuner.search(train, validation_data=val, epochs=E)`.

    Example:
        >>> tuner = make_tuner(DASHyperModel((28, 28, 28, 1), 2), "hyperband",
        ...                    directory="runs/tune", max_epochs=9)  # doctest: +SKIP
    """
    if not isinstance(hypermodel, DASHyperModel):
        raise ValueError(
            f"`hypermodel` must be a DASHyperModel; received {type(hypermodel).__name__}."
        )
    checks.check_choice(tuner, "tuner", TUNERS)
    checks.check_positive_int(max_trials, "max_trials", allow_none=True)
    if max_trials is None and tuner != "hyperband":
        raise ValueError(f"`max_trials` must be an int >= 1 for tuner={tuner!r}; received None.")
    common = {
        "objective": hypermodel.objective,
        "seed": seed,
        "directory": str(directory),
        "project_name": project_name,
        "overwrite": overwrite,
        **kwargs,
    }
    if tuner == "random":
        return keras_tuner.RandomSearch(hypermodel, max_trials=max_trials, **common)
    if tuner == "bayesian":
        return keras_tuner.BayesianOptimization(hypermodel, max_trials=max_trials, **common)
    checks.check_positive_int(max_epochs, "max_epochs")  # Hyperband needs it
    result = keras_tuner.Hyperband(hypermodel, max_epochs=max_epochs, **common)
    if max_trials is not None and isinstance(result.oracle, keras_tuner.Oracle):
        result.oracle.max_trials = max_trials  # the oracle stops creating trials at this count
    return result


def is_worker():
    """True in a keras-tuner distributed search in a worker process (not the chief).

    Returns:
        bool: `KERASTUNER_ORACLE_IP` is set and `KERASTUNER_TUNER_ID` does not name the chief.

    Example:
        >>> is_worker()  # doctest: +SKIP
        False
    """
    return distribute_utils.has_chief_oracle() and not distribute_utils.is_chief_oracle()


def trial_summary(tuner):
    """The trials of a search and its best one, for reports.

    Args:
        tuner: a keras-tuner tuner after (or during) `search` (not on a worker).

    Returns:
        dict with "objective" (name), "direction", "num_trials", "num_completed", "best" (None
        when no trial completed; else {"trial_id", "trial_number", "score", "hyperparameters"}
        without keras-tuner's own "tuner/..." entries; "trial_number" counts from 1 as
        keras-tuner prints "Trial N": trial_id "0" is Trial 1), "trials" (every completed
        trial in that form, in trial order) and "failures" (messages of failed trials).

    Example:
        >>> trial_summary(tuner)["best"]["hyperparameters"]  # doctest: +SKIP
        {'heads': 2, 'tau0': 0.71, 'k': 0.5, ...}
    """
    oracle = tuner.oracle
    trials = list(oracle.trials.values())
    completed = [t for t in trials if t.status == "COMPLETED" and t.score is not None]
    best = _trial_record(oracle.get_best_trials(1)[0]) if completed else None
    return {
        "objective": oracle.objective.name,
        "direction": oracle.objective.direction,
        "num_trials": len(trials),
        "num_completed": len(completed),
        "best": best,
        "trials": [
            _trial_record(t) for t in sorted(completed, key=lambda t: (len(t.trial_id), t.trial_id))
        ],
        "failures": [t.message for t in trials if t.status in ("FAILED", "INVALID") and t.message],
    }


def trial_number(trial_id):
    """The number keras-tuner shows for a trial ("Trial N", "Running Trial #N"), from 1.

    keras-tuner's oracles name each new trial by the count of earlier trials ("0", "1", ...,
    zero-padded to the width of max_trials: "00", "01", ...) and print that count plus one.

    Args:
        trial_id: a keras-tuner trial_id string.

    Returns:
        int, or None for a trial_id that is not such a count (a custom oracle's).

    Example:
        >>> trial_number("01")
        2
    """
    return int(trial_id) + 1 if str(trial_id).isdigit() else None


def tensorboard_callback(log_dir):
    """A TensorBoard callback for `tuner.search(..., callbacks=[...])`, with HParams.

    keras-tuner gives every trial its own copy writing to `log_dir/<trial_id>/execution<N>`,
    and adds the trial's hyperparameters and objective for TensorBoard's HParams dashboard
    (TensorFlow backend; needs the `tensorboard` package). View with `tensorboard --logdir DIR`.

    Args:
        log_dir: folder of the search's logs.

    Returns:
        A `keras.callbacks.TensorBoard` (epoch metrics only: no graph, no profile).

    Example:
        >>> callback = tensorboard_callback("runs/tune/tensorboard")
        >>> tuner.search(train, validation_data=val, callbacks=[callback])  # doctest: +SKIP
    """
    return keras.callbacks.TensorBoard(str(log_dir), write_graph=False, profile_batch=0)


def _trial_record(trial):
    return {
        "trial_id": trial.trial_id,
        "trial_number": trial_number(trial.trial_id),
        "score": float(trial.score),
        "hyperparameters": {
            name: value
            for name, value in trial.hyperparameters.values.items()
            if not name.startswith("tuner/")
        },
    }
