"""tests/backends/test_backends.py runs once per Keras backend, in subprocesses.

`tests/test_backends_driver.py` runs it with KERAS_BACKEND=jax and KERAS_BACKEND=torch and
DAS_KERAS_BACKEND_SUITE=1. Without that variable (the default `pytest tests` run, on TensorFlow,
where the other test files cover the layers) the file is not collected, so it does not also run,
confusingly, under TensorFlow. To run it by hand:

    DAS_KERAS_BACKEND_SUITE=1 KERAS_BACKEND=jax pytest tests/backends
"""

import os

collect_ignore = [] if os.environ.get("DAS_KERAS_BACKEND_SUITE") == "1" else ["test_backends.py"]
