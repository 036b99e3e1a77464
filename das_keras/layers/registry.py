"""The sampler registry: short name -> sampler class, filled by the classes themselves.

A `BaseSampler` subclass that sets the class attribute `sampler_name` is registered when its
class statement runs (`BaseSampler.__init_subclass__` calls `register_sampler`), and registered
with Keras's serialization too, so that a model holding it saves to `.keras` and loads back. A
new sampler is therefore one file (one class) and no edit elsewhere: `get_sampler(name)`,
`das_keras.models.build_classifier(..., sampler=name)` and `SAMPLERS` see it at once.
"""

import types

import keras

_REGISTRY = {}

# A live, read-only view of the registry: name -> class, in registration order.
SAMPLERS = types.MappingProxyType(_REGISTRY)


def register_sampler(cls):
    """Registers a sampler class under its `sampler_name` (and with Keras's serialization).

    Called by `BaseSampler.__init_subclass__` for every subclass that sets `sampler_name`; call
    it yourself only for a class created some other way.

    Args:
        cls: a `das_keras.layers.BaseSampler` subclass with a `sampler_name` str.

    Returns:
        `cls`.

    Raises:
        ValueError: `sampler_name` is not a non-empty str, or it is already taken by another
            class (the same class defined again, e.g. a reloaded module, replaces it).

    Example:
        >>> register_sampler(UniformSampler) is UniformSampler  # doctest: +SKIP
        True
    """
    name = cls.sampler_name
    if not isinstance(name, str) or not name:
        raise ValueError(
            f"`{cls.__name__}.sampler_name` must be a non-empty str; received {name!r}."
        )
    taken = _REGISTRY.get(name)
    if taken is not None and _qualified(taken) != _qualified(cls):
        raise ValueError(
            f"Sampler name {name!r} of {_qualified(cls)} is already taken by "
            f"{_qualified(taken)}; choose another `sampler_name`."
        )
    _REGISTRY[name] = cls
    package = "das_keras" if cls.__module__.split(".")[0] == "das_keras" else cls.__module__
    keras.saving.register_keras_serializable(package=package)(cls)
    return cls


def unregister_sampler(name):
    """Removes a sampler from the registry (and from Keras's custom objects).

    Args:
        name: a registered `sampler_name`.

    Returns:
        The class that was registered under `name`.

    Example:
        >>> cls = unregister_sampler("my_sampler")  # doctest: +SKIP
    """
    cls = sampler_class(name)
    del _REGISTRY[name]
    custom = keras.saving.get_custom_objects()
    for key in [key for key, value in custom.items() if value is cls]:
        del custom[key]
    return cls


def sampler_class(name):
    """The sampler class registered under `name`.

    Args:
        name: a registered `sampler_name`, e.g. "das".

    Returns:
        The `BaseSampler` subclass.

    Raises:
        ValueError: no sampler is registered under `name` (the message lists those that are).

    Example:
        >>> sampler_class("uniform").__name__
        'UniformSampler'
    """
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(
            f"`sampler` must be the name of a registered sampler, one of {sorted(_REGISTRY)}; "
            f"received {name!r}. A BaseSampler subclass registers itself by setting the class "
            "attribute `sampler_name`."
        )
    return _REGISTRY[name]


def get_sampler(sampler, k=None, **kwargs):
    """Builds a sampler layer from its registered short name.

    Args:
        sampler: a registered name: "full", "uniform", "center", "random", "dps", "adps",
            "das", or that of any other registered `BaseSampler` subclass (`SAMPLERS`).
        k: slices to keep (int, or fraction of T); required unless the class keeps all slices
            (`takes_k = False`, as "full"), where it is ignored.
        **kwargs: passed to the layer's constructor (e.g. seed, context, heads).

    Returns:
        A new sampler layer.

    Raises:
        ValueError: an unknown name, or `k` missing.

    Example:
        >>> get_sampler("das", k=14, heads=2).heads
        2
    """
    cls = sampler_class(sampler)
    if not cls.takes_k:
        return cls(**kwargs)
    if k is None:
        raise ValueError(f"`k` is required for sampler {sampler!r}; received k=None.")
    return cls(k=k, **kwargs)


def _qualified(cls):
    return f"{cls.__module__}.{cls.__qualname__}"
