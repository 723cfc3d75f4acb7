"""The journey suite's own rules, without a browser: what counts as English on an Indonesian
page, which links are one pattern, and how a form's values are compared."""

from __future__ import annotations

from tests.e2e.catalog import english_on_page, english_text, load_english_texts
from tests.e2e.forms import CREATES, OBJECT_ID, differences
from tests.e2e.journeys import pattern_of


def texts(*msgids: str):
    return [t for t in map(english_text, msgids) if t is not None]


def test_english_is_found_through_placeholders_case_and_line_breaks():
    found = english_on_page("Kamera\n  camera OFFLINE:\n Gerbang gudang  — Record\nintegrity",
                            texts("Camera offline: %(name)s", "Record integrity"))
    assert found == ["Camera offline: %(name)s", "Record integrity"]


def test_short_english_and_indonesian_text_are_not_english():
    assert texts("Status", "%(count)s of %(total)s") == []
    assert english_on_page("Integritas catatan", texts("Record integrity")) == []


def test_the_catalogue_leaves_out_texts_translated_the_same():
    msgids = {t.msgid for t in load_english_texts()}
    assert "Bahasa Indonesia" not in msgids
    assert "Record integrity" in msgids


def test_links_with_other_ids_or_query_values_are_one_pattern():
    assert pattern_of("http://h/objek/12/?tab=a") == pattern_of("http://h/objek/7/?tab=b")
    assert pattern_of("http://h/kamera/3/snapshot.jpg") == "/kamera/<id>/snapshot.jpg"
    assert pattern_of("http://h/objek/12/") != pattern_of("http://h/objek/12/?tab=a")


def test_edit_pages_name_an_object_and_neither_create_nor_hold_field_records():
    def edits(path: str) -> bool:
        return bool(OBJECT_ID.search(path)) and not CREATES.search(path)

    assert edits("/kamera/5/ubah/") and edits("/jaga/sif/12/")
    assert not edits("/akun/profil/")
    assert not edits("/pengecekan-gudang/objek/3/baru/")
    assert not edits("/insiden/4/")


def test_differences_name_the_field_and_both_values():
    before = [["start", "2026-12-06T07:00"], ["person", "4"], ["zones", "a"], ["zones", "b"]]
    after = [["start", "2026-12-06T00:00"], ["person", "4"], ["zones", "a"]]
    assert differences(before, after) == [
        "start: ['2026-12-06T07:00'] -> ['2026-12-06T00:00']",
        "zones: ['a', 'b'] -> ['a']",
    ]
    assert differences(before, list(before)) == []
