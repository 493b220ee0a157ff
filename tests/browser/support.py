"""What the browser tests share: the people (made in the stack's Cognito pool), the tabs
they sign in with, the screenshot of each step, and axe-core's verdict on each page.

Elements are found by role and accessible name, as a person or a screen reader finds
them, never by CSS class (STYLE.md 20)."""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Locator, Page, expect

from devstack.outbox import read_outbox, text_of
from devstack.stack import create_user, sign_in
from tests.e2e.test_seed_flow import call, emails_to

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
# What axe-core may find; anything "serious" or "critical" fails the page.
TOLERATED_IMPACTS = frozenset({None, "minor", "moderate"})


@dataclass(frozen=True)
class Words:
    """The console's words a test looks for, in one language (web/src/i18n/*.ts)."""

    sign_in_title: str
    email: str
    password: str
    sign_in: str
    ask: str
    ask_title: str  # {organization}
    motivation: str
    ok: str
    pending: str
    withdraw: str
    withdrawn: str
    notifications: str
    notifications_one: str
    pending_line: str
    members: str
    accept: str  # {name}
    refuse: str  # {name}
    refuse_title: str  # {name}
    reason: str
    confirm_refusal: str
    accepted: str  # {name} {role}
    refused: str  # {name}
    editor: str
    you_are_editor: str
    only_admins: str
    no_pending: str
    my_requests: str
    my_organizations: str
    create_organization: str
    status_refused: str
    status_withdrawn: str
    counter: str  # {n} {max}


FR = Words(
    sign_in_title="Connexion",
    email="Adresse e-mail",
    password="Mot de passe",
    sign_in="Se connecter",
    ask="Demander à rejoindre l'organisation en tant que producteur",
    ask_title="Demander à rejoindre {organization}",
    motivation="Motivation",
    ok="Ok",
    pending="Votre demande d'adhésion est en attente.",
    withdraw="Retirer ma demande",
    withdrawn="Votre demande a été retirée.",
    notifications="Notifications",
    notifications_one="Notifications : 1 demande en attente",
    pending_line="Demande d'adhésion en attente",
    members="Membres",
    accept="Accepter la demande de {name}",
    refuse="Refuser la demande de {name}",
    refuse_title="Refuser la demande de {name}",
    reason="Motif du refus (facultatif)",
    confirm_refusal="Confirmer le refus",
    accepted="La demande de {name} a été acceptée ({role}).",
    refused="La demande de {name} a été refusée.",
    editor="Éditeur",
    you_are_editor="Vous êtes éditeur",
    only_admins="Seuls les administrateurs peuvent accepter ou refuser les demandes.",
    no_pending="Aucune demande en attente.",
    my_requests="Mes demandes",
    my_organizations="Mes organisations",
    create_organization="Créer une organisation",
    status_refused="Refusée",
    status_withdrawn="Retirée",
    counter="{n} / {max} caractères",
)

EN = Words(
    sign_in_title="Sign in",
    email="Email address",
    password="Password",
    sign_in="Sign in",
    ask="Ask to join this organization as a producer",
    ask_title="Ask to join {organization}",
    motivation="Motivation",
    ok="Ok",
    pending="Your membership request is pending.",
    withdraw="Withdraw my request",
    withdrawn="Your request was withdrawn.",
    notifications="Notifications",
    notifications_one="Notifications: 1 pending request",
    pending_line="Pending membership request",
    members="Members",
    accept="Accept the request from {name}",
    refuse="Refuse the request from {name}",
    refuse_title="Refuse the request from {name}",
    reason="Reason for refusing (optional)",
    confirm_refusal="Confirm the refusal",
    accepted="The request from {name} was accepted ({role}).",
    refused="The request from {name} was refused.",
    editor="Editor",
    you_are_editor="You are an editor",
    only_admins="Only administrators can accept or refuse requests.",
    no_pending="No pending request.",
    my_requests="My requests",
    my_organizations="My organizations",
    create_organization="Create an organization",
    status_refused="Refused",
    status_withdrawn="Withdrawn",
    counter="{n} / {max} characters",
)

# The contract's limit on a motivation (web/src/api/limits.ts, checked against the contract).
MOTIVATION_MAX = 2000


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    password: str
    token: str


def person(stack, name: str, locale: str = "fr") -> Person:
    """Someone new in the stack's user pool (email verified), with a password to type."""

    class Pool:
        user_pool_id = stack.info["user_pool_id"]

    cognito = stack.cognito()
    first = unicodedata.normalize("NFKD", name.split()[0].lower()).encode("ascii", "ignore").decode()
    email = f"{first}-{uuid.uuid4().hex[:8]}@example.org"
    _, password = create_user(cognito, Pool, name, email, locale)
    return Person(name, email, password, sign_in(cognito, stack.info, email, password))


def demo(stack, key: str) -> Person:
    """A demo user of the seeded stack (alice, eric, nora), as make run prints them."""
    user = stack.info["demo"]["users"][key]
    return Person(user["name"], user["email"], user["password"], user["id_token"])


def organization(stack, admin: Person, name: str) -> dict[str, Any]:
    status, created = call(stack, "POST", "/organizations", admin.token, {"name": name})
    assert status == 201, created
    return created


def ask(stack, requester: Person, org_id: str, comment: str) -> dict[str, Any]:
    status, request = call(
        stack, "POST", f"/organizations/{org_id}/membership-requests", requester.token, {"comment": comment}
    )
    assert status == 201, request
    return request


def member(stack, admin: Person, org_id: str, newcomer: Person) -> None:
    """``newcomer`` made an editor of the organization, the way the API allows: asked, accepted."""
    request = ask(stack, newcomer, org_id, "Je fais partie de l'équipe.")
    # The admins hear of the request before it is decided (as in make run's seed).
    emails_to(stack, admin.email, count=1)
    status, decided = call(
        stack,
        "POST",
        f"/organizations/{org_id}/membership-requests/{request['id']}/accept",
        admin.token,
        {"role": "editor"},
    )
    assert status == 200, decided


def links_in(message) -> list[str]:
    """The links of an email's text part, each on a line of its own."""
    return re.findall(r"^(https?://\S+)$", text_of(message), re.MULTILINE)


def emails_since(stack, address: str, before: int, timeout: float = 20.0) -> list:
    """The emails to ``address`` beyond the first ``before``, once one has arrived."""
    found = emails_to(stack, address, count=before + 1, timeout=timeout)
    return found[before:]


def count_emails(stack, address: str) -> int:
    return sum(1 for _, message in read_outbox(stack.state_dir / "outbox") if message["To"] == address)


class Screenshots:
    """One folder per test, a numbered PNG per step (the whole page)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.taken: list[Path] = []

    def __call__(self, page: Page, step: str) -> Path:
        slug = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        path = self.folder / f"{len(self.taken) + 1:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


def assert_accessible(page: Page, what: str) -> None:
    """axe-core on the page as it is now: no serious or critical violation.

    axe's source is evaluated through the DevTools protocol rather than added as a
    <script> tag: the console's Content-Security-Policy (the deployed one, which make run
    sends too) refuses inline scripts, and bypassing it would stop these tests from
    proving that the console runs under it."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(
        """async () => {
            const result = await window.axe.run(document, { resultTypes: ['violations'] })
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map((n) => n.target.join(' ')),
            }))
        }"""
    )
    serious = [v for v in violations if v["impact"] not in TOLERATED_IMPACTS]
    assert not serious, f"axe-core on {what} ({page.url}):\n" + "\n".join(
        f"  {v['impact']}: {v['id']}: {v['help']} ({', '.join(v['targets'])})" for v in serious
    )


@dataclass
class Console:
    """The browser of one test (a fresh profile), its tabs and what they reported."""

    context: BrowserContext
    url: str
    words: Words
    shot: Screenshots
    problems: list[str] = field(default_factory=list)

    def tab(self) -> Page:
        """A new tab: its own sessionStorage, hence its own session."""
        page = self.context.new_page()
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: uncaught {error}"))
        page.on("console", lambda message: self._console(page, message))
        return page

    def _console(self, page: Page, message) -> None:
        # A script refused by the Content-Security-Policy, a call refused for want of
        # CORS headers: the console's own faults, which a flow might otherwise survive.
        if message.type == "error" and re.search(r"Content Security Policy|CORS", message.text):
            self.problems.append(f"{page.url}: {message.text}")

    def sign_in(self, page: Page, who: Person) -> None:
        """On the sign-in form a page sent ``page`` to: types the email and password, submits,
        and waits for the page it came for."""
        words = self.words
        expect(page.get_by_role("heading", level=1, name=words.sign_in_title)).to_be_visible()
        page.get_by_label(words.email, exact=True).fill(who.email)
        page.get_by_label(words.password, exact=True).fill(who.password)
        page.get_by_role("button", name=words.sign_in, exact=True).click()
        expect(page).not_to_have_url(re.compile(r"/sign-in"))

    def open_signed_in(self, who: Person, path: str = "/") -> Page:
        """A new tab on ``path``, signed in as ``who`` on the way."""
        page = self.tab()
        page.goto(self.url + path)
        self.sign_in(page, who)
        return page


def envelope(page: Page, words: Words) -> Locator:
    return page.get_by_role("button", name=re.compile(f"^{words.notifications}"))


def colour_of(locator: Locator) -> tuple[int, int, int]:
    """The element's background colour, as (red, green, blue)."""
    value = locator.evaluate("(el) => getComputedStyle(el).backgroundColor")
    red, green, blue = (int(part) for part in re.findall(r"\d+", value)[:3])
    return red, green, blue


def is_focused(locator: Locator) -> bool:
    return locator.evaluate("(el) => el === document.activeElement")


def tab_to(page: Page, target: Locator, limit: int = 60, backwards: bool = False) -> None:
    """Press Tab (Shift+Tab) until ``target`` has the focus, as a keyboard user would;
    fails when it cannot be reached within ``limit`` presses."""
    expect(target).to_be_visible()
    for _ in range(limit):
        if is_focused(target):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"{target} cannot be reached with the keyboard within {limit} presses")
