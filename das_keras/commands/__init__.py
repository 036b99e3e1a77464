"""Sub-commands of the `das-keras` console script, one module each.

Each module has `register(subparsers)`, which adds its parser and sets `func(args) -> exit code`.
"""
