"""pydyf's page references built once per page count; the collector quiet during renders."""

import gc

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
