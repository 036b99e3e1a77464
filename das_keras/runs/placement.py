"""Where a run trains: one device, or a `tf.distribute` strategy, behind one small object.

`train_run` asks a `Placement` everything that depends on the strategy (the scope to build the
model in, the data sharding, the folders this process writes, whether it is the chief), so the
strategy is touched here and in `das_keras.distribute` only.

Example:
    >>> placement = Placement.of("mirrored")  # doctest: +SKIP
    >>> with placement.scope():  # doctest: +SKIP
    ...     model = build_classifier(...)
"""

import contextlib
import os

from das_keras import distribute


class Placement:
    """One device (`strategy=None`) or a `tf.distribute.Strategy`, and what follows from it.

    Args:
        strategy: None (one device, no strategy), a name for `das_keras.distribute.get_strategy`
            ("default", "mirrored", "multi_worker", "tpu"), or a `tf.distribute.Strategy`. A
            name is turned into a strategy at once: create the placement before TensorFlow
            runs anything (multi-worker and TPU strategies need that).
        tpu: TPU name or address, for the name "tpu".

    Example:
        >>> Placement().distributed
        False
    """

    def __init__(self, strategy=None, tpu=None):
        if isinstance(strategy, str):
            strategy = distribute.get_strategy(strategy, tpu=tpu)
        self.strategy = strategy

    @classmethod
    def of(cls, placement):
        """A `Placement` from a placement, a strategy, a strategy name or None."""
        return placement if isinstance(placement, Placement) else cls(placement)

    @property
    def distributed(self):
        """Whether a strategy is set."""
        return self.strategy is not None

    @property
    def is_chief(self):
        """Whether this process writes the run folder (always, on one device)."""
        return not self.distributed or distribute.is_chief(self.strategy)

    def check_batch_size(self, batch_size):
        """Refuses a global batch smaller than the replicas (ValueError); returns it."""
        if self.distributed:
            distribute.check_global_batch_size(batch_size, self.strategy)
        return batch_size

    def scope(self):
        """The context to build and compile the model in."""
        return self.strategy.scope() if self.distributed else contextlib.nullcontext()

    def shard(self, dataset):
        """The data set as this process reads it (every worker keeps its share of a batch)."""
        return distribute.shard_by_data(dataset) if self.distributed else dataset

    def prepare(self, model):
        """Applies the Keras 3 multi-worker fix (`das_keras.distribute.prepare_model`)."""
        if self.distributed:
            distribute.prepare_model(model, self.strategy)
        return model

    def task_dir(self, output_dir):
        """(folder this process writes, whether it is a temporary one to remove at the end)."""
        if self.distributed:
            return distribute.task_dir(output_dir, self.strategy)
        return output_dir, False

    def backup_dir(self, output_dir):
        """This process's resume-state folder."""
        if self.distributed:
            return distribute.backup_dir(output_dir, self.strategy)
        return os.path.join(output_dir, "backup")

    @staticmethod
    def release(folder, temporary):
        """Removes a temporary task folder (see `task_dir`)."""
        distribute.remove_temporary(folder, temporary)

    def __repr__(self):
        name = type(self.strategy).__name__ if self.distributed else "one device"
        return f"Placement({name})"
