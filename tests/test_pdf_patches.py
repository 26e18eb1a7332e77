"""pydyf's page references built once per page count; the collector quiet during renders."""

import gc
import resource
import sys

import pydyf
import pytest

from reports import pdf_patches


def test_page_references_are_the_same_and_follow_new_pages():
    pdf_patches.disable()
    try:
        plain = pydyf.PDF()
        for _ in range(3):
            plain.add_page(pydyf.Dictionary({"Type": "/Page"}))
        expected = plain.page_references
    finally:
        pdf_patches.enable()
    patched = pydyf.PDF()
    for _ in range(3):
        patched.add_page(pydyf.Dictionary({"Type": "/Page"}))
    assert patched.page_references == expected
    assert patched.page_references is patched.page_references  # built once, not per read
    patched.add_page(pydyf.Dictionary({"Type": "/Page"}))
    assert len(patched.page_references) == 4
    assert patched.page_references[-1] == f"{patched.objects[-1].number} 0 R".encode()


def test_enable_checks_the_pydyf_version(monkeypatch):
    monkeypatch.setattr(pydyf, "__version__", "0.14.0")
    with pytest.raises(RuntimeError, match="0.13.0"):
        pdf_patches.enable()


def test_quiet_gc_restores_the_collector():
    before = gc.get_threshold()
    with pdf_patches.quiet_gc(threshold=123_456):
        assert gc.get_threshold()[0] == 123_456
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before and gc.isenabled() and gc.get_freeze_count() == 0


def _faults(call) -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    call()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def _climb(depth: int, then):
    return then() if depth == 0 else _climb(depth - 1, then)


def _oscillate():
    """Calls whose depth goes up and down by 30 frames, 3,000 times."""
    for _ in range(3000):
        _climb(30, lambda: None)


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="the chunked frame stack of CPython 3.11")
def test_deep_stack_stops_frame_chunks_being_mapped_again_and_again():
    # At some starting depth the 30-frame swing crosses the end of a 16 KB chunk: each crossing
    # maps a new chunk (page faults) and unmaps it on the way back.
    plain = max(_faults(lambda d=d: _climb(d, _oscillate)) for d in range(0, 120, 3))
    deep = max(_faults(lambda d=d: pdf_patches.deep_stack(lambda: _climb(d, _oscillate))) for d in range(0, 120, 3))
    assert plain > 2000
    assert deep < 300
    assert pdf_patches.deep_stack(lambda: 42) == 42
