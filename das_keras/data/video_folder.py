"""Folders of clips (video files or frame folders) as `tf.data` pipelines, and the POCUS layout.

A clip is a video file (.mp4, .avi, .mov, .mpeg, .mpg, .gif, ...; extensions in any case) or a
folder of frames (.png, .jpg, ...). Each clip is decoded once to T frames of one size and colour
mode (`decode_clip`), kept in memory and optionally in a `.npy` cache, and served as float32
(T, H, W, C) in [0, 1]. Classes come from folder names, file-name prefixes or a callable; splits
keep every group (patient) of a metadata table inside one split.

This module gathers the public names of the modules that do the work, one responsibility each:
`clip_decode` (decoding), `clip_cache` (the disk cache), `clip_table` (clip tables, classes,
splits), `clip_pipeline` (`clip_dataset`, `video_folder`) and `pocus` (the POCUS layout).
"""

from das_keras.data.clip_cache import ClipCacheWarning
from das_keras.data.clip_decode import (
    FRAME_EXTENSIONS,
    VIDEO_EXTENSIONS,
    ClipDecodeError,
    decode_clip,
    frame_files,
)
from das_keras.data.clip_pipeline import ON_ERROR, ClipDecodeWarning, clip_dataset, video_folder
from das_keras.data.clip_table import (
    KEY_COLUMNS,
    SPLITS,
    Clip,
    assign_splits,
    find_clips,
    read_groups,
    video_folder_clips,
)
from das_keras.data.pocus import *  # noqa: F403 (the names of pocus.__all__, re-exported)
from das_keras.data.pocus import __all__ as _POCUS_NAMES

__all__ = [
    "FRAME_EXTENSIONS",
    "KEY_COLUMNS",
    "ON_ERROR",
    "SPLITS",
    "VIDEO_EXTENSIONS",
    "Clip",
    "ClipCacheWarning",
    "ClipDecodeError",
    "ClipDecodeWarning",
    "assign_splits",
    "clip_dataset",
    "decode_clip",
    "find_clips",
    "frame_files",
    "read_groups",
    "video_folder",
    "video_folder_clips",
    *_POCUS_NAMES,
]
