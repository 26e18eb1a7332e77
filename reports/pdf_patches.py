"""Speed fixes around WeasyPrint 70.0 / pydyf 0.13.0, pinned like the text-layer fix.

- ``enable()``: pydyf's ``PDF.page_references`` builds a new tuple of every page's
  reference each time it is read, and WeasyPrint's tagging reads it once per
  tagged element: quadratic in the page count.  The patched property keeps the
  tuple until a page is added.
- ``quiet_gc()``: the cyclic garbage collector paused while a render runs.  A
  render allocates hundreds of thousands of boxes that live until the PDF is
  written; generation-2 collections rescan them again and again (5–10 % of a
  dense render).  Objects alive before the render are frozen (never scanned),
  collections run only every ``threshold`` allocations, and everything is
  restored afterwards.
- ``deep_stack(call)``: CPython 3.11 keeps Python frames in 16 KB chunks that it maps
  and unmaps as the call depth crosses a chunk's end; WeasyPrint's layout recursion
  crosses one such end hundreds of thousands of times per long report when the render
  starts at an unlucky depth (measured: 4,700 to 141,000 page faults and 1.6 to 2.8 s
  CPU for the same 36 pages, by call depth alone).  ``call`` runs above one frame of
  40,000 unused local slots: its chunk (512 KB) holds the whole render's frames.
"""

from __future__ import annotations

import gc
import sys
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import pydyf

SUPPORTED_PYDYF = "0.13.0"
_ORIGINAL_PAGE_REFERENCES = pydyf.PDF.page_references


def _page_references(self: pydyf.PDF) -> tuple[bytes, ...]:
    kids = self.pages["Kids"]
    cached = self.__dict__.get("_ita_page_references")
    if cached is None or cached[0] != len(kids):
        references = tuple(f"{number} 0 R".encode("ascii") for number in kids[::3])
        cached = self.__dict__["_ita_page_references"] = (len(kids), references)
    return cached[1]


def enable() -> None:
    """Install the pydyf fix; calling it again changes nothing."""
    if pydyf.__version__ != SUPPORTED_PYDYF:
        raise RuntimeError(
            f"reports.pdf_patches is verified with pydyf {SUPPORTED_PYDYF} only, not {pydyf.__version__}: "
            f"run tests/test_pdf_patches.py with the new version, then update SUPPORTED_PYDYF."
        )
    pydyf.PDF.page_references = property(_page_references)


def disable() -> None:
    pydyf.PDF.page_references = _ORIGINAL_PAGE_REFERENCES


@contextmanager
def quiet_gc(threshold: int = 200_000) -> Iterator[None]:
    """Collect rarely during the block: what lived before it is never rescanned."""
    was_enabled = gc.isenabled()
    old_threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(threshold, old_threshold[1], old_threshold[2])
    try:
        yield
    finally:
        gc.set_threshold(*old_threshold)
        gc.unfreeze()
        if not was_enabled:
            gc.disable()


T = TypeVar("T")
_SLOTS = 40_000  # 320 KB of frame: the chunk grows to 512 KB, ~190 KB left for the render


def _call(call):
    return call()


_DEEP = types.FunctionType(
    _call.__code__.replace(
        co_varnames=_call.__code__.co_varnames + tuple(f"_{n}" for n in range(_SLOTS)),
        co_nlocals=_call.__code__.co_nlocals + _SLOTS,
    ),
    {},
    "_deep_stack_call",
)


def deep_stack(call: Callable[[], T]) -> T:
    """``call()``, its frames in one large data-stack chunk (CPython 3.11; elsewhere a plain call)."""
    if sys.version_info[:2] != (3, 11):
        return call()
    return _DEEP(call)
