"""A run's settings file (run_config.json, tune_config.json): a resumed run must match it.

Example:
    >>> check_or_write_config("runs/a", {"epochs": 3})  # doctest: +SKIP
    >>> read_config("runs/a")  # doctest: +SKIP
    {'epochs': 3}
"""

import json
import os

from das_keras.runs.folder import write_text

CONFIG_NAME = "run_config.json"


def read_config(path):
    """The run_config.json of a run folder (or of the folder holding a .keras file), or {}."""
    folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    config_path = os.path.join(folder, CONFIG_NAME)
    if not os.path.isfile(config_path):
        return {}
    with open(config_path) as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as error:
            raise ValueError(f"{config_path} is not valid JSON ({error}).") from None


def check_or_write_config(folder, config, write=True, name=CONFIG_NAME, defaults=None):
    """Refuses a folder whose config file holds other settings; writes it (atomically) when new.

    Args:
        folder: the run (or search) folder.
        config: dict of the settings (JSON values).
        write: write the file when the folder has none yet.
        name: the file's name in `folder`.
        defaults: {key: value} a file written before the key existed stands for.

    Raises:
        ValueError: the file holds other settings (the message names each one).
    """
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        if write:
            os.makedirs(folder, exist_ok=True)
            write_text(path, json.dumps(config, indent=2, default=str) + "\n")
        return
    with open(path) as f:
        previous = json.load(f)
    # compared as the file stores it: a tuple (image_size=(32, 32)) reads back as a list
    config = json.loads(json.dumps(config, default=str))
    defaults = defaults or {}
    changed = sorted(
        f"{key}: {previous.get(key, defaults.get(key))!r} -> {config.get(key, defaults.get(key))!r}"
        for key in set(config) | set(previous)
        if previous.get(key, defaults.get(key)) != config.get(key, defaults.get(key))
    )
    if changed:
        raise ValueError(
            f"`output_dir` {folder} holds a run with other settings ({', '.join(changed)}); "
            "resume it with the same arguments or choose a new output folder."
        )
