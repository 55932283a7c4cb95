"""The monthly digest (DESIGN §6): the month's results, cases and appeals, posted to the CS
group with a bar chart, by CS through `/digest` (a private preview first) or by the schedule.

The figures are SQL aggregations (`db/results.py`, `db/digest.py`): the month's rows are
never loaded into Python. A month is its local calendar month in TIMEZONE: its cases are
those whose incident happened in it (local dates), its appeals those decided in it (the
month's UTC bounds, from midnight of the 1st).

Posting is one write transaction: the `DigestPost` row (unique per month), the outbox rows of
the post (the chart as a photo, then the text in as many messages as it takes) and the
meeting invitations of the flagged leads. The unique row is what makes a month's digest go
out once, whoever posts it and however often the bot restarts around the scheduled time.

The schedule (`DIGEST_CRON`, in TIMEZONE; by default 10:00 on the month's first working day
of the production calendar) posts the digest of the previous month. APScheduler
keeps its jobs in memory, so a bot that was down at the scheduled time would never see that
run: at each start a catch-up run posts the digest if the month's first scheduled time has
passed within `CATCH_UP` and it is still not posted. If the month has no results yet, CS is
told once (a `Reminder` row with the subject `digest-missing:YYYY-MM`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import keyboards
from bot.callbacks import Shortcut
from bot.services import appeals as appeals_service
from bot.services import case_ack, digest_chart, meetings, months, notify, reminders, workdays
from bot.services.errors import AlreadyDone, NotFound
from bot.services.longtext import (  # the one long-message rule
    split_messages,
)
from bot.services.results import percent, points
from bot.services.roles import require_role
from bot.services.trends import falling_groups
from bot.settings import DIGEST_OFF, Settings, cron_trigger
from bot.texts import Html, Texts, quote
from db import audit
from db import digest as digest_db
from db import employees as employees_db
from db import results as results_db
from db.digest import RepeatedGroup
from db.engine import lock_name, write_transaction
from db.models import AppealState, CaseCategory, CaseTab, DigestPost, Employee, Role

log = logging.getLogger(__name__)

MISSING_SUBJECT = "digest-missing:"
# How long after the month's first scheduled time a starting bot still posts the digest.
CATCH_UP = timedelta(days=7)
JOB_ID = "digest-monthly"
CATCH_UP_JOB_ID = "digest-catch-up"
FORBIDDEN_KEY = "digest-error-forbidden"


# --- the figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupLine:
    rank: int
    group_id: int
    name: str
    score: float
    evaluations: int
    change: float | None  # percentage points against the previous month with results


@dataclass(frozen=True)
class Lead:
    name: str
    telegram_id: int | None


@dataclass(frozen=True)
class AppealCounts:
    accepted: int
    partial: int
    rejected: int

    @property
    def decided(self) -> int:
        return self.accepted + self.partial + self.rejected


@dataclass(frozen=True)
class AppealClock:
    """The month's decided appeals against the clock: decided within APPEAL_DECIDE_WITHIN
    working days or later, the average working days from filing to decision (0 on the day
    of filing), and per case category how many were accepted (fully) of those decided."""

    in_time: int = 0
    late: int = 0
    average_days: float | None = None
    accepted_by_category: tuple[tuple[CaseCategory, int, int], ...] = ()


def time_appeals(
    rows: Sequence[tuple[datetime, datetime, AppealState, CaseCategory]], settings: Settings
) -> AppealClock:
    """The appeal clock of `rows` (filed, decided, decision, category)."""
    if not rows:
        return AppealClock()
    in_time = late = 0
    days: list[int] = []
    by_category: dict[CaseCategory, list[int]] = {}
    for filed, decided, state, category in rows:
        if decided <= appeals_service.decide_by(filed, settings):
            in_time += 1
        else:
            late += 1
        days.append(workdays.working_days_between(filed, decided, settings.tz))
        counts = by_category.setdefault(category, [0, 0])
        counts[0] += state == AppealState.ACCEPTED
        counts[1] += 1
    return AppealClock(
        in_time=in_time,
        late=late,
        average_days=sum(days) / len(days),
        accepted_by_category=tuple(
            (category, by_category[category][0], by_category[category][1])
            for category in CaseCategory
            if category in by_category
        ),
    )


@dataclass(frozen=True)
class AcknowledgementCounts:
    """The month's cases by the manager's «Ознакомлен»: within ACKNOWLEDGE_WITHIN working
    days, later, and not at all (so far)."""

    in_time: int = 0
    late: int = 0
    never: int = 0


def count_acknowledgements(
    cases: Sequence[tuple[datetime, datetime | None]], settings: Settings
) -> AcknowledgementCounts:
    in_time = late = never = 0
    for created, acknowledged in cases:
        if acknowledged is None:
            never += 1
        elif acknowledged <= case_ack.deadline(created, settings):
            in_time += 1
        else:
            late += 1
    return AcknowledgementCounts(in_time=in_time, late=late, never=never)


@dataclass(frozen=True)
class Digest:
    month: date
    previous: date | None  # the latest earlier month with results
    overall: float
    evaluations: int
    previous_overall: float | None
    groups: tuple[GroupLine, ...]  # ranked, best first
    lowest: tuple[GroupLine, ...]  # the lowest ones, lowest first
    repeated: tuple[RepeatedGroup, ...]  # most repeats first
    by_category: dict[CaseCategory, int]
    by_tab: dict[CaseTab, int]
    appeals: AppealCounts
    # The leads of each flagged group, by group id.
    leads: dict[int, tuple[Lead, ...]] = field(default_factory=dict)
    # The groups whose score went down month after month over the three months ending
    # with this one (`trends.falling_groups`).
    falling: tuple[str, ...] = ()
    acknowledgement: AcknowledgementCounts = AcknowledgementCounts()
    appeal_clock: AppealClock = AppealClock()

    @property
    def overall_change(self) -> float | None:
        if self.previous_overall is None:
            return None
        return self.overall - self.previous_overall

    @property
    def flagged_ids(self) -> list[int]:
        return flagged(self.lowest, self.repeated)

    def flagged_names(self) -> dict[int, str]:
        names = {line.group_id: line.name for line in self.lowest}
        for item in self.repeated:
            names.setdefault(item.group_id, item.name)
        return names


def flagged(lowest: Sequence[GroupLine], repeated: Sequence[RepeatedGroup]) -> list[int]:
    """The flagged groups: the lowest ones, then those with repeated errors (each once)."""
    ids = [line.group_id for line in lowest] + [item.group_id for item in repeated]
    return list(dict.fromkeys(ids))


async def compute(session: AsyncSession, month: date, *, settings: Settings) -> Digest | None:
    """The digest of `month` (its first day); None if the month has no results."""
    overall = await results_db.overall_score(session, month)
    if overall is None:
        return None
    previous = await results_db.month_before(session, month)
    previous_overall = None
    before: dict[int, float] = {}
    if previous is not None:
        earlier = await results_db.overall_score(session, previous)
        previous_overall = earlier[0] if earlier else None
        before = {
            row.group_id: row.score for row in await results_db.group_scores(session, previous)
        }
    scores = await results_db.group_scores(session, month)
    groups = tuple(
        GroupLine(
            rank=rank,
            group_id=row.group_id,
            name=row.name,
            score=row.score,
            evaluations=row.evaluations,
            change=row.score - before[row.group_id] if row.group_id in before else None,
        )
        for rank, row in enumerate(scores, start=1)
    )
    lowest = tuple(reversed(groups[-settings.digest_lowest :]))
    start, end = months.month_bounds(month, settings.tz)
    last = months.last_day(month)
    repeated = tuple(await digest_db.repeated_by_group(session, month, last))
    appeals = await digest_db.appeals_decided(session, start, end)
    found = await digest_db.leads_of_groups(session, flagged(lowest, repeated))
    leads = {
        group_id: tuple(Lead(lead.full_name, lead.telegram_id) for lead in rows)
        for group_id, rows in found.items()
    }
    return Digest(
        month=month,
        previous=previous,
        overall=overall[0],
        evaluations=overall[1],
        previous_overall=previous_overall,
        groups=groups,
        lowest=lowest,
        repeated=repeated,
        by_category=await digest_db.cases_by_category(session, month, last),
        by_tab=await digest_db.cases_by_tab(session, month, last),
        appeals=AppealCounts(
            accepted=appeals[AppealState.ACCEPTED],
            partial=appeals[AppealState.PARTIAL],
            rejected=appeals[AppealState.REJECTED],
        ),
        leads=leads,
        falling=tuple(await falling_groups(session, month)),
        acknowledgement=count_acknowledgements(
            await digest_db.publication_and_acknowledgement(session, month, last), settings
        ),
        appeal_clock=time_appeals(
            await digest_db.appeals_decided_timing(session, start, end), settings
        ),
    )


# --- the texts ------------------------------------------------------------------------------


def mention(lead: Lead) -> Html:
    """A lead as the digest names him: a mention when his Telegram id is known."""
    if lead.telegram_id:
        return Html(f'<a href="tg://user?id={lead.telegram_id}">{quote(lead.name)}</a>')
    return Html(quote(lead.name))


def _change_text(digest: Digest, texts: Texts) -> str:
    if digest.previous is None or digest.previous_overall is None:
        return texts("digest-change-none")
    return texts(
        "digest-change",
        delta=points(digest.overall_change),
        previous=months.label(texts, digest.previous),
        before=percent(digest.previous_overall),
    )


def caption(digest: Digest, texts: Texts) -> str:
    """The photo's caption: the month and the overall score (far under 1,024)."""
    return texts(
        "digest-caption",
        month=months.label(texts, digest.month),
        score=percent(digest.overall),
        change=Html(_change_text(digest, texts)),
    )


FALLING_NAMES = 20  # names on the «fell three months in a row» line; the rest counted


def falling_lines(digest: Digest, texts: Texts) -> list[str]:
    """One line naming the groups whose score fell three months in a row; none if none."""
    if not digest.falling:
        return []
    names = ", ".join(digest.falling[:FALLING_NAMES])
    more = max(0, len(digest.falling) - FALLING_NAMES)
    return [texts("digest-falling", names=names, more=more)]


def appeal_clock_lines(clock: AppealClock, texts: Texts) -> list[str]:
    """In time or late, the average working days, the accepted share by category."""
    if clock.average_days is None:
        return []
    lines = [
        texts(
            "digest-appeals-clock",
            in_time=clock.in_time,
            late=clock.late,
            average=f"{clock.average_days:.1f}".replace(".", ","),
        )
    ]
    lines += [
        texts(
            "digest-appeals-accepted",
            category=texts(f"case-category-{category}"),
            accepted=accepted,
            decided=decided,
            share=percent(100 * accepted / decided),
        )
        for category, accepted, decided in clock.accepted_by_category
    ]
    return "\n".join(lines).split("\n")


def sections(digest: Digest, texts: Texts) -> list[list[str]]:
    """The digest as sections of lines; every line is whole HTML (its tags closed)."""
    month = months.label(texts, digest.month)
    head = texts(
        "digest-head",
        month=month,
        score=percent(digest.overall),
        evaluations=digest.evaluations,
        change=Html(_change_text(digest, texts)),
    ).split("\n")
    ranking = [texts("digest-groups-title", count=len(digest.groups))]
    ranking += [
        texts(
            "digest-group-line",
            rank=line.rank,
            name=line.name,
            score=percent(line.score),
            delta=points(line.change),
        )
        for line in digest.groups
    ]
    lowest = [texts("digest-lowest-title", count=len(digest.lowest))]
    lowest += [
        texts("digest-lowest-line", rank=line.rank, name=line.name, score=percent(line.score))
        for line in digest.lowest
    ]
    lowest += falling_lines(digest, texts)
    if digest.repeated:
        repeated = [texts("digest-repeated-title")]
        repeated += [
            texts("digest-repeated-line", name=item.name, count=item.count)
            for item in digest.repeated
        ]
    else:
        repeated = [texts("digest-repeated-none")]
    total = sum(digest.by_category.values())
    counts = [texts("digest-cases-title", total=total), texts("digest-cases-by-category")]
    counts += [
        texts("digest-count-line", name=texts(f"case-category-{category}"), count=count)
        for category, count in digest.by_category.items()
    ]
    counts.append(texts("digest-cases-by-tab"))
    counts += [
        texts("digest-count-line", name=texts(f"case-tab-{tab}"), count=count)
        for tab, count in digest.by_tab.items()
    ]
    appeals = texts(
        "digest-appeals",
        decided=digest.appeals.decided,
        accepted=digest.appeals.accepted,
        partial=digest.appeals.partial,
        rejected=digest.appeals.rejected,
    ).split("\n")
    appeals += appeal_clock_lines(digest.appeal_clock, texts)
    ack = digest.acknowledgement
    if ack.in_time or ack.late or ack.never:
        counts += texts(
            "digest-acknowledged", in_time=ack.in_time, late=ack.late, never=ack.never
        ).split("\n")
    result = [head, ranking, lowest, repeated, counts, appeals]
    names = digest.flagged_names()
    invite = [texts("digest-invite-title")]
    for group_id in digest.flagged_ids:
        leads = digest.leads.get(group_id, ())
        # The mentions are appended, not a catalogue argument: Fluent refuses a placeable
        # longer than 1,000 characters, and a group may have several leads.
        named = ", ".join(mention(lead) for lead in leads) if leads else texts("digest-no-lead")
        invite.append(f"{texts('digest-invite-line', name=names[group_id])} {named}")
    if digest.flagged_ids:
        invite.append(texts("digest-invite-note"))
        result.append(invite)
    return result


def messages(digest: Digest, texts: Texts, *, footer: str | None = None) -> list[str]:
    """The digest's text in messages of at most 4,096 characters each."""
    parts = sections(digest, texts)
    if footer:
        parts.append(footer.split("\n"))
    return split_messages(parts)


# --- the chart ------------------------------------------------------------------------------


def chart_bars(digest: Digest) -> list[digest_chart.Bar]:
    lowest = {line.group_id for line in digest.lowest}
    return [
        digest_chart.Bar(line.name, line.score, lowest=line.group_id in lowest)
        for line in digest.groups
    ]


def chart_texts(digest: Digest, texts: Texts) -> digest_chart.ChartTexts:
    return digest_chart.ChartTexts(
        title=texts("digest-chart-title", month=months.label(texts, digest.month)),
        lowest=texts("digest-chart-lowest"),
        others=texts("digest-chart-others"),
    )


async def render_chart(digest: Digest, texts: Texts) -> bytes:
    """The PNG, drawn in a worker thread (for 200 groups about 0.2 s of CPU, 0.4 s for the
    first chart of a process, which imports matplotlib: bench.digest)."""
    bars = chart_bars(digest)
    labels = chart_texts(digest, texts)
    return await asyncio.to_thread(digest_chart.render_png, bars, labels)


def chart_filename(month: date) -> str:
    return f"digest-{month:%Y-%m}.png"


# --- the preview and publishing -------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    digest: Digest
    png: bytes
    caption: str
    messages: list[str]
    posted: DigestPost | None  # set when the month was already posted


@dataclass(frozen=True)
class Published:
    post: DigestPost
    digest: Digest
    invited: int  # leads invited to book a meeting
    write_seconds: float  # how long the write transaction (the database lock) lasted


def check_can_post(actor: Employee | None) -> Employee:
    return require_role(actor, Role.CS, key=FORBIDDEN_KEY)


async def choose_month(session: AsyncSession, text: str | None) -> date:
    """The month of `/digest [MM.YYYY]`: the one named, or the latest with results."""
    if text and text.strip():
        return months.parse_month(text.strip())
    latest = await results_db.latest_month(session)
    if latest is None:
        raise NotFound("digest-no-results")
    return latest


async def _digest_of(
    session: AsyncSession, month: date, settings: Settings, texts: Texts
) -> Digest:
    found = await compute(session, month, settings=settings)
    if found is None:
        raise NotFound("digest-no-results-month", month=months.label(texts, month))
    return found


async def preview(
    session: AsyncSession,
    actor: Employee | None,
    month_text: str | None,
    *,
    settings: Settings,
    texts: Texts,
) -> Preview:
    """What `/digest` shows the CS member privately before he publishes."""
    check_can_post(actor)
    month = await choose_month(session, month_text)
    digest = await _digest_of(session, month, settings, texts)
    posted = await digest_db.post_of(session, month)
    footer = (
        texts("digest-preview-posted", month=months.label(texts, month), at=posted.posted_at)
        if posted
        else texts("digest-preview-note")
    )
    return Preview(
        digest=digest,
        png=await render_chart(digest, texts),
        caption=caption(digest, texts),
        messages=messages(digest, texts, footer=footer),
        posted=posted,
    )


async def publish(
    session: AsyncSession,
    actor: Employee | None,
    month: date,
    *,
    settings: Settings,
    texts: Texts,
    by_schedule: bool = False,
) -> Published:
    """Post the digest of `month` to the CS group: by a CS member, or by the schedule
    (`actor` None, `by_schedule`). AlreadyDone if the month was posted before."""
    if not by_schedule:
        actor = check_can_post(actor)
    assert settings.cs_chat_id is not None
    digest = await _digest_of(session, month, settings, texts)
    # Drawn before the write lock is taken: it is the slow part.
    png = await render_chart(digest, texts)
    began = time.perf_counter()
    async with write_transaction(session):
        posted_by: int | None = None
        if not by_schedule:
            assert actor is not None
            # Re-read under the write lock: the role may have changed since the preview.
            posted_by = check_can_post(await employees_db.by_id(session, actor.id)).id
        # The month is posted once: a second publisher (CS, the schedule, another process)
        # waits here and then finds the first one's post.
        await lock_name(session, "digest", f"{month:%Y-%m}")
        existing = await digest_db.post_of(session, month)
        if existing is not None:
            raise AlreadyDone(
                "digest-already-posted",
                month=months.label(texts, month),
                at=existing.posted_at,
            )
        fresh = await _digest_of(session, month, settings, texts)
        if fresh != digest:  # results re-imported meanwhile: post the figures as they are now
            digest = fresh
            png = await render_chart(digest, texts)
        post = DigestPost(month=month, posted_by_id=posted_by)
        session.add(post)
        await session.flush()
        _queue_post(session, digest, png, settings=settings, texts=texts)
        audit.record(
            session,
            actor_id=post.posted_by_id,
            entity="digest",
            entity_id=post.id,
            action="post",
            comment=f"{month:%Y-%m}",
        )
        invited = await _invite_leads(session, digest, settings=settings, texts=texts)
    write_seconds = time.perf_counter() - began
    log.info(
        "digest of %s posted: %s groups, %s leads invited, written in %.0f ms",
        month,
        len(digest.groups),
        invited,
        write_seconds * 1000,
    )
    return Published(post=post, digest=digest, invited=invited, write_seconds=write_seconds)


def _queue_post(
    session: AsyncSession, digest: Digest, png: bytes, *, settings: Settings, texts: Texts
) -> None:
    assert settings.cs_chat_id is not None
    thread_id = settings.cs_digest_thread_id or None
    subject = f"digest:{digest.month:%Y-%m}"
    notify.send_file(
        session,
        settings.cs_chat_id,
        method="sendPhoto",
        data=png,
        filename=chart_filename(digest.month),
        caption=caption(digest, texts),
        thread_id=thread_id,
        subject=f"{subject}:chart",
    )
    for text in messages(digest, texts):
        notify.send_message(
            session, settings.cs_chat_id, text, thread_id=thread_id, subject=f"{subject}:text"
        )


async def _invite_leads(
    session: AsyncSession, digest: Digest, *, settings: Settings, texts: Texts
) -> int:
    """The flagged leads' meeting invitations, in the publishing transaction."""
    if not digest.flagged_ids:
        return 0
    invites = await meetings.invite_leads(
        session, month=digest.month, group_ids=digest.flagged_ids, settings=settings, texts=texts
    )
    return len(invites)


# --- the schedule ---------------------------------------------------------------------------


def missing_subject(month: date) -> str:
    return f"{MISSING_SUBJECT}{month:%Y-%m}"


def due_month(local_now: datetime) -> date:
    """The month a run at `local_now` (local time) posts: the previous calendar month."""
    return months.previous(local_now.date().replace(day=1))


async def post_scheduled(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    now: datetime | None = None,
) -> str:
    """The scheduled run: post the previous month's digest if it has results and was not
    posted yet; without results, tell CS once. Returns what it did: "posted", "posted
    before", "missing" (CS told now), "missing, told" or "no group"."""
    if settings.cs_chat_id is None:
        return "no group"
    local_now = (now or datetime.now(UTC)).astimezone(settings.tz)
    month = due_month(local_now)
    async with session_factory() as session:
        if await digest_db.post_of(session, month) is not None:
            return "posted before"
        if await results_db.overall_score(session, month) is None:
            return await _tell_missing(session, month, local_now, settings=settings, texts=texts)
        try:
            await publish(session, None, month, settings=settings, texts=texts, by_schedule=True)
        except AlreadyDone:  # another run (or CS) was quicker
            return "posted before"
        except NotFound:  # the results were deleted meanwhile
            return await _tell_missing(session, month, local_now, settings=settings, texts=texts)
    return "posted"


async def run_schedule(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    now: datetime | None = None,
) -> str:
    """The scheduled job. With DIGEST_CRON=first-working-day it fires at its time every day
    and posts only on the month's first working day; a crontab line posts whenever it fires."""
    local_now = (now or datetime.now(UTC)).astimezone(settings.tz)
    if settings.digest_first_working_day_at is not None:
        today = local_now.date()
        if today != workdays.first_working_day(today):
            return "not the first working day"
    return await post_scheduled(session_factory, settings, texts, now=local_now)


async def _tell_missing(
    session: AsyncSession, month: date, local_now: datetime, *, settings: Settings, texts: Texts
) -> str:
    assert settings.cs_chat_id is not None
    subject = missing_subject(month)
    async with write_transaction(session):
        await lock_name(session, "digest", f"{month:%Y-%m}")  # CS is told once
        if await digest_db.notice_recorded(session, subject):
            return "missing, told"
        reminders.schedule_notice(
            session,
            chat_id=settings.cs_chat_id,
            text=texts("digest-missing", month=months.label(texts, month)),
            due_at=local_now.astimezone(UTC),
            subject=subject,
            thread_id=settings.cs_digest_thread_id or None,
            keyboard=keyboards.shortcut(Shortcut.IMPORT, texts("digest-btn-import")),
        )
    log.info("digest of %s waits for its results: CS told", month)
    return "missing"


def schedule_trigger(settings: Settings) -> CronTrigger:
    """When the scheduled job fires: DIGEST_CRON's crontab line, or for first-working-day
    its time every day (`run_schedule` keeps to the first working day)."""
    at = settings.digest_first_working_day_at
    if at is not None:
        return CronTrigger(hour=at.hour, minute=at.minute, second=0, timezone=settings.tz)
    return cron_trigger(settings.digest_cron, settings.tz)


def first_run(settings: Settings, local_now: datetime) -> datetime | None:
    """The month's first scheduled time (in the month of `local_now`), if it has one."""
    at = settings.digest_first_working_day_at
    if at is not None:
        day = workdays.first_working_day(local_now.date())
        return datetime.combine(day, at, tzinfo=settings.tz)
    return first_run_of_month(cron_trigger(settings.digest_cron, settings.tz), local_now)


def first_run_of_month(trigger: CronTrigger, local_now: datetime) -> datetime | None:
    """The first time the schedule fires in the month of `local_now`, if it does."""
    start = local_now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    first: datetime | None = trigger.get_next_fire_time(None, start)
    if first is None or (first.year, first.month) != (start.year, start.month):
        return None
    return first


async def catch_up(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    texts: Texts,
    now: datetime | None = None,
) -> str:
    """At start: the run the bot may have missed while it was down. It runs when this
    month's first scheduled time has passed, within `CATCH_UP`; the `DigestPost` row keeps
    it from posting twice. Returns what it did ("not due" if nothing was due)."""
    local_now = (now or datetime.now(UTC)).astimezone(settings.tz)
    first = first_run(settings, local_now)
    if first is None or not first <= local_now < first + CATCH_UP:
        return "not due"
    return await post_scheduled(session_factory, settings, texts, now=local_now)


def schedule_digest(
    scheduler: AsyncIOScheduler,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    texts: Texts,
) -> None:
    """The cron job of `DIGEST_CRON` (in TIMEZONE), and the catch-up run at start; none
    with `DIGEST_CRON=off`.

    `misfire_grace_time` lets a run that the event loop started late (a busy moment, the
    machine waking up) still happen; `coalesce` makes several missed runs one."""
    if settings.digest_cron == DIGEST_OFF:
        return
    kwargs = {"session_factory": session_factory, "settings": settings, "texts": texts}
    scheduler.add_job(
        run_schedule,
        schedule_trigger(settings),
        kwargs=kwargs,
        id=JOB_ID,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=3600,
    )
    scheduler.add_job(
        catch_up,
        "date",
        run_date=datetime.now(UTC),
        kwargs=kwargs,
        id=CATCH_UP_JOB_ID,
        misfire_grace_time=None,  # whenever the scheduler starts
    )
