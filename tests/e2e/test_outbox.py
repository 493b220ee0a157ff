"""The local stack's emails as a developer reads them: every email sent through its
emulator lands in the outbox (whoever sends it), with an ``.html`` copy, and the links in
them open the console's pages on the running stack."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.request

import boto3

from devstack.outbox import html_of, read_outbox, text_of
from tests.e2e.conftest import ROOT
from tests.e2e.test_seed_flow import call, emails_to, user


def test_an_email_sent_by_another_process_through_the_emulator_lands_in_the_outbox(stack):
    # GIVEN a plain SES v2 client in this process (not the stack's): as `ops resend`, or any
    # script, reaches the emulator
    ses = boto3.client(
        "sesv2",
        region_name=stack.info["region"],
        endpoint_url=stack.info["aws_endpoint_url"],
        aws_access_key_id="someone",
        aws_secret_access_key="else",
    )
    # WHEN it sends from the stack's sender
    ses.send_email(
        FromEmailAddress=f"Adhesion <{stack.info['mail_sender']}>",
        Destination={"ToAddresses": ["operator-resend@example.org"]},
        Content={
            "Simple": {
                "Subject": {"Data": "Renvoyé par un opérateur", "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": "Le texte", "Charset": "UTF-8"},
                    "Html": {"Data": "<p>Le <b>HTML</b></p>", "Charset": "UTF-8"},
                },
            }
        },
    )
    # THEN the outbox holds it, both parts, with a copy a browser opens
    [(eml, message)] = [
        (path, message)
        for path, message in read_outbox(stack.state_dir / "outbox")
        if message["To"] == "operator-resend@example.org"
    ]
    assert (message["From"], message["Subject"]) == (
        f"Adhesion <{stack.info['mail_sender']}>",
        "Renvoyé par un opérateur",
    )
    assert (text_of(message), html_of(message)) == ("Le texte\n", "<p>Le <b>HTML</b></p>\n")
    assert eml.with_suffix(".html").read_text(encoding="utf-8") == "<p>Le <b>HTML</b></p>\n"
    # AND `make outbox` lists it with both files
    listing = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "devstack", "--state-dir", str(stack.state_dir), "outbox"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    [line] = [line for line in listing.splitlines() if " to operator-resend@example.org " in line]
    assert line.endswith(" Renvoyé par un opérateur")
    assert str(eml) in listing and str(eml.with_suffix(".html")) in listing


def _page(url: str) -> tuple[int, str, str]:
    """(status, Content-Type, body) of a plain GET, as a browser opening a link makes it."""
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (the local stack, 127.0.0.1)
        return response.status, response.headers["Content-Type"], response.read().decode()


def test_the_links_in_local_emails_open_the_console_the_stack_serves(stack, built_console):
    # GIVEN an admin emailed about a new request, and the requester emailed its outcome
    admin = user(stack, "Lina Lien", "en")
    requester = user(stack, "Rémi Requérant", "fr")
    _, org = call(stack, "POST", "/organizations", admin["token"], {"name": "Liens"})
    _, request = call(
        stack,
        "POST",
        f"/organizations/{org['id']}/membership-requests",
        requester["token"],
        {"comment": "Hi"},
    )
    [to_admin] = emails_to(stack, admin["email"])
    call(
        stack,
        "POST",
        f"/organizations/{org['id']}/membership-requests/{request['id']}/accept",
        admin["token"],
        {"role": "editor"},
    )
    [to_requester] = emails_to(stack, requester["email"])

    # WHEN each opens the link of their email (the same in both parts)
    [review] = re.findall(r"^(http\S+)$", text_of(to_admin), re.MULTILINE)
    [organization] = re.findall(r"^(http\S+)$", text_of(to_requester), re.MULTILINE)
    assert f'href="{review}"' in html_of(to_admin) and f'href="{organization}"' in html_of(to_requester)

    # THEN the links are the console's pages: the request in its Membres block, the organization
    assert stack.console_url != stack.api_url
    assert review == f"{stack.console_url}/organizations/{org['id']}/membership-requests/{request['id']}"
    assert organization == f"{stack.console_url}/organizations/{org['id']}"
    assert stack.info["frontend_base_url"] == stack.console_url
    # AND the console answers both with its single page (tests/browser/ follow them in Chromium)
    index = (ROOT / "web" / "dist" / "index.html").read_text(encoding="utf-8")
    assert _page(review) == (200, "text/html", index)
    assert _page(organization) == (200, "text/html", index)
