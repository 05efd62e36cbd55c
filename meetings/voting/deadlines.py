"""Time limits: a vote with a deadline closes by itself when it is due, exactly once, on any process.

Why a job and not a timer in a socket: the socket that opened the vote may be on a process that dies or
restarts, and every other process would then have to guess whether someone else closes it. The job queue
(Huey, settings.HUEY: a SQLite file in the embedded default, Redis when scaled out) holds one task per
deadline, scheduled when the vote opens or is extended (``schedule``), and a periodic sweep every minute
(``jobs.vote_deadlines``) closes whatever a lost task or a stopped consumer left open.

Exactly once: ``close_if_due`` takes the locks of the chair's close (the meeting row, then the vote's row
alone) and only then reads the status and the deadline. Two jobs, or a job and the chair, racing for the
same vote are serialised on those rows: the first closes it, the second finds it closed (or extended, its
deadline not yet reached) and does nothing. One ``vote.closed`` event in the log, one result.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import OperationalError, transaction
from django.utils import timezone

from meetings.voting import services
from meetings.voting.models import VotingItem

log = logging.getLogger(__name__)

V = VotingItem.Status
RETRIES = 3
RETRY_SQLSTATES = ("40P01", "40001")  # deadlock_detected, serialization_failure (as live.execute)


def schedule(item_id: int, deadline: dt.datetime) -> None:
    """Queue the closing task for ``deadline``. A failure to queue (Redis away) is logged, not raised: the
    vote is open and committed, and the periodic sweep closes it within a minute of its deadline."""
    from meetings.voting import jobs

    try:
        jobs.close_at_deadline.schedule(args=(item_id,), eta=deadline)
    except Exception:
        log.exception("could not queue the deadline of vote %s; the periodic sweep will close it", item_id)


def close_if_due(item_id: int, now: dt.datetime | None = None) -> bool:
    """Close the vote if it is open and its deadline has passed at ``now``; True if this call closed it.
    A deadlock victim (PostgreSQL) changed nothing and is run again, as the socket's commands are."""
    for attempt in range(RETRIES):
        try:
            return _close_if_due_once(item_id, now or timezone.now())
        except OperationalError as e:
            if attempt + 1 == RETRIES or getattr(e.__cause__, "sqlstate", None) not in RETRY_SQLSTATES:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def _close_if_due_once(item_id: int, now: dt.datetime) -> bool:
    meeting_id = VotingItem.objects.filter(pk=item_id).values_list("meeting_id", flat=True).first()
    if meeting_id is None:  # deleted while queued (only prepared votes can be)
        return False
    meeting = services._locked_meeting(meeting_id)
    item = services._item(meeting, item_id, lock=True)  # waits for the ballots in flight, as the chair's close
    # Read under the lock: whoever came first has closed it, or the chair has extended it meanwhile.
    if item.status != V.OPEN or item.deadline is None or item.deadline > now:
        return False
    services.close_locked(meeting, item, None, by="deadline")
    return True


def close_due(now: dt.datetime | None = None) -> int:
    """Close every open vote whose deadline has passed; how many this call closed."""
    now = now or timezone.now()
    due = list(VotingItem.objects.filter(status=V.OPEN, deadline__lte=now).order_by("deadline", "id")
               .values_list("pk", flat=True))
    closed = 0
    for item_id in due:
        try:
            closed += close_if_due(item_id, now)
        except Exception:  # one vote's failure (its ballot secret lost?) must not keep the others open
            log.exception("closing vote %s at its deadline failed", item_id)
    return closed
