"""Bootstrap for `python benchmarks/compare.py` and `python benchmarks/update_readme.py` by file
path (benchmarks/run_issue19_round2.sh calls them so): puts the repository root on sys.path so
that `benchmarks` imports as a package. The documented way is `python -m benchmarks.NAME`, which
needs none of this; remove this file, and its two imports, once that queue has finished."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
