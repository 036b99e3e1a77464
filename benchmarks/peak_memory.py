"""Peak transient memory of a call: the resident set size (RSS) sampled every millisecond by a
thread, with glibc told to give every large block its own mmap so that freed tensors leave the RSS
at once (benchmarks/scaling.py's memory pass)."""

import ctypes
import os
import threading
import time

import numpy as np

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def malloc_large_blocks_with_mmap(threshold=128 * 1024):
    """Makes glibc serve every block >= threshold with mmap and unmap it when freed.

    By default glibc raises this threshold as large blocks are freed and then keeps them in its
    heap, so the resident size stops following the live tensors. With a fixed threshold (mallopt
    M_MMAP_THRESHOLD = -3), a tensor's memory is resident exactly while it is alive, and the
    peak resident size during a call measures its peak live memory.
    """
    try:
        return bool(ctypes.CDLL("libc.so.6").mallopt(-3, threshold))
    except (OSError, AttributeError):  # not glibc
        return False


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE_BYTES


def _trim():
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:  # not glibc: the figure is then less tight
        pass


class PeakRSS:
    """Samples the RSS every millisecond in a thread; `peak - start` after the block."""

    def __enter__(self):
        _trim()
        self.start = rss_bytes()
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(0.001)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def increase_mib(self):
        return (self.peak - self.start) / 2**20


def peak_mib(function, inputs):
    """Peak transient memory of one call, after a first (tracing) call."""
    np.asarray(function(inputs))
    with PeakRSS() as memory:
        np.asarray(function(inputs))
    return memory.increase_mib
