"""Journeys through the portal in a real browser: each demo role opens every page of its menu and
every link one level below, and each page is checked the same way (see `Crawl.check_page`).

Problems are collected, never raised, so that one run lists all of them: every problem names
the person, language, viewport and URL."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urldefrag, urlsplit

from tests.e2e.catalog import EnglishText, english_on_page
from tests.e2e.forms import edit_forms

DESKTOP = {"viewport": {"width": 1366, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LOCALES = {"id": "id-ID", "en": "en-US"}

DEBUG_PAGE_MARKERS = ("Traceback", "Using the URLconf",
                      "You're seeing this error because you have DEBUG = True")
# Links that are not pages to look at: leaving, switching language, files the portal serves
# as they are. Logout and every other state change are POST forms, never links.
SKIPPED_PATHS = re.compile(r"^/(akun/keluar/|admin/logout/|i18n/|static/|media/)")
EXPORTS = {".csv": "text/csv", ".pdf": "application/pdf"}
FILE_SUFFIX = re.compile(r"\.(csv|pdf|jpg|jpeg|png|json|ya?ml|js|webmanifest)$")
PROFILE = "/akun/profil/"
# Links to a page editing an object, followed one level further than other links: by their
# label ("Ubah kamera", "edit") or their path.
EDIT_LABELS = re.compile(r"^(ubah|edit)\b|/ubah/$", re.I)
READ_EDIT_LINKS = """(pattern) => {
  const edit = new RegExp(pattern, "i");
  return Array.from(document.querySelectorAll("main a[href]"), (a) => [a, new URL(a.href)])
    .filter(([a, url]) => edit.test(a.innerText.trim()) || edit.test(url.pathname))
    .map(([a, url]) => a.href);
}"""
# Links sharing a pattern (ids as <id>, the same query keys) are visited at most this often.
PER_PATTERN = 2

FAILED_REQUEST = "Failed to load resource: the server responded with a status of"
# Reports to the test what the page's Content-Security-Policy refused, as it happens.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__journeyCsp(`${event.violatedDirective} refused ${event.blockedURI || "inline code"}`
    + ` (${event.sourceFile || location.pathname}:${event.lineNumber})`);
});
"""
FETCH = """async (url) => {
  try {
    const response = await fetch(url, {credentials: "same-origin"});
    await response.arrayBuffer();
    return {status: response.status, type: response.headers.get("content-type") || ""};
  } catch (error) {
    return {error: String(error)};
  }
}"""
READ_LINKS = """(selector) => Array.from(document.querySelectorAll(selector), (a) => a.href)"""
# Elements sticking out of the viewport, for a message that says where the overflow comes from.
# The viewport is the layout viewport (clientWidth): a phone zooms out to show a page wider than
# the screen, and window.innerWidth then grows with the page.
WIDEST = """() => {
  const width = document.documentElement.clientWidth, limit = width + 1, found = [];
  for (const element of document.querySelectorAll("body *")) {
    const box = element.getBoundingClientRect();
    if (box.right > limit && box.width > 0) {
      const classes = [...element.classList].slice(0, 2).map((c) => "." + c).join("");
      const right = Math.round(box.right);
      found.push(`${element.tagName.toLowerCase()}${classes} (right edge ${right})`);
      if (found.length === 3) break;
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, elements: found};
}"""


@dataclass(frozen=True)
class Journey:
    username: str
    role: str
    language: str  # "id" or "en"
    viewport: str  # "desktop" or "phone"

    @property
    def where(self) -> str:
        return f"{self.username} [{self.role}] {self.language} {self.viewport}"


@dataclass
class Problems:
    lines: list[str] = field(default_factory=list)

    def add(self, where: str, url: str, what: str) -> None:
        line = f"{where} {url}: {what}"
        if line not in self.lines:
            self.lines.append(line)

    def report(self, title: str) -> str:
        return f"{title}: {len(self.lines)} problem(s)\n" + "\n".join(sorted(self.lines))


def pattern_of(url: str) -> str:
    """/objek/12/?tab=kamera and /objek/7/?tab=cctv are one pattern: /objek/<id>/?tab."""
    parts = urlsplit(url)
    path = re.sub(r"/\d+(?=/|\.|$)", "/<id>", parts.path)
    keys = sorted({key for key, _value in parse_qsl(parts.query, keep_blank_values=True)})
    return path + ("?" + "&".join(keys) if keys else "")


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Crawl:
    """One person in one language on one viewport: a page of their own in a browser context
    carrying their session."""

    def __init__(self, context, base: str, journey: Journey,
                 english: list[EnglishText], problems: Problems) -> None:
        self.context = context
        self.base = base
        self.journey = journey
        self.english = english if journey.language == "id" else []
        self.problems = problems
        self.visited: set[str] = set()
        self.form_pages: list[str] = []  # pages with a form editing their object
        self.patterns: Counter[str] = Counter()
        self.current = base
        context.expose_binding("__journeyCsp", lambda _source, text: self.fail(
            f"CSP violation: {text}"))
        context.add_init_script(CSP_LISTENER)
        self.page = context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", self._script_error)
        self.page.on("response", self._response)

    def fail(self, what: str, url: str | None = None) -> None:
        self.problems.add(self.journey.where, path_of(url or self.current), what)

    def _console(self, message) -> None:
        # Refusals by the CSP are reported by the listener, with the directive; failed
        # requests by the response listener, with their URL.
        if (message.type == "error" and "Content Security Policy" not in message.text
                and not message.text.startswith(FAILED_REQUEST)):
            self.fail(f"console error: {message.text}")

    def _script_error(self, error) -> None:
        where = next((line.strip() for line in (error.stack or "").splitlines()[1:2]), "")
        self.fail(f"uncaught script error: {error.message} {where}".rstrip())

    def _response(self, response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.fail(f"HTTP {response.status} for {path_of(response.url)} "
                      f"({response.request.resource_type})")

    # --- what a journey does -------------------------------------------------------------

    def same_origin(self, url: str) -> bool:
        return url.startswith(self.base + "/")

    def menu(self) -> list[str]:
        return self._links("nav.mainnav a[href]")

    def links(self) -> list[str]:
        return self._links("a[href]")

    def _links(self, selector: str) -> list[str]:
        found = []
        for href in self.page.evaluate(READ_LINKS, selector):
            url = urldefrag(href).url
            if (self.same_origin(url) and not SKIPPED_PATHS.match(urlsplit(url).path)
                    and url not in found):
                found.append(url)
        return found

    def wanted(self, url: str) -> bool:
        """Not visited yet, and its pattern not visited PER_PATTERN times already."""
        return url not in self.visited and self.patterns[pattern_of(url)] < PER_PATTERN

    def visit(self, url: str) -> bool:
        """Open `url` and check it; True when it is an HTML page of the portal that was shown."""
        self.visited.add(url)
        self.patterns[pattern_of(url)] += 1
        self.current = url
        if FILE_SUFFIX.search(urlsplit(url).path):
            self.fetch(url)
            return False
        try:
            response = self.page.goto(url)
        except Exception as error:  # noqa: BLE001 - a failed navigation is a finding
            if "Download is starting" in str(error):
                self.fetch(url)
            else:
                self.fail(f"navigation failed: {str(error).splitlines()[0]}")
            return False
        if response is None:
            self.fail("no response")
            return False
        return self.check_page(response)

    def fetch(self, url: str) -> None:
        """A file behind a link, fetched by the page as a click would (its session, no
        download): exports must be 200 with their type, other files must not fail."""
        answer = self.page.evaluate(FETCH, url)
        suffix = next((s for s in EXPORTS if urlsplit(url).path.endswith(s)), None)
        if "error" in answer:
            self.fail(f"fetch failed: {answer['error']}", url)
        elif suffix and answer["status"] != 200:
            self.fail(f"export answered HTTP {answer['status']}", url)
        elif suffix and not answer["type"].startswith(EXPORTS[suffix]):
            self.fail(f"export has content type {answer['type']!r}, not {EXPORTS[suffix]}", url)
        elif answer["status"] >= 400:
            self.fail(f"HTTP {answer['status']}", url)

    def check_page(self, response) -> bool:
        page = self.page
        if response.status >= 400:
            self.fail(f"HTTP {response.status}")
        if urlsplit(page.url).path == "/akun/masuk/":
            self.fail("sent to the login page")
            return False
        if not response.headers.get("content-type", "").startswith("text/html"):
            return False
        html = page.content()
        for marker in DEBUG_PAGE_MARKERS:
            if marker in html:
                self.fail(f"debug page ({marker!r})")
        if response.status >= 500:
            return False  # an error page: what else it shows says nothing more
        language = page.evaluate("document.documentElement.lang")
        if language != self.journey.language:
            self.fail(f"page language is {language!r}")
        if self.english:
            shown = english_on_page(page.inner_text("body"), self.english)
            for msgid in shown:
                self.fail(f"English on the Indonesian page: {msgid!r}")
        if self.journey.viewport == "phone":
            self.check_width()
        if response.status < 400 and edit_forms(page):
            self.form_pages.append(page.url)
        return response.status < 400

    def check_width(self) -> None:
        width = self.page.evaluate(WIDEST)
        if width["scrollWidth"] > width["width"] + 1:
            self.fail(f"horizontal overflow: {width['scrollWidth']} px wide in "
                      f"{width['width']} px ({', '.join(width['elements'])})")

    def switch_language(self) -> None:
        """Use the language switch there and back: the page stays, its language follows. On a
        phone the switch may be folded away behind the menu button: that is opened first."""
        other = "en" if self.journey.language == "id" else "id"
        here = self.current = self.page.url
        for language in (other, self.journey.language):
            button = self.page.locator(f".lang-form button[value={language}]").first
            if not button.is_visible():
                for fold in self.page.locator("header [aria-expanded=false]").all():
                    if fold.is_visible():
                        fold.click()
            if not button.is_visible():
                self.fail(f"no visible language switch to {language!r}")
                return
            with self.page.expect_navigation():
                button.click()
            shown = self.page.evaluate("document.documentElement.lang")
            if shown != language or self.page.url != here:
                self.fail(f"the language switch to {language!r} showed {shown!r} at "
                          f"{path_of(self.page.url)}")
                return

    def journey_through_menu(self) -> None:
        """The landing page, the menu's pages, then every link one level below them, and the
        edit pages those link to (for the form check)."""
        below: list[str] = []
        if self.visit(self.base + "/"):
            self.visited.add(self.page.url)  # The landing page is a menu page: not twice.
            below.extend(self.links())
        menu = self.menu()
        if not menu:  # The administrator lands in the admin, which has no portal menu.
            self.page.goto(self.base + PROFILE)
            menu = self.menu()
        if not menu:
            self.fail("no menu", self.base + "/")
        if self.page.locator(".lang-form").count():
            self.switch_language()
        for url in menu:
            if url not in self.visited and self.visit(url):
                below.extend(u for u in self.links() if u not in below)
        edit_pages: list[str] = []
        for url in below:
            if url not in menu and self.wanted(url) and self.visit(url):
                edit_pages.extend(u for u in self.edit_links() if u not in edit_pages)
        for url in edit_pages:
            if self.wanted(url):
                self.visit(url)

    def edit_links(self) -> list[str]:
        found = self.page.evaluate(READ_EDIT_LINKS, EDIT_LABELS.pattern)
        return [u for u in (urldefrag(url).url for url in found) if self.same_origin(u)]
