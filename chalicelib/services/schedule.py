"""The scheduled pass: reminders to admins, expiry of requests nobody answered, and
notices closed when their moment comes.

A pass at ``now`` reads the schedule (GSI4) day by day, from the checkpoint to today,
each day up to ``now``: its cost grows with what is due, never with the table. Each
change is one transaction conditioned on what was read, so a redelivered pass, two
passes at once or a pass that dies half way double nothing and lose nothing: what a
pass did not finish is still in the schedule for the next one.

- A request whose reminder is due moves on to its next due moment in the same
  transaction that puts it in the reminder notice of each of its organization's admins
  who wants admin emails (``REMINDER#<now>``: the same pass redelivered writes the same
  notices). The pass closes the notices it opened when it ends; the stream emails them.
- A request past ``expires_at`` expires, as a withdrawal does (lock and counters
  released); the stream emails the requester.
- An open notice whose moment has come (a digest, a reminder notice a dead pass left
  open) is closed, so that the stream emails it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from chalicelib.domain import AdminEmails, MembershipRequest, NoticeKind, Organization
from chalicelib.errors import OrganizationNotFound
from chalicelib.services.ports import Directory, DueNotice, DueRequest, ScheduleStore

logger = logging.getLogger(__name__)

#: How much of a motivation a notice quotes.
COMMENT_EXCERPT = 200
#: How far back the very first pass reads, with no checkpoint yet: a request made before
#: any pass ran (or a pass run ahead with a chosen now) may be due on any day since its
#: earliest reminder, and no request's moment is further away than its expiry (365 days
#: at most). One Query a day, once: from then on the checkpoint says where to start.
FIRST_PASS_LOOKBACK = timedelta(days=366)


def pass_key(now: datetime) -> str:
    """What names a pass's reminder notices: its ``now``, UTC, of fixed width, so that the
    same pass redelivered writes the same notices."""
    return now.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass
class PassReport:
    """What a pass did."""

    now: datetime
    expired: int = 0
    #: requests whose reminder went into their admins' notices
    reminded: int = 0
    #: the reminder notices those requests went into (one per admin)
    notices: int = 0
    #: notices closed (so emailed): this pass's own and those found due
    closed: int = 0
    #: requests left for a later pass (changed meanwhile, or a notice closed meanwhile)
    deferred: int = 0
    #: the days read, and whether the pass read them all (False: time ran out)
    days: list[date] = field(default_factory=list)
    finished: bool = True
    checkpoint: date | None = None

    def summary(self) -> str:
        text = (
            f"expired {self.expired}, reminded {self.reminded} requests ({self.notices} notices), "
            f"closed {self.closed} notices"
        )
        return text if self.finished else text + f" (stopped early: resumes from {self.checkpoint})"

    def as_dict(self) -> dict:
        return {
            "now": self.now.isoformat(),
            "expired": self.expired,
            "reminded": self.reminded,
            "notices": self.notices,
            "closed": self.closed,
            "deferred": self.deferred,
            "days": [day.isoformat() for day in self.days],
            "finished": self.finished,
            "checkpoint": self.checkpoint.isoformat() if self.checkpoint else None,
        }


class SchedulePass:
    """Runs passes over the schedule. Ports: ``store`` (the schedule), ``directory`` (who
    administers an organization, their preferences); ``max_admin_emails`` admins are
    reminded per request (earliest first); a pass stops when less than
    ``reserve_seconds`` are left, to record where it stopped."""

    def __init__(
        self, store: ScheduleStore, directory: Directory, max_admin_emails: int, reserve_seconds: float = 20.0
    ) -> None:
        self._store = store
        self._directory = directory
        self._max_admin_emails = max_admin_emails
        self.reserve_seconds = reserve_seconds

    def run(self, now: datetime, time_left: Callable[[], float] | None = None) -> PassReport:
        """One pass at ``now``; ``time_left`` gives the seconds left (Lambda's context)."""
        from chalicelib.services.messages import BatchDirectory

        run = _Run(self, now, BatchDirectory(self._directory), time_left)
        return run.go()


class _Run:
    """The state of one pass."""

    def __init__(
        self,
        owner: SchedulePass,
        now: datetime,
        directory: Directory,
        time_left: Callable[[], float] | None,
    ) -> None:
        self.store = owner._store
        self.max_admin_emails = owner._max_admin_emails
        self.reserve = owner.reserve_seconds
        self.now = now
        self.directory = directory
        self.time_left = time_left
        self.report = PassReport(now=now)
        self.key = pass_key(now)
        #: this pass's reminder notices: admin id -> opened (False: found closed)
        self.opened: dict[str, bool] = {}

    def out_of_time(self) -> bool:
        return self.time_left is not None and self.time_left() < self.reserve

    def go(self) -> PassReport:
        today = self.now.date()
        stored = self.store.checkpoint()
        start = min(stored or today - FIRST_PASS_LOOKBACK, today)
        left_from: date | None = None
        day = start
        while day <= today:
            self.report.days.append(day)
            finished, deferred = self.day(day)
            if deferred and left_from is None:
                left_from = day
            if not finished:
                self.report.finished = False
                left_from = left_from or day
                break
            day += timedelta(days=1)
        self.close_own_notices()
        checkpoint = left_from or today
        self.report.checkpoint = checkpoint
        if checkpoint != stored:
            self.store.save_checkpoint(checkpoint, self.now)
        logger.info("scheduled pass", extra=self.report.as_dict())
        return self.report

    def day(self, day: date) -> tuple[bool, bool]:
        """Handle what is due on ``day``: (read to the end, something left for later)."""
        deferred = False
        for due in self.store.due(day, self.now):
            if self.out_of_time():
                return False, deferred
            if isinstance(due, DueNotice):
                self.close_due_notice(due)
            elif not self.request(due):
                deferred = True
        return True, deferred

    def close_due_notice(self, due: DueNotice) -> None:
        if due.kind is NoticeKind.REMINDER and due.key == self.key and due.user_id in self.opened:
            return  # this pass's own: closed once every request is in
        if self.store.close_notice(due.user_id, due.kind, due.key):
            self.report.closed += 1

    def request(self, due: DueRequest) -> bool:
        """Remind or expire; False when the request must wait for a later pass."""
        request, schedule = due.request, due.request.schedule
        if not request.is_pending:
            self.store.unschedule(due)
            return True
        if schedule is None:
            return True
        # A change that did not apply leaves the day to be read again: most often the
        # request was decided meanwhile (then the next read does not find it), but a
        # transaction that kept conflicting must not be lost behind the checkpoint.
        if schedule.expires_at <= self.now:
            if not self.store.expire(due, self.now):
                self.report.deferred += 1
                return False
            self.report.expired += 1
            return True
        passed = sum(
            1 for days in schedule.reminder_days if request.created_at + timedelta(days=days) <= self.now
        )
        # A pass that comes late (the function was down) sends one reminder for the
        # thresholds it missed, never one per threshold at once.
        reminded = replace(
            request, schedule=replace(schedule, reminders_sent=max(passed, schedule.reminders_sent))
        )
        recipients = self.recipients(request) if passed > schedule.reminders_sent else []
        notices = []
        for user_id in recipients:
            if not self.open(user_id):
                self.report.deferred += 1
                return False
            notices.append((user_id, NoticeKind.REMINDER, self.key))
        entry = self.entry(request) if notices else {}
        if not self.store.remind(due, reminded, notices, entry):
            self.report.deferred += 1
            return False
        self.report.reminded += bool(notices)
        return True

    def open(self, user_id: str) -> bool:
        if user_id not in self.opened:
            self.opened[user_id] = self.store.open_notice(user_id, NoticeKind.REMINDER, self.key, self.now)
            self.report.notices += self.opened[user_id]
        return self.opened[user_id]

    def recipients(self, request: MembershipRequest) -> list[str]:
        """The admins to remind: the earliest ``max_admin_emails``, never the requester,
        each with a profile whose preferences let admin emails of the organization in."""
        try:
            admins = self.directory.admins(request.organization_id, self.max_admin_emails)
        except OrganizationNotFound:
            return []
        admin_ids = [admin.user_id for admin in admins if admin.user_id != request.user.id]
        profiles = self.directory.profiles(admin_ids)
        return [
            user_id
            for user_id in admin_ids
            if user_id in profiles
            and profiles[user_id].preferences.admin_emails_for(request.organization_id) is not AdminEmails.OFF
        ]

    def organization(self, org_id: str) -> Organization:
        return self.directory.get_organization(org_id)

    def entry(self, request: MembershipRequest) -> dict:
        """What the reminder says of the request (``Notice.entries``)."""
        return {
            "organization_id": request.organization_id,
            "organization_name": self.organization(request.organization_id).name,
            "request_id": request.id,
            "requester_name": request.user.name,
            "comment": request.comment[:COMMENT_EXCERPT],
            "created_at": request.created_at.isoformat(),
            "kind": "reminder",
            "days_pending": (self.now - request.created_at).days,
        }

    def close_own_notices(self) -> None:
        for user_id, opened in self.opened.items():
            if opened and self.store.close_notice(user_id, NoticeKind.REMINDER, self.key):
                self.report.closed += 1
