"""Deprecated alias of `das_keras.runs.folder` (moved in issue 18; kept for one release).

The alias is the module itself (one object in `sys.modules`), so attributes set on either name,
monkeypatches included, are seen by both.
"""

import sys
import warnings

from das_keras.runs import folder as _folder

warnings.warn(
    "das_keras.run_folder moved to das_keras.runs.folder; the old name goes in the next release.",
    DeprecationWarning,
    stacklevel=2,
)
sys.modules[__name__] = _folder
