"""Every link a page shows its reader leads somewhere that reader may go.

A link that answers "Not allowed" or "cannot be done here" is a dead end the page should not
have offered (found so: a write-back link on SQLite sources, "De-identify" links shown to
auditors). Each demo user follows the links of the pages they reach from the home page, a few
pages of each kind, and every one must answer 200.
"""

from __future__ import annotations

import re
from collections import deque

import pytest
from fastapi.testclient import TestClient

from accord.auth.actor import Actor
from accord.config import Settings
from accord.demo.seed import DEMO_PASSWORD, DEMO_USERS, seed_demo
from tests.web.helpers import sign_in

pytestmark = pytest.mark.slow

PER_KIND = 2  # pages followed per kind of address (/catalog/fields/N, /proposals/N, …)
PAGES = 200  # per user, at most (the demo's kinds of page run out at 30-45)
SKIP = re.compile(r"/logout|/static/|\.(csv|xlsx|json|zip|parquet)\b|/export|/download")
LINK = re.compile(r'href="(/[^"#]*)')


def kind(path: str) -> str:
    return re.sub(r"\d+", "N", path.split("?")[0])


def dead_links(client: TestClient) -> tuple[int, list[tuple[str, str, int]]]:
    """How many addresses were followed, and (page, link, status) for every one that did not
    answer 200."""
    seen: set[str] = {"/"}
    per_kind: dict[str, int] = {}
    queue: deque[tuple[str, str]] = deque([("(start)", "/")])
    dead = []
    while queue and len(seen) <= PAGES:
        came_from, path = queue.popleft()
        response = client.get(path)
        if response.status_code != 200:
            dead.append((came_from, path, response.status_code))
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        for href in LINK.findall(response.text):
            link = href.replace("&amp;", "&")
            if link in seen or SKIP.search(link):
                continue
            key = kind(link)
            if per_kind.get(key, 0) >= PER_KIND:
                continue
            per_kind[key] = per_kind.get(key, 0) + 1
            seen.add(link)
            queue.append((path, link))
    return len(seen), dead


def test_no_page_offers_a_link_its_reader_is_refused(settings: Settings) -> None:
    from accord.web.app import create_app

    seed_demo(settings, Actor.system(), events=20)
    dead, followed = {}, {}
    with TestClient(create_app(settings)) as client:
        for user in DEMO_USERS:
            client.cookies.clear()
            sign_in(client, user.username, DEMO_PASSWORD)
            followed[user.username], dead[user.username] = dead_links(client)
    assert {user: links for user, links in dead.items() if links} == {}
    assert min(followed.values()) >= 25, followed  # every role got past the home page
