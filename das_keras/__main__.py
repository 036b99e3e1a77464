"""`python -m das_keras`: the `das-keras` command line."""

import sys

from das_keras.cli import main

sys.exit(main())
