"""Why the clip splits keep their own group assignment instead of scikit-learn's splitters.

`clip_table.assign_splits` decides the POCUS splits the published results were measured on;
scikit-learn's group-aware splitters, asked for the same fractions, would move many clips.
"""

import numpy as np
import pytest
from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold

from das_keras.data import pocus_clips


@pytest.mark.shared_data
def test_sklearn_group_splitters_would_move_pocus_clips(pocus_dir):
    rows = pocus_clips(pocus_dir)
    ours = {r.path: r.split for s in ("train", "val", "test") for r in pocus_clips(pocus_dir, s)}
    current = np.array([ours[r.path] for r in rows])
    labels = np.array([r.label for r in rows])
    groups = np.array([r.group for r in rows])
    # StratifiedGroupKFold: 7 folds -> 5 train, 1 val, 1 test (about 0.71 / 0.14 / 0.14)
    folds = np.empty(len(rows), int)
    splitter = StratifiedGroupKFold(n_splits=7, shuffle=True, random_state=0)
    for fold, (_, held_out) in enumerate(splitter.split(labels, labels, groups)):
        folds[held_out] = fold
    stratified = np.select([folds == 5, folds == 6], ["val", "test"], "train")
    # GroupShuffleSplit twice: 0.7 train, then the rest halved (classes ignored)
    train, rest = next(
        GroupShuffleSplit(1, test_size=0.3, random_state=0).split(labels, labels, groups)
    )
    val, test = next(
        GroupShuffleSplit(1, test_size=0.5, random_state=0).split(rest, labels[rest], groups[rest])
    )
    shuffled = np.array(["train"] * len(rows), dtype=object)
    shuffled[rest[val]], shuffled[rest[test]] = "val", "test"
    for theirs in (stratified, shuffled):
        # the patient grouping holds in both; the membership does not
        for group in set(groups):
            assert len(set(theirs[groups == group])) == 1
        moved = int((theirs != current).sum())
        print(f"{moved} of {len(rows)} clips would change split")
        assert moved > len(rows) // 4
