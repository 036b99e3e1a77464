"""Clip tables: the clips under a folder, their classes, groups (patients) and splits.

`video_folder_clips` lists the clips (`find_clips`), labels them (folder name, file-name prefix,
mapping or callable), reads each clip's group from a metadata table (`read_groups`) and assigns
whole groups to train / val / test (`assign_splits`).

`assign_splits` is a stratified greedy assignment of whole groups to three splits of given
fractions. scikit-learn's group-aware splitters do not do this job: `StratifiedGroupKFold` makes
K equal folds (not 0.7 / 0.15 / 0.15) and `GroupShuffleSplit` ignores the classes. Either would
also move clips between the POCUS splits that the results in docs/results were measured on (on
the real table, many clips change split: tests/data/test_splits.py), so the assignment stays. BUSV
needs no splitter: its splits are the published split files (one video per entry).
"""

import csv
import fnmatch
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np

from das_keras.checks import check_choice
from das_keras.data.clip_decode import FRAME_EXTENSIONS, VIDEO_EXTENSIONS
from das_keras.data.paths import DatasetNotFoundError

SPLITS = ("train", "val", "test")
# guessed in this order when the caller names no column of the metadata table
KEY_COLUMNS = ("Filename", "FileName", "filename", "file_name", "file", "path", "clip", "video")


class ClipTable(list):
    """A list of `Clip` rows with the class names their labels index (`class_names`)."""

    def __init__(self, rows, class_names):
        super().__init__(rows)
        self.class_names = list(class_names)


class Clip(NamedTuple):
    """One row of a clip table."""

    path: Path  # video file or frame folder
    label: int  # index into the class names
    class_name: str
    group: str  # patient / group id; clips without one form their own group
    split: str | None  # "train", "val", "test", or None when no split was asked for


def find_clips(root, exclude=()):
    """All clips under `root`: video files and frame folders, in sorted order.

    A folder that directly holds frame images is one clip (its subfolders are not searched).
    Hidden files and folders are ignored.

    Args:
        root: folder to search (recursively).
        exclude: glob patterns (`fnmatch`); a clip is left out when a pattern matches its path
            relative to `root` (posix form) or any component of it, e.g. "Vir*" or
            "label_uncertain".

    Returns:
        list of `pathlib.Path`.

    Example:
        >>> find_clips("pocus_videos", exclude=("Vir*",))[:1]  # doctest: +SKIP
        [PosixPath('pocus_videos/convex/Cov-Atlas+(44).gif')]
    """
    root = _existing_folder(root, "root")
    exclude = _check_patterns(exclude)
    clips = []
    for folder, subfolders, files in os.walk(root):
        folder = Path(folder)
        subfolders[:] = sorted(
            d for d in subfolders if not _skip(folder / d, root, exclude) and not d.startswith(".")
        )
        names = [f for f in sorted(files) if not f.startswith(".")]
        if folder != root and any(Path(f).suffix.lower() in FRAME_EXTENSIONS for f in names):
            clips.append(folder)
            subfolders[:] = []
            continue
        for name in names:
            path = folder / name
            if path.suffix.lower() in VIDEO_EXTENSIONS and not _skip(path, root, exclude):
                clips.append(path)
    return clips


def read_groups(metadata, key_column=None, group_column=None):
    """Clip -> group (patient) mapping from a metadata table.

    Args:
        metadata: path of a CSV file (UTF-8, header row), or a mapping {clip key: group}.
        key_column: CSV column naming the clip (file name, stem or relative path); default: the
            first of `KEY_COLUMNS` present.
        group_column: CSV column with the group; default: the first column whose name contains
            "patient" (case-insensitive).

    Returns:
        dict {lower-cased clip key: group str}; rows with an empty key or group are left out,
        and the first row wins for keys listed twice.

    Example:
        >>> read_groups({"Reg_pat1Image_1": "1"})
        {'reg_pat1image_1': '1'}
    """
    if isinstance(metadata, Mapping):
        return {str(k).strip().lower(): str(v) for k, v in metadata.items() if str(v).strip()}
    path = Path(metadata).expanduser()
    if not path.is_file():
        raise ValueError(
            f"`metadata` must be a CSV file or a mapping; received metadata={metadata!r} "
            "(no such file)."
        )
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as handle:
        rows = list(csv.DictReader(handle))
    columns = list(rows[0]) if rows else []
    key_column = _pick_column(columns, key_column, "key_column", KEY_COLUMNS, path)
    group_column = _pick_column(columns, group_column, "group_column", None, path)
    groups = {}
    for row in rows:
        key = (row.get(key_column) or "").strip().lower()
        group = (row.get(group_column) or "").strip()
        if key and group and key not in groups:
            groups[key] = group
    return groups


def assign_splits(groups, labels, split_fractions=(0.7, 0.15, 0.15), seed=0):
    """Assigns whole groups to train / val / test, stratified by class as far as groups allow.

    Groups are visited largest first (ties in a seeded random order) and each goes to the split
    whose class counts fall furthest short of `split_fractions`; no group lands in two splits.

    Args:
        groups: sequence of group ids, one per clip.
        labels: sequence of int labels, one per clip.
        split_fractions: (train, val, test) fractions, each >= 0, summing to 1.
        seed: int; the same seed gives the same assignment.

    Returns:
        list of "train" / "val" / "test", one per clip.

    Example:
        >>> from collections import Counter
        >>> splits = assign_splits(list("abcdefghij"), [0] * 5 + [1] * 5, (0.6, 0.2, 0.2))
        >>> sorted(Counter(splits).items())
        [('test', 2), ('train', 6), ('val', 2)]
    """
    fractions = _check_fractions(split_fractions)
    labels = np.asarray(labels, "int64")
    if len(groups) != len(labels):
        raise ValueError(
            f"`groups` and `labels` must have the same length; received {len(groups)} and "
            f"{len(labels)}."
        )
    members = {}
    for i, group in enumerate(groups):
        members.setdefault(group, []).append(i)
    order = sorted(members)
    order = [order[i] for i in np.random.default_rng(seed).permutation(len(order))]
    order.sort(key=lambda g: -len(members[g]))  # stable: the seeded order breaks ties
    num_classes = int(labels.max()) + 1 if len(labels) else 1
    target = fractions[:, None] * np.bincount(labels, minlength=num_classes)[None, :]
    current = np.zeros_like(target)
    result = [None] * len(labels)
    for group in order:
        counts = np.bincount(labels[members[group]], minlength=num_classes)
        deficit = ((target - current) * counts).sum(axis=1)
        deficit[fractions == 0] = -np.inf
        chosen = int(np.argmax(deficit))
        current[chosen] += counts
        for i in members[group]:
            result[i] = SPLITS[chosen]
    return result


def video_folder_clips(
    root,
    *,
    label_from="folder",
    class_names=None,
    exclude=(),
    metadata=None,
    group_column=None,
    key_column=None,
    split=None,
    split_fractions=(0.7, 0.15, 0.15),
    seed=0,
    allow_empty=False,
):
    """The table of clips under `root`: path, label, class name, group and split.

    Args:
        root: folder of clips (searched recursively, see `find_clips`).
        label_from: where the class comes from:
            "folder": the name of the folder holding the clip;
            "prefix": the leading letters of the file name ("Cov_x.mp4" -> "Cov");
            a mapping {file-name prefix: class name} (longest matching prefix wins), e.g.
            {"Cov": "covid", "Pneu": "pneumonia", "pneu": "pneumonia", "Reg": "regular"};
            a callable(path) -> class name or None.
            Clips without a class are skipped with a warning naming them.
        class_names: class order (label i = class_names[i]); clips of other classes are left
            out. Default: the sorted class names found; with label_from="folder" and clips laid
            out as root/<class>/<clip>, every subfolder of root is a class (as in
            torchvision's `ImageFolder`), and one that holds no clip is an error (below).
        exclude: glob patterns of clips to leave out (see `find_clips`).
        metadata: CSV path or mapping giving each clip's group (patient), see `read_groups`.
            Clips it does not list form a group of their own.
        group_column, key_column: CSV columns, see `read_groups`.
        split: None (all clips, split None) or "train" / "val" / "test".
        split_fractions: (train, val, test) fractions for `assign_splits`.
        seed: seed of the split assignment.
        allow_empty: with label_from="folder", an empty class folder (a subfolder of root
            without clips, not excluded) raises a ValueError naming it, because leaving it out
            would renumber the classes after it. True keeps it as a class without clips: the
            labels stay those of the sorted folder names.

    Returns:
        `ClipTable`: a list of `Clip` (path, label, class_name, group, split), in path order,
        with the class names its labels index as its `class_names` attribute (every class, also
        those without clips in the split asked for; [] when there are no clips).

    Example:
        >>> rows = video_folder_clips("clips", split="val")  # doctest: +SKIP
        >>> rows[0].class_name, rows[0].split, rows.class_names  # doctest: +SKIP
        ('covid', 'val', ['covid', 'regular'])
    """
    root = _existing_folder(root, "root")
    check_choice(split, "split", (*SPLITS, None))
    _check_fractions(split_fractions)
    exclude = _check_patterns(exclude)
    label_of = _label_rule(label_from)
    paths, names = _labelled(find_clips(root, exclude), label_of, label_from)
    if not paths:
        return ClipTable([], [])
    if class_names is None:
        class_names = sorted(set(names))
        if label_from == "folder":
            class_names = _folder_classes(root, paths, class_names, exclude, allow_empty)
    class_names = _check_class_names(class_names)
    keep = [i for i, name in enumerate(names) if name in class_names]
    paths = [paths[i] for i in keep]
    names = [names[i] for i in keep]
    labels = [class_names.index(n) for n in names]
    lookup = read_groups(metadata, key_column, group_column) if metadata is not None else {}
    groups = [_group_of(p, root, lookup) for p in paths]
    splits = [None] * len(paths)
    if split is not None:
        splits = assign_splits(groups, labels, split_fractions, seed)
    rows = [Clip(*row) for row in zip(paths, labels, names, groups, splits, strict=True)]
    return ClipTable([r for r in rows if split is None or r.split == split], class_names)


def clip_table(root, **options):
    """`video_folder_clips` as (rows, class_names) (kept for one release).

    Example:
        >>> rows, names = clip_table("clips", split="val")  # doctest: +SKIP
    """
    rows = video_folder_clips(root, **options)
    return rows, rows.class_names


def _folder_classes(root, paths, found, exclude, allow_empty):
    """Every class folder of a root/<class>/<clip> layout; an error for one without clips."""
    if any(p.parent.parent != root for p in paths):
        return found  # another layout: the folders holding clips are the classes
    folders = sorted(
        d.name
        for d in root.iterdir()
        if d.is_dir() and not d.name.startswith(".") and not _skip(d, root, exclude)
    )
    empty = [name for name in folders if name not in found]
    if empty and not allow_empty:
        shown = ", ".join(str(root / name) for name in empty)
        raise ValueError(
            f"Empty class folder(s) under {root}: {shown} hold(s) no clips. With "
            "label_from='folder' every subfolder is a class, and skipping one would renumber "
            "the classes after it. Add clips, remove the folder, leave it out with `exclude`, "
            "pass `class_names`, or pass allow_empty=True to keep it as a class without clips "
            f"(labels: {dict(enumerate(folders))})."
        )
    return folders


def _label_rule(label_from):
    if label_from == "folder":
        return lambda path: path.parent.name
    if label_from == "prefix":
        return lambda path: (re.match(r"[A-Za-z]+", path.name) or [None])[0]
    if isinstance(label_from, Mapping) and label_from:
        prefixes = sorted(label_from, key=len, reverse=True)  # longest prefix wins
        return lambda path: next((label_from[p] for p in prefixes if path.name.startswith(p)), None)
    if callable(label_from):
        return lambda path: label_from(path)
    raise ValueError(
        "`label_from` must be 'folder', 'prefix', a non-empty mapping {prefix: class} or a "
        f"callable(path) -> class; received label_from={label_from!r}."
    )


def _labelled(paths, label_of, label_from):
    kept, names, unlabelled = [], [], []
    for path in paths:
        name = label_of(path)
        if name is None or str(name) == "":
            unlabelled.append(path.name)
        else:
            kept.append(path)
            names.append(str(name))
    if unlabelled:
        shown = ", ".join(unlabelled[:5]) + (", ..." if len(unlabelled) > 5 else "")
        warnings.warn(
            f"{len(unlabelled)} clip(s) have no class under label_from={label_from!r} and were "
            f"skipped: {shown}. Use `exclude` to leave them out silently.",
            stacklevel=3,
        )
    return kept, names


def _group_of(path, root, lookup):
    relative = path.relative_to(root).as_posix()
    for key in (relative, path.name, path.stem):
        group = lookup.get(key.lower())
        if group is not None:
            return f"group:{group}"
    return f"clip:{relative}"  # no metadata row: a group of its own


def _pick_column(columns, wanted, name, guesses, path):
    if wanted is not None:
        if wanted not in columns:
            raise ValueError(
                f"`{name}` must be a column of {path}; received {name}={wanted!r}, "
                f"columns are {columns}."
            )
        return wanted
    if guesses is None:  # group column: anything about patients
        found = [c for c in columns if c and "patient" in c.lower()]
    else:
        found = [c for c in guesses if c in columns]
    if not found:
        raise ValueError(
            f"Could not guess `{name}` for {path}; pass it explicitly (columns: {columns})."
        )
    return found[0]


def _skip(path, root, patterns):
    relative = path.relative_to(root)
    candidates = [relative.as_posix(), *relative.parts]
    return any(fnmatch.fnmatchcase(c, p) for p in patterns for c in candidates)


def _existing_folder(folder, name):
    if not isinstance(folder, str | os.PathLike):
        raise ValueError(f"`{name}` must be a folder path; received {name}={folder!r}.")
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise DatasetNotFoundError(
            f"`{name}` must be an existing folder; received {name}={folder!r}."
        )
    return path


def _check_patterns(exclude):
    if isinstance(exclude, str):
        exclude = (exclude,)
    if not all(isinstance(p, str) for p in exclude):
        raise ValueError(f"`exclude` must be glob pattern strings; received exclude={exclude!r}.")
    return tuple(exclude)


def _check_class_names(class_names):
    names = [str(c) for c in class_names]
    if isinstance(class_names, str) or not names or len(set(names)) != len(names):
        raise ValueError(
            f"`class_names` must be a non-empty sequence of distinct names; "
            f"received class_names={class_names!r}."
        )
    return names


def _check_fractions(split_fractions):
    try:
        fractions = np.asarray(split_fractions, "float64")
    except (TypeError, ValueError):
        fractions = np.zeros(0)
    if fractions.shape != (3,) or (fractions < 0).any() or abs(fractions.sum() - 1) > 1e-6:
        raise ValueError(
            "`split_fractions` must be 3 non-negative numbers (train, val, test) summing to 1; "
            f"received split_fractions={split_fractions!r}."
        )
    return fractions


__all__ = [
    "KEY_COLUMNS",
    "SPLITS",
    "Clip",
    "ClipTable",
    "assign_splits",
    "clip_table",
    "find_clips",
    "read_groups",
    "video_folder_clips",
]
