"""The page frame phones rely on: a menu that folds behind one button (open without
JavaScript), and the script that turns tables into labelled cards on narrow screens. How it
looks at 390 px is checked in the browser (the journey suite)."""

from __future__ import annotations

from django.urls import reverse


def test_pages_offer_the_folding_menu_and_stacking_tables(client, world):
    client.force_login(world.a.users["padal"])
    html = client.get(reverse("duty:my_duty")).content.decode()
    assert 'class="menu-button" aria-expanded="false" aria-controls="topbar-menu" hidden' in html
    assert 'id="topbar-menu"' in html and html.index('id="topbar-menu"') < html.index("mainnav")
    assert "js/menu.js" in html and "js/stack-tables.js" in html


def test_the_login_page_has_no_menu_button(client, db):
    html = client.get(reverse("accounts:login")).content.decode()
    assert "menu-button" not in html
