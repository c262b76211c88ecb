"""Signing in as different roles in a real browser: navigation, refusal, sign-out."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accord.config import Settings
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def sign_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def go(page: Page, label: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=label).click()


def nav_links(page: Page) -> list[str]:
    return page.get_by_role("navigation", name="Main").get_by_role("link").all_inner_texts()


def test_navigation_follows_roles_and_refusal(settings: Settings, server: str, page: Page) -> None:
    make_user(settings, "ana", "admin")
    make_user(settings, "ava", "auditor")
    make_user(settings, "sam", "steward")

    sign_in(page, server, "ana")
    expect(page.get_by_role("heading", name="Welcome, ana")).to_be_visible()
    assert nav_links(page) == [
        "Home", "Proposals", "Catalog", "Search", "Sources", "Glossary", "Statutes", "De-identify",
        "Releases", "Users", "Audit log", "API tokens",
    ]
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()

    sign_in(page, server, "ava")
    assert nav_links(page) == [
        "Home", "Proposals", "Catalog", "Search", "Sources", "Glossary", "Statutes", "Releases",
        "Users", "Audit log", "API tokens",
    ]
    go(page, "Users")
    expect(page.get_by_role("button", name="Create user")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, server, "sam")
    assert nav_links(page) == [
        "Home", "Proposals", "Catalog", "Search", "Sources", "Glossary", "Statutes", "My work",
        "De-identify", "Releases", "API tokens",
    ]
    response = page.goto(f"{server}/audit")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{server}/")
    expect(page).to_have_url(f"{server}/login?next=/")


def test_wrong_password_message_and_keyboard_sign_in(
    settings: Settings, server: str, page: Page
) -> None:
    make_user(settings, "ana", "admin")
    sign_in(page, server, "ana", "wrong-password")
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Welcome, ana")).to_be_visible()


def test_admin_creates_user_and_audit_verifies(settings: Settings, server: str, page: Page) -> None:
    make_user(settings, "ana", "admin")
    sign_in(page, server, "ana")
    go(page, "Users")
    page.get_by_label("Username").fill("riley")
    page.get_by_label("Full name").fill("Riley Requester")
    page.get_by_label("Initial password").fill("long-enough-pw")
    page.get_by_role("form", name="Add a user").get_by_label("Requester").check()
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("status")).to_have_text("The user was created.")
    expect(page.get_by_role("cell", name="riley", exact=True)).to_be_visible()
    go(page, "Audit log")
    expect(page.get_by_role("cell", name="created a user").first).to_be_visible()
    page.get_by_role("link", name="Verify that nothing was altered").click()
    expect(page.get_by_role("status")).to_contain_text("The chain is intact")
