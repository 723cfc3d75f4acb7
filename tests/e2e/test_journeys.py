"""Every demo role walks its menu in a real browser, in Indonesian and English, on a desktop and
(for the field roles) on a 390x844 phone, on the portal as `make run` serves it.

Each test collects every problem it sees and fails once, listing them all with the person,
language, viewport and URL: one run shows everything that is wrong. What each page must be is
in tests/e2e/journeys.py (Crawl.visit), what saving a form unchanged must do in
tests/e2e/forms.py."""

from __future__ import annotations

import pytest

from apps.accounts.models import Role
from apps.demo.builder import CAST
from tests.e2e.catalog import load_english_texts
from tests.e2e.conftest import log_in
from tests.e2e.forms import check_unchanged_save
from tests.e2e.journeys import DESKTOP, LOCALES, PHONE, Crawl, Journey, Problems
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

CITY = "karangsari"
# One demo person per role (the first of the cast with it), and the administrator.
PEOPLE = [*{role: f"{prefix}.{CITY}" for prefix, _s, _r, _a, role in reversed(CAST)}.items(),
          (Role.ADMINISTRATOR, "admin.demo")]
FIELD_ROLES = {Role.FIELD_OFFICER, Role.POST_COMMANDER}
JOURNEYS = [Journey(username, role.value, language, viewport)
            for role, username in sorted(PEOPLE, key=lambda p: p[1])
            for viewport in (("desktop", "phone") if role in FIELD_ROLES else ("desktop",))
            for language in ("id", "en")]


@pytest.fixture(scope="module")
def english():
    return load_english_texts()


@pytest.fixture(scope="module")
def sessions(portal, browser):
    """Each person logs in once (a two-step code is good once per 30 s); every journey of
    theirs starts from that session."""
    states: dict[str, dict] = {}

    def session_of(username: str) -> dict:
        if username not in states:
            context, _page = log_in(browser, portal, username)
            states[username] = context.storage_state()
            context.close()
        return states[username]

    return session_of


@pytest.fixture(scope="module")
def form_pages():
    """The pages with edit forms each journey found, for the form check."""
    return {}


def new_crawl(browser, portal, sessions, english, journey: Journey, problems: Problems):
    context = browser.new_context(storage_state=sessions(journey.username),
                                  locale=LOCALES[journey.language],
                                  **(PHONE if journey.viewport == "phone" else DESKTOP))
    return Crawl(context, portal.url, journey, english, problems)


@pytest.mark.parametrize("journey", JOURNEYS, ids=lambda j: f"{j.username}-{j.language}-"
                         f"{j.viewport}")
def test_every_page_of_the_menu_and_one_level_below(journey, portal, browser, sessions,
                                                    english, form_pages):
    problems = Problems()
    crawl = new_crawl(browser, portal, sessions, english, journey, problems)
    try:
        crawl.journey_through_menu()
        form_pages[journey] = crawl.form_pages
    finally:
        crawl.context.close()
    assert not problems.lines, problems.report(journey.where)


@pytest.mark.parametrize("username", sorted(username for _role, username in PEOPLE))
def test_saving_edit_forms_unchanged_changes_nothing(username, portal, browser, sessions,
                                                     english, form_pages):
    role = next(role for role, name in PEOPLE if name == username)
    journey = Journey(username, role.value, "id", "desktop")
    problems = Problems()
    crawl = new_crawl(browser, portal, sessions, english, journey, problems)
    try:
        if journey not in form_pages:  # The crawl test did not run (-k): walk the menu.
            crawl.journey_through_menu()
            problems.lines.clear()
            form_pages[journey] = crawl.form_pages
        for url in form_pages[journey]:
            check_unchanged_save(crawl, url)
    finally:
        crawl.context.close()
    assert not problems.lines, problems.report(f"{journey.where}, edit forms saved unchanged")


def test_live_wall_shows_a_new_picture_within_5_seconds(portal, browser, sessions):
    context = browser.new_context(storage_state=sessions(f"operator.{CITY}"), **DESKTOP)
    page = context.new_page()
    try:
        page.goto(f"{portal.url}/pantauan/")
        page.locator("[data-camera]").first.wait_for()

        def pictures() -> dict[str, str]:
            return page.evaluate("""() => Object.fromEntries(Array.from(
                document.querySelectorAll("[data-camera][data-frame-at]"),
                (tile) => [tile.dataset.camera, tile.dataset.frameAt]))""")

        # The cameras connect after the portal starts: the first picture may take a while.
        first = wait_until(pictures, 30, what="a first picture on the live wall")
        wait_until(lambda: any(first.get(camera) not in (None, at)
                             for camera, at in pictures().items()),
                 5, interval=0.1, what="a new picture on the live wall within 5 s")
    finally:
        context.close()
