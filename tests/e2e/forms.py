"""Saving an edit form unchanged must leave its object unchanged: the form's values read on
GET, submitted as they are, and read again on a fresh GET, are the same. That catches a value
lost or shifted on the way (a time zone, a choice not offered, a field the form forgets)
without knowing the models.

Which forms edit an existing object (the rule, from the URL and the form alone):
- the form is POST and posts back to the page it is on (the page shows the object and saves it);
- the page's path names an object by id (/kamera/5/ubah/, /jaga/sif/12/);
- at least one visible field carries a value (the object's; an empty form creates);
- the page does not create or amend: paths ending in baru/, tambah/, koreksi/, label-baru/,
  mulai/ or add/, and the field records (patrols, incidents, warehouse checks, checkpoints,
  tips), which are append-only and corrected by amendment, are left alone."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

OBJECT_ID = re.compile(r"/\d+/")
CREATES = re.compile(r"/(baru|tambah|koreksi|label-baru|mulai|add)/$"
                     r"|^/(patroli|insiden|pengecekan-gudang|titik-pantau|catatan|lapor)/")

# Per form: where it posts, and its values as FormData sends them (visible fields only: hidden
# ones carry tokens and versions that may rightly change with a save).
READ_FORMS = """() => Array.from(document.forms, (form) => {
  const hidden = new Set(Array.from(form.elements)
    .filter((e) => e.type === "hidden" && e.name).map((e) => e.name));
  const visible = Array.from(form.elements).filter((e) => e.name && e.type !== "hidden"
    && !["submit", "button", "reset", "file"].includes(e.type));
  const filled = visible.some((e) => (e.type === "checkbox" || e.type === "radio")
    ? e.checked : e.type !== "password" && e.value !== "");
  return {
    action: new URL(form.getAttribute("action") || location.href, location.href).href,
    method: (form.getAttribute("method") || "get").toLowerCase(),
    filled,
    values: Array.from(new FormData(form))
      .filter(([name, value]) => !hidden.has(name) && typeof value === "string"),
  };
})"""
INVALID_FIELDS = """(index) => document.forms[index].noValidate ? [] :
  Array.from(document.forms[index].elements).filter((e) => e.willValidate && !e.checkValidity())
  .map((e) => `${e.name}: ${e.validationMessage}`)"""
SUBMIT = """(index) => {
  const form = document.forms[index];
  form.requestSubmit(form.querySelector(
    "button[type=submit], button:not([type]), input[type=submit]"));
}"""
SHOWN_ERRORS = """() => Array.from(
  document.querySelectorAll(".errorlist, .error, [role=alert], .msg-error"),
  (e) => e.innerText.trim()).filter(Boolean).join(" | ").slice(0, 300)"""


def edit_forms(page) -> list[int]:
    """Indexes in document.forms of the forms on `page` that edit its object."""
    path = urlsplit(page.url).path
    if not OBJECT_ID.search(path) or CREATES.search(path):
        return []
    return [index for index, form in enumerate(page.evaluate(READ_FORMS))
            if form["method"] == "post" and form["filled"]
            and urlsplit(form["action"]).path == path]


def check_unchanged_save(crawl, url: str) -> int:
    """Save each edit form on `url` unchanged and compare; returns how many were checked.
    `crawl` is a tests.e2e.journeys.Crawl: its page, and where problems go."""
    page = crawl.page
    crawl.current = url
    page.goto(url)
    forms = edit_forms(page)
    for index in forms:
        if page.url != url:
            page.goto(url)
        before = page.evaluate(READ_FORMS)[index]
        invalid = page.evaluate(INVALID_FIELDS, index)
        if invalid:
            crawl.fail(f"form {index} unchanged does not pass the browser's validation: "
                       f"{'; '.join(invalid)}")
            continue
        try:
            with page.expect_navigation() as navigation:
                page.evaluate(SUBMIT, index)
            response = navigation.value
        except Exception as error:  # noqa: BLE001 - a save that goes nowhere is a finding
            crawl.fail(f"form {index} saved unchanged went nowhere: "
                       f"{str(error).splitlines()[0]}")
            continue
        if response is None or response.status >= 400:
            status = response.status if response else "no response"
            crawl.fail(f"form {index} saved unchanged answered {status}: "
                       f"{page.evaluate(SHOWN_ERRORS) or 'no error shown'}")
            continue
        page.goto(url)
        after_forms = page.evaluate(READ_FORMS)
        after = after_forms[index] if index < len(after_forms) else None
        if after is None or after["action"] != before["action"]:
            crawl.fail(f"form {index} is gone after saving it unchanged")
            continue
        for change in differences(before["values"], after["values"]):
            crawl.fail(f"form {index} saved unchanged changed {change}")
    return len(forms)


def differences(before: list[list[str]], after: list[list[str]]) -> list[str]:
    def by_name(values):
        grouped: dict[str, list[str]] = {}
        for name, value in values:
            grouped.setdefault(name, []).append(value)
        return grouped

    old, new = by_name(before), by_name(after)
    return [f"{name}: {old.get(name)!r} -> {new.get(name)!r}"
            for name in sorted(old.keys() | new.keys()) if old.get(name) != new.get(name)]
