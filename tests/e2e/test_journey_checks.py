"""The journey suite's checks see what they are meant to see: a crawl through a small made-up
site (served by the browser's request routing, no portal) reports each kind of problem."""

from __future__ import annotations

import pytest

from tests.e2e.catalog import load_english_texts
from tests.e2e.forms import check_unchanged_save
from tests.e2e.journeys import PHONE, Crawl, Journey, Problems

pytestmark = pytest.mark.e2e

BASE = "http://journey.test"
HEAD = '<meta name="viewport" content="width=device-width, initial-scale=1">'
MENU = '<nav class="mainnav"><a href="/a/">A</a> <a href="/b/">B</a></nav>'
PAGES = {
    "/": (200, {}, f"<html lang='id'><head>{HEAD}</head><body>{MENU}"
                   "<h1>Record integrity</h1></body></html>"),
    "/a/": (200, {"Content-Security-Policy": "script-src 'self'"},
            f"<html lang='id'><head>{HEAD}<script src='/noisy.js'></script></head><body>{MENU}"
            "<script>document.title = 'inline';</script>"
            "<a href='/c/1/'>one</a> <a href='/c/2/'>two</a> <a href='/c/3/'>three</a>"
            "<a href='/laporan.csv'>CSV</a></body></html>"),
    "/b/": (500, {}, "<html lang='en'><body>Traceback (most recent call last)</body></html>"),
    "/c/1/": (200, {}, f"<html lang='id'><head>{HEAD}</head><body>"
                       "<div class='wide' style='width:600px'>x</div></body></html>"),
    "/c/2/": (200, {}, f"<html lang='id'><head>{HEAD}</head><body>ok</body></html>"),
    "/laporan.csv": (200, {}, "<html></html>"),
    "/noisy.js": (200, {"Content-Type": "text/javascript"}, "console.error('boom');"),
}


def serve(route) -> None:
    path = route.request.url.removeprefix(BASE)
    status, headers, body = PAGES.get(path, (404, {}, "missing"))
    route.fulfill(status=status, body=body,
                  headers={"Content-Type": "text/html; charset=utf-8", **headers})


def test_a_crawl_reports_every_kind_of_problem(browser):
    problems = Problems()
    context = browser.new_context(locale="id-ID", **PHONE)
    context.route(f"{BASE}/**", serve)
    crawl = Crawl(context, BASE, Journey("tester", "field_officer", "id", "phone"),
                  load_english_texts(), problems)
    try:
        crawl.journey_through_menu()
    finally:
        context.close()
    report = problems.report("made-up site")
    where = "tester [field_officer] id phone"
    for expected in (
        f"{where} /: English on the Indonesian page: 'Record integrity'",
        f"{where} /a/: CSP violation: script-src-elem refused inline",
        f"{where} /a/: console error: boom",
        f"{where} /b/: HTTP 500",
        f"{where} /b/: debug page ('Traceback')",
        f"{where} /c/1/: horizontal overflow: 608 px wide in 390 px (div.wide",
        f"{where} /laporan.csv: export has content type 'text/html; charset=utf-8'",
    ):
        assert expected in report, f"{expected!r} not in:\n{report}"
    # Two links of a pattern are enough: /c/3/ is not opened.
    assert "/c/3/" not in crawl.visited and "/c/2/" in {u.removeprefix(BASE) for u in
                                                       crawl.visited}


def test_saving_a_form_unchanged_reports_the_value_it_lost(browser):
    saved = {"start": "07:00"}

    def edit_page(route) -> None:
        if route.request.method == "POST":
            saved["start"] = "00:00"  # The bug: a time shifted by its zone on the way.
            route.fulfill(headers={"Content-Type": "text/html"}, body="<p>Tersimpan.</p>")
            return
        route.fulfill(headers={"Content-Type": "text/html"}, body=(
            f"<html lang='id'><body><form method='post'><input name='start' "
            f"value='{saved['start']}'><input type='hidden' name='csrfmiddlewaretoken' "
            "value='t'><button>Simpan</button></form></body></html>"))

    problems = Problems()
    context = browser.new_context()
    context.route(f"{BASE}/jaga/sif/5/", edit_page)
    crawl = Crawl(context, BASE, Journey("tester", "post_commander", "id", "desktop"), [],
                  problems)
    try:
        assert check_unchanged_save(crawl, f"{BASE}/jaga/sif/5/") == 1
    finally:
        context.close()
    assert problems.lines == ["tester [post_commander] id desktop /jaga/sif/5/: form 0 saved "
                              "unchanged changed start: ['07:00'] -> ['00:00']"]
