"""Casting a ballot over REST: ``POST /api/v1/votes/{id}/ballots`` with an ``Idempotency-Key`` header.

The same service as the socket's ``vote.cast`` (``services.cast``), in a transaction that takes its locks
in the same order (the meeting row ``FOR KEY SHARE`` first, then ``cast`` takes the vote's row), and the
same answer (``services.reply_view``: the receipt codes of a secret ballot, opened from the voter's
participation row, never stored in clear). What the socket's command id does, the key does here:

- the first request with a key casts the ballot and stores its reply (``BallotRequest``, the same reply
  the socket's command receipt stores: no choice, no code) in the same transaction;
- a retry with the same key, whatever happened to the first answer, gets the stored reply: one ballot,
  the same receipt codes;
- the same key with another choice is refused (409 ``idempotency_key_reused``): the client has mixed up
  two ballots, and answering the first one's receipt would tell it the second was counted;
- a refusal is not stored: it changed nothing, so the same key may be sent again once it would succeed
  (the vote opened, the voter checked in elsewhere...).

Two requests with the same key at the same moment: the second waits for the first on the participation's
unique constraint (or the key's), then answers the first's reply. The body of a ballot is never logged
nor audited, as for the socket (docs/voting.md, "What each can learn").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from meetings import permissions
from meetings.errors import Conflict, Invalid, NotFound, ServiceError
from meetings.models import Meeting
from meetings.voting import services
from meetings.voting.models import BallotRequest, VotingItem

log = logging.getLogger(__name__)

V = VotingItem.Status
MAX_KEY = 64
RETRIES = 3
RETRY_SQLSTATES = ("40P01", "40001")  # deadlock_detected, serialization_failure (as live.execute)


def check_key(key: str | None) -> str:
    key = (key or "").strip()
    if not key:
        raise Invalid(_("Send an Idempotency-Key header (a new random value per ballot) so that the ballot can be "
                        "sent again safely."), "idempotency_key_required", field="Idempotency-Key")
    if len(key) > MAX_KEY or not key.isascii() or not key.isprintable():
        raise Invalid(_("The Idempotency-Key must be at most %(n)d printable ASCII characters.") % {"n": MAX_KEY},
                      "bad_idempotency_key", field="Idempotency-Key")
    return key


def fingerprint(item: VotingItem, user: User, key: str, choices: Any, text: Any) -> str:
    """What tells a retry from another ballot sent with the same key: an HMAC under the vote's key, bound to
    the voter and the key (so equal choices of two voters do not look alike to a reader of the database)."""
    if isinstance(choices, list) and all(isinstance(c, str) for c in choices):
        choices = sorted(choices)  # the same options in another order are the same ballot
    body = json.dumps([user.pk, key, choices, text or ""], sort_keys=True, ensure_ascii=False, default=str)
    return hmac.new(services.vote_key(item), body.encode(), hashlib.sha256).hexdigest()


def cast_with_key(user: User, item_id: int, key: str, choices: Any, text: Any = "") -> tuple[bool, dict[str, Any]]:
    """(created, the answer): ``created`` is False when the key had already been used for this ballot."""
    key = check_key(key)
    item = VotingItem.objects.filter(pk=item_id).select_related("meeting").first()
    if item is None or not permissions.can_view(user, item.meeting):
        raise NotFound(_("This vote does not exist in this meeting."))
    if item.status == V.PREPARED and not permissions.can_edit(user, item.meeting):
        raise NotFound(_("This vote does not exist in this meeting."))  # delegates do not see prepared votes
    print_ = fingerprint(item, user, key, choices, text)
    for attempt in range(RETRIES):
        try:
            return _cast_once(user, item, key, print_, choices, text)
        except OperationalError as e:
            if attempt + 1 == RETRIES or getattr(e.__cause__, "sqlstate", None) not in RETRY_SQLSTATES:
                raise
            log.warning("REST ballot: transaction aborted (%s), running it again", getattr(e.__cause__, "sqlstate", "?"))
    raise AssertionError("unreachable")


def _lock_meeting_shared(meeting_id: int) -> Meeting | None:
    """The meeting row ``FOR KEY SHARE``, first, as live._lock_meeting does for ``vote.cast`` (issue 17's
    order: meeting, then vote). SQLite has one writer at a time and needs no lock."""
    if connection.vendor != "postgresql":
        return Meeting.objects.filter(pk=meeting_id).first()
    found = list(Meeting.objects.raw(f"SELECT * FROM {Meeting._meta.db_table} WHERE id = %s FOR KEY SHARE",
                                     [meeting_id]))
    return found[0] if found else None


def _cast_once(user: User, item: VotingItem, key: str, print_: str, choices: Any,
               text: Any) -> tuple[bool, dict[str, Any]]:
    try:
        with transaction.atomic():
            meeting = _lock_meeting_shared(item.meeting_id)
            if meeting is None:
                raise NotFound()
            known = BallotRequest.objects.filter(item_id=item.pk, user=user, key=key).first()
            if known is not None:
                return False, _replay(user, known, print_)
            participant = meeting.participants.filter(user=user).first()
            reply = {"ok": True, **services.cast(user, meeting, participant, item.pk, choices, text)}
            BallotRequest.objects.create(item_id=item.pk, user=user, key=key, fingerprint=print_, reply=reply)
        return True, _answer(user, reply)
    except (IntegrityError, Conflict) as e:
        # The same key at the same moment on another connection: its ballot stands, and so does its answer.
        if isinstance(e, ServiceError) and e.code != "already_voted":
            raise
        known = BallotRequest.objects.filter(item_id=item.pk, user=user, key=key).first()
        if known is None:
            raise
        return False, _replay(user, known, print_)


def _replay(user: User, known: BallotRequest, print_: str) -> dict[str, Any]:
    # A blank fingerprint: a secret vote, closed since; the choices can no longer be compared, the ballot
    # was counted, its answer stands.
    if known.fingerprint and not hmac.compare_digest(known.fingerprint, print_):
        raise Conflict(_("This Idempotency-Key was already used for a different ballot. A new ballot needs a new "
                         "key; a ballot already recorded cannot be replaced this way."), "idempotency_key_reused")
    return _answer(user, known.reply)


def _answer(user: User, reply: dict[str, Any]) -> dict[str, Any]:
    shown = services.reply_view(user, reply)
    return {k: v for k, v in shown.items() if k not in ("ok", "seq")}

