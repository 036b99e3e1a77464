"""Decoding one clip (video file, GIF or folder of frames) to T frames of one size.

Only the T frames to keep are held in memory: frame folders read only those files, GIFs seek
to them, and videos are streamed from ffmpeg frame by frame, keeping the frames at the target
indices (computed from the clip's frame count) and dropping the rest as they arrive.
"""

import logging
import re
import subprocess
from pathlib import Path

import numpy as np

from das_keras.data import transforms

VIDEO_EXTENSIONS = (".mp4", ".m4v", ".avi", ".mov", ".mpeg", ".mpg", ".mkv", ".webm", ".gif")
FRAME_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


class ClipDecodeError(ValueError):
    """A clip could not be read or holds no frames; the message names the file."""


def decode_clip(path, num_frames=16, size=(64, 64), grayscale=True):
    """Decodes one clip to `num_frames` evenly spaced frames of one size and colour mode.

    Video files are decoded by ffmpeg (imageio-ffmpeg), which also scales each frame (bilinear,
    anti-aliased) and converts it to gray or RGB; GIFs and frame folders are read with Pillow
    (bilinear, anti-aliased). Frame folders are sorted in natural order (2.png before 10.png)
    and only the frames kept are read. Frames are resampled with
    `transforms.resample_indices` (short clips repeat frames). The aspect ratio is not kept.
    Memory stays bounded by the T frames kept, whatever the clip's length: videos are streamed
    and every frame that is not kept is dropped as soon as it is decoded.

    Args:
        path: video file or folder of frames.
        num_frames: T (>= 1).
        size: int or (height, width).
        grayscale: one channel if True, RGB if False.

    Returns:
        uint8 NumPy array.

    Shapes:
        (T, height, width, 1) if grayscale else (T, height, width, 3).

    Raises:
        ClipDecodeError: the clip is missing, unreadable or has no frames (message names it).
        ImportError: imageio-ffmpeg or Pillow is not installed (the "video" extra).

    Example:
        >>> decode_clip("lung.mp4", num_frames=8, size=32).shape  # doctest: +SKIP
        (8, 32, 32, 1)
    """
    transforms.check_positive_int(num_frames, "num_frames")
    size = transforms.check_size(size)
    path = Path(path)
    try:
        if path.is_dir():
            return _read_frame_folder(path, num_frames, size, grayscale)
        if path.suffix.lower() == ".gif":
            return _read_gif(path, num_frames, size, grayscale)
        return _read_video(path, num_frames, size, grayscale)
    except ClipDecodeError:
        raise
    except ImportError as err:  # a missing decoder is the install's fault, not the clip's
        raise ImportError(
            f"Decoding {path.name} needs imageio-ffmpeg and Pillow: pip install 'das-keras[video]'"
            f" ({err})."
        ) from err
    except Exception as err:  # ffmpeg, Pillow and OS errors all mean "unreadable clip"
        raise ClipDecodeError(f"Could not decode clip {path}: {type(err).__name__}: {err}") from err


def frame_files(folder):
    """The frame images of a frame folder, in natural order (frame2 before frame10).

    Args:
        folder: folder path.

    Returns:
        list of `pathlib.Path` (hidden files and non-image files left out).

    Example:
        >>> [p.name for p in frame_files("clip")]  # doctest: +SKIP
        ['000000.png', '000001.png']
    """
    files = [
        p
        for p in Path(folder).iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in FRAME_EXTENSIONS
    ]
    return sorted(files, key=natural_key)


def natural_key(path):
    """Sort key putting "2.png" before "10.png" (digit runs compared as numbers).

    Args:
        path: `pathlib.Path`; only its name is used.

    Returns:
        list of str and int parts.

    Example:
        >>> from pathlib import Path
        >>> [p.name for p in sorted([Path("10.png"), Path("2.png")], key=natural_key)]
        ['2.png', '10.png']
    """
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.name)]


def _read_frame_folder(folder, num_frames, size, grayscale):
    from PIL import Image

    files = frame_files(folder)
    if not files:
        raise ClipDecodeError(f"Could not decode clip {folder}: the folder holds no frame images.")
    frames = {}
    for index in sorted(set(transforms.resample_indices(len(files), num_frames).tolist())):
        with Image.open(files[index]) as image:
            frames[index] = transforms.pil_frame(image, size, grayscale)
    return _stack(frames, len(files), num_frames)


def _read_gif(path, num_frames, size, grayscale):
    from PIL import Image

    with Image.open(path) as image:
        total = getattr(image, "n_frames", 1)
        frames = {}
        # GIF frames are deltas, so seeking goes forward through them in order anyway
        for index in sorted(set(transforms.resample_indices(total, num_frames).tolist())):
            image.seek(index)
            frames[index] = transforms.pil_frame(image, size, grayscale)
    return _stack(frames, total, num_frames)


def _read_video(path, num_frames, size, grayscale):
    if not path.is_file():
        raise ClipDecodeError(f"Could not decode clip {path}: no such file.")
    _quiet_imageio_ffmpeg()
    # the packet count (no decoding, ~10x faster than a decode) is the frame count for almost
    # every file; when the decoder gives another count, a second pass uses the exact one
    expected = _count_packets(path)
    frames, total = _stream_frames(path, size, grayscale, expected or 1, num_frames)
    if total == 0:
        raise ClipDecodeError(f"Could not decode clip {path}: ffmpeg returned no frames.")
    if total != expected:
        frames, total = _stream_frames(path, size, grayscale, total, num_frames)
    return _stack(frames, total, num_frames)


def _stream_frames(path, size, grayscale, total, num_frames):
    """Frames at `resample_indices(total, num_frames)` as {index: frame}, and the decoded count.

    Frames arrive one at a time from the ffmpeg pipe; only the wanted ones are kept.
    """
    import imageio_ffmpeg

    height, width = size
    depth = 1 if grayscale else 3
    wanted = set(transforms.resample_indices(total, num_frames).tolist())
    # scaling inside ffmpeg is ~2x faster than piping full-size frames to Pillow
    reader = imageio_ffmpeg.read_frames(
        str(path),
        pix_fmt="gray" if grayscale else "rgb24",
        bits_per_pixel=8 * depth,
        output_params=["-vf", f"scale={width}:{height}:flags=bilinear"],
    )
    frames, count = {}, 0
    try:
        next(reader)  # metadata
        for count, raw in enumerate(reader, start=1):
            if count - 1 in wanted:
                frames[count - 1] = np.frombuffer(raw, "uint8").reshape(height, width, depth)
    finally:
        reader.close()
    return frames, count


def _count_packets(path):
    """Number of video packets (frames for nearly every codec) by stream copy, or None."""
    import imageio_ffmpeg

    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-i", str(path)]
    command += ["-map", "0:v:0", "-c", "copy", "-f", "null", "-"]
    result = subprocess.run(command, capture_output=True, check=False, timeout=600)
    counts = re.findall(rb"frame=\s*(\d+)", result.stderr)
    return int(counts[-1]) if counts else None


def _stack(frames, total, num_frames):
    return np.stack([frames[i] for i in transforms.resample_indices(total, num_frames).tolist()])


class _FrameSizeNoteFilter(logging.Filter):
    """Drops imageio-ffmpeg's warning that the output size differs from the source: we ask
    ffmpeg to scale on purpose, and the note would otherwise print once per clip."""

    def filter(self, record):
        return not str(record.msg).startswith("The frame size for reading")


_FILTER = _FrameSizeNoteFilter()


def _quiet_imageio_ffmpeg():
    logger = logging.getLogger("imageio_ffmpeg")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)


__all__ = [
    "FRAME_EXTENSIONS",
    "VIDEO_EXTENSIONS",
    "ClipDecodeError",
    "decode_clip",
    "frame_files",
    "natural_key",
]
