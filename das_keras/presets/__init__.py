"""Presets shipped with the package (package data): one folder per preset whose licence allows
redistribution. Load them with `das_keras.zoo.load(name)`; see `das_keras.zoo`."""
