"""Votes: prepare, edit, open, extend, close, publish, cast. The only code that changes voting rows.

Each service checks permission and input, runs in one transaction, appends its ``vote.*`` event to the
meeting's log (``events.record``) and writes the audit trail. A ballot appends no event: it is not part
of the shared state (delegates see only their own state; organisers get a coalesced live tally, see
``tally.py``), so a burst of ballots costs no fan-out to every socket.

Locks, always in this order: the meeting's row, then the vote's row. Opening, extending, closing and
publishing lock the meeting row ``FOR NO KEY UPDATE`` (they number events), then the vote's row ``FOR
UPDATE``. A ballot takes the meeting row ``FOR KEY SHARE`` (``live.execute``; it does not conflict with
the organisers' lock) and then its vote's row ``FOR SHARE``, so ballots do not wait for each other, while
closing takes the vote's row exclusively: it waits for the ballots in flight and every later ballot sees
the vote closed. One ballot per voter is the participation's unique constraint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import User
from meetings import permissions
from meetings.errors import Conflict, Forbidden, Invalid, NotFound
from meetings.models import Attendance, Meeting, Participant
from meetings.services import events
from meetings.voting import options as opts
from meetings.voting import secrecy
from meetings.voting.errors import VotingError
from meetings.voting.keys import master_secret
from meetings.voting.models import BallotRequest, Participation, SealedBallot, SecretBallot, Voter, VotingItem
from meetings.voting.proxies import Member, resolve_proxies
from meetings.voting.rules import (
    MORE_THAN_HALF,
    QUORUM_BY_NAME,
    TWO_THIRDS,
    Abstentions,
    Comparison,
    Denominator,
    Electorate,
    Rule,
    Threshold,
    count,
    decide,
    require_quorum,
)
from meetings.voting.wording import rule_en, rule_vi
from operations import metrics

V = VotingItem.Status
PRESENT = (Attendance.Status.IN_PERSON, Attendance.Status.ONLINE)
PRESETS = ("approval", "consultation", "confidence", "election", "custom", "custom_motion")
MAX_QUESTION = 2000
MAX_OPTIONS = 50
MAX_LABEL = 200
MAX_DURATION = 3 * 3600
MAX_EXTEND = 3600
EDITABLE_MEETING = (Meeting.Status.DRAFT, Meeting.Status.PUBLISHED, Meeting.Status.IN_PROGRESS)
CLOSABLE_MEETING = (Meeting.Status.IN_PROGRESS, Meeting.Status.ENDED)


def _invalid(error: VotingError, field: str | None = None) -> Invalid:
    return Invalid(error.message(get_language() or "vi"), error.code, field=field)


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def vote_ref(item: VotingItem | int) -> str:
    """What a sealed box and the vote's key are bound to."""
    return f"voting-item:{item if isinstance(item, int) else item.pk}"


def vote_key(item: VotingItem | int) -> bytes:
    return secrecy.vote_key(master_secret(), vote_ref(item))


def question_of(item: VotingItem) -> opts.Question:
    return opts.Question.from_dict(item.question)


def rule_of(item: VotingItem) -> Rule:
    return Rule.from_dict(item.rule)


# Shapes shared by events and snapshots ---------------------------------------------------------

def item_data(item: VotingItem) -> dict[str, Any]:
    """A vote as the live room's state holds it (``votes`` section, every ``vote.*`` event).

    ``result`` is filtered out for delegates until it is published, and prepared votes are hidden from
    them (live_state.py); live counts are never part of it (tally.py)."""
    question, rule = question_of(item), rule_of(item)
    electorate = item.electorate or None
    return {
        "id": item.pk,
        "agenda_item_id": item.agenda_item_id,
        "question": item.question,
        "preset": item.preset,
        "secret": item.secret,
        "rule": item.rule,
        "rule_vi": rule_vi(rule, question, item.noun),
        "rule_en": rule_en(rule, question),
        "noun": item.noun,
        "allow_change": item.allow_change,
        "publish_on_close": item.publish_on_close,
        "duration": item.duration,
        "status": item.status,
        "electorate": None if electorate is None else {
            "members": electorate["members"], "present": electorate["present"], "voters": electorate["voters"],
        },
        "opened_at": iso(item.opened_at),
        "deadline": iso(item.deadline),
        "closed_at": iso(item.closed_at),
        "published_at": iso(item.published_at),
        "result": item.result,
    }


def votes_section(meeting: Meeting) -> list[dict[str, Any]]:
    return [item_data(i) for i in VotingItem.objects.filter(meeting=meeting).order_by("id")]


# Building a vote from what the organiser typed -------------------------------------------------

def _labels(spec: dict[str, Any]) -> list[str]:
    raw = spec.get("options") or []
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise Invalid(_("Options must be a list of texts."), "bad_options", field="options")
    labels = [x.strip() for x in raw if x.strip()]
    if len(labels) > MAX_OPTIONS:
        raise Invalid(_("At most %(n)d options.") % {"n": MAX_OPTIONS}, "bad_options", field="options")
    if any(len(x) > MAX_LABEL for x in labels):
        raise Invalid(_("An option may have at most %(n)d characters.") % {"n": MAX_LABEL}, "bad_options",
                      field="options")
    return labels


def _small_int(spec: dict[str, Any], name: str, default: int | None, low: int, high: int) -> int | None:
    value = spec.get(name)
    if value is None:
        value = default
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise Invalid(_("“%(name)s” must be a whole number from %(low)d to %(high)d.")
                      % {"name": name, "low": low, "high": high}, "bad_args", field=name)
    return value


def build_question(spec: dict[str, Any]) -> opts.Question:
    preset = spec.get("preset") or "approval"
    if preset not in PRESETS:
        raise Invalid(_("Unknown kind of options."), "bad_preset", field="preset")
    text = (spec.get("question") or "").strip() if isinstance(spec.get("question"), str) else ""
    if not text:
        raise Invalid(_("Write the question to be voted on."), "question_required", field="question")
    if len(text) > MAX_QUESTION:
        raise Invalid(_("The question may have at most %(n)d characters.") % {"n": MAX_QUESTION}, "bad_args",
                      field="question")
    labels = _labels(spec)
    try:
        if preset in ("approval", "consultation", "confidence"):
            return opts.preset(preset, text)
        if preset == "election":
            if not labels:
                raise Invalid(_("Name at least one candidate."), "bad_options", field="options")
            seats = _small_int(spec, "seats", 1, 1, MAX_OPTIONS)
            most = _small_int(spec, "max_choices", None, 1, MAX_OPTIONS)
            return opts.election(text, labels, seats=seats, max_choices=most,
                                 allow_blank=bool(spec.get("allow_blank", True)))
        if preset == "custom":
            if len(labels) < 2:
                raise Invalid(_("Give at least two options."), "bad_options", field="options")
            most = _small_int(spec, "max_choices", 1, 1, MAX_OPTIONS)
            return opts.custom(text, labels, max_choices=most, min_choices=1)
        if not 1 <= len(labels) <= 3:
            raise Invalid(_("Give the wording for “for”, and optionally “against” and “abstain”."),
                          "bad_options", field="options")
        return opts.custom_motion(text, *labels)
    except VotingError as e:
        raise _invalid(e, "options") from None


THRESHOLDS = {"more_than_half": MORE_THAN_HALF, "two_thirds": TWO_THIRDS}


def build_rule(spec: dict[str, Any]) -> Rule:
    raw = spec.get("rule") or {}
    if not isinstance(raw, dict):
        raise Invalid(_("Invalid rule."), "bad_rule", field="rule")
    name = raw.get("threshold", "more_than_half")
    try:
        if name in THRESHOLDS:
            threshold = THRESHOLDS[name]
        elif name == "custom":
            fraction = Fraction(str(raw.get("fraction", "")))
            threshold = Threshold(fraction, Comparison(raw.get("comparison", Comparison.MORE_THAN)))
        else:
            raise Invalid(_("Unknown threshold."), "bad_rule", field="rule.threshold")
        denominator = Denominator(raw.get("denominator", Denominator.MEMBERS))
        abstentions = Abstentions(raw.get("abstentions", Abstentions.COUNT))
        quorum_name = raw.get("quorum", "majority")
        if quorum_name not in QUORUM_BY_NAME:
            raise Invalid(_("Unknown quorum rule."), "bad_rule", field="rule.quorum")
    except VotingError as e:  # before ValueError, its base
        raise _invalid(e, "rule") from None
    except (ValueError, ZeroDivisionError):
        raise Invalid(_("Invalid rule."), "bad_rule", field="rule") from None
    return Rule(threshold=threshold, denominator=denominator, quorum=QUORUM_BY_NAME[quorum_name],
                abstentions=abstentions)


def _settings(spec: dict[str, Any], item: VotingItem) -> None:
    question = build_question(spec)
    rule = build_rule(spec)
    secret = bool(spec.get("secret", False))
    if secret and question.needs_text:
        raise Invalid(_("A secret ballot cannot ask for a written opinion: the text could identify its writer."),
                      "text_on_secret", field="preset")
    noun = spec.get("noun") or "đại biểu"
    if not isinstance(noun, str) or not noun.strip() or len(noun) > 40:
        raise Invalid(_("Invalid word for who votes."), "bad_args", field="noun")
    item.question, item.rule, item.preset = question.to_dict(), rule.to_dict(), spec.get("preset") or "approval"
    item.secret, item.noun = secret, noun.strip()
    item.allow_change = bool(spec.get("allow_change", False))
    item.publish_on_close = bool(spec.get("publish_on_close", False))
    item.duration = _small_int(spec, "duration", 0, 0, MAX_DURATION)


def _agenda_item(meeting: Meeting, spec: dict[str, Any]) -> int | None:
    agenda_item_id = spec.get("agenda_item_id")
    if agenda_item_id is None:
        return None
    if not isinstance(agenda_item_id, int) or not meeting.agenda_items.filter(pk=agenda_item_id).exists():
        raise Invalid(_("This agenda item does not exist."), "bad_args", field="agenda_item_id")
    return agenda_item_id


# Who may do what -------------------------------------------------------------------------------

def _locked_meeting(meeting: Meeting | int) -> Meeting:
    pk = meeting if isinstance(meeting, int) else meeting.pk
    # FOR NO KEY UPDATE: serialises the organisers, never blocks a ballot's foreign keys (live.lock_meeting).
    found = Meeting.objects.select_for_update(no_key=True).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def _need_editor(actor: User, meeting: Meeting) -> None:
    if not permissions.can_view(actor, meeting):
        raise NotFound()
    if not permissions.can_edit(actor, meeting):
        raise Forbidden(_("Only the meeting's organisers can prepare votes."))


def _need_organiser(actor: User, meeting: Meeting) -> None:
    if actor.pk not in (meeting.chair_id, meeting.secretary_id):
        if not permissions.can_view(actor, meeting):
            raise NotFound()
        raise Forbidden(_("Only the chair or the secretary of the meeting can run a vote."))


def _item(meeting: Meeting, item_id: Any, *, lock: bool = False) -> VotingItem:
    if not isinstance(item_id, int) or isinstance(item_id, bool):
        raise Invalid(_("“%(name)s” must be a whole number.") % {"name": "item_id"}, "bad_args", field="item_id")
    qs = VotingItem.objects.filter(meeting=meeting, pk=item_id)
    # The vote's row only: the model's ordering ("meeting", then the meeting's own) joins the meeting table,
    # and a plain FOR UPDATE would lock the meeting row FOR UPDATE as well, which a ballot's FOR KEY SHARE
    # waits for while it holds the vote's row: the deadlock of issue 17 (item 3).
    item = (qs.order_by().select_for_update(of=("self",)) if lock else qs).first()
    if item is None:
        raise NotFound(_("This vote does not exist in this meeting."))
    return item


def _need_status(item: VotingItem, *allowed: str) -> None:
    if item.status not in allowed:
        raise Invalid(_("This cannot be done while the vote is “%(status)s”.") % {"status": item.get_status_display()},
                      f"vote_{item.status}")


def _emit(meeting: Meeting, kind: str, item: VotingItem, actor: User) -> None:
    events.record(meeting, kind, item_data(item), actor)


# Preparing -------------------------------------------------------------------------------------

@transaction.atomic
def prepare(actor: User, meeting: Meeting | int, spec: dict[str, Any]) -> VotingItem:
    """A new vote (status prepared), before the meeting or added live."""
    meeting = _locked_meeting(meeting)
    _need_editor(actor, meeting)
    if meeting.status not in EDITABLE_MEETING:
        raise Invalid(_("Votes can no longer be added to this meeting."), "not_editable")
    item = VotingItem(meeting=meeting, created_by=actor)
    _settings(spec, item)
    item.agenda_item_id = _agenda_item(meeting, spec)
    item.save()
    _emit(meeting, "vote.prepared", item, actor)
    events.audit(actor, "vote.prepare", meeting, f"vote {item.pk}", question=item.question["text"][:200])
    return item


@transaction.atomic
def edit(actor: User, meeting: Meeting | int, item_id: int, spec: dict[str, Any]) -> VotingItem:
    """Change a prepared vote; ``spec`` is the whole new definition (as for ``prepare``)."""
    meeting = _locked_meeting(meeting)
    _need_editor(actor, meeting)
    item = _item(meeting, item_id, lock=True)
    _need_status(item, V.PREPARED)
    _settings(spec, item)
    item.agenda_item_id = _agenda_item(meeting, spec)
    item.save()
    _emit(meeting, "vote.updated", item, actor)
    events.audit(actor, "vote.edit", meeting, f"vote {item.pk}")
    return item


@transaction.atomic
def delete(actor: User, meeting: Meeting | int, item_id: int) -> None:
    meeting = _locked_meeting(meeting)
    _need_editor(actor, meeting)
    item = _item(meeting, item_id, lock=True)
    _need_status(item, V.PREPARED)
    item.delete()
    events.record(meeting, "vote.deleted", {"id": item_id}, actor)
    events.audit(actor, "vote.delete", meeting, f"vote {item_id}")


# Running ---------------------------------------------------------------------------------------

def take_electorate(meeting: Meeting) -> tuple[dict[str, Any], list[Voter]]:
    """Who may vote and with what weight, when the vote opens (docs/voting.md, "Proxies"): the summary
    kept on the vote, and one ``Voter`` row per member with a voting right (not saved yet)."""
    people = list(meeting.participants.select_related("user").order_by("id"))
    present = set(Attendance.objects.filter(participant__meeting=meeting, status__in=PRESENT)
                  .values_list("participant_id", flat=True))
    members = [Member(p.pk, can_vote=p.can_vote and p.rsvp != Participant.Rsvp.SUBSTITUTED, present=p.pk in present,
                      proxy_to=p.proxy_to_id if p.rsvp == Participant.Rsvp.PROXY else None) for p in people]
    resolved = resolve_proxies(members)
    holder_of = {giver: holder for holder, givers in resolved.givers.items() for giver in givers}
    rows = [Voter(participant_id=p.pk, user_id=p.user_id, name=str(p.user), weight=resolved.weights[p.pk],
                  present=p.pk in present, proxy_holder_id=holder_of.get(p.pk))
            for p in people if p.pk in resolved.weights]
    summary = {"members": resolved.electorate.members, "present": resolved.electorate.present,
               "voters": sum(1 for r in rows if r.weight >= 1),
               "refused_proxies": [{"giver": r.giver, "holder": r.holder, "code": r.code} for r in resolved.refused]}
    return summary, rows


@transaction.atomic
def open_vote(actor: User, meeting: Meeting | int, item_id: int) -> VotingItem:
    meeting = _locked_meeting(meeting)
    _need_organiser(actor, meeting)
    if meeting.status != Meeting.Status.IN_PROGRESS:
        raise Invalid(_("The meeting is not in progress."), "not_in_progress")
    item = _item(meeting, item_id, lock=True)
    _need_status(item, V.PREPARED)
    # Several votes may be open at once (a slate of resolutions, an election with several posts): each has
    # its own electorate, rule, deadline and result (issue 14).
    electorate, voters = take_electorate(meeting)
    if not electorate["voters"]:
        raise Invalid(_("Nobody in this meeting has a voting right."), "no_voters")
    try:
        require_quorum(rule_of(item), Electorate(electorate["members"], electorate["present"]))
    except VotingError as e:
        raise _invalid(e) from None
    now = timezone.now()
    item.status, item.electorate, item.opened_at = V.OPEN, electorate, now
    item.deadline = now + dt.timedelta(seconds=item.duration) if item.duration else None
    item.save(update_fields=["status", "electorate", "opened_at", "deadline"])
    for row in voters:
        row.item = item
    Voter.objects.bulk_create(voters)
    _emit(meeting, "vote.opened", item, actor)
    events.audit(actor, "vote.open", meeting, f"vote {item.pk}", members=electorate["members"],
                 present=electorate["present"])
    _schedule_deadline(item)
    return item


@transaction.atomic
def extend(actor: User, meeting: Meeting | int, item_id: int, seconds: Any) -> VotingItem:
    meeting = _locked_meeting(meeting)
    _need_organiser(actor, meeting)
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 10 <= seconds <= MAX_EXTEND:
        raise Invalid(_("The extension must be between 10 and %(max)d seconds.") % {"max": MAX_EXTEND}, "bad_args",
                      field="seconds")
    item = _item(meeting, item_id, lock=True)
    _need_status(item, V.OPEN)
    if item.deadline is None:
        raise Invalid(_("This vote has no time limit: it stays open until it is closed."), "no_deadline")
    item.deadline = max(item.deadline, timezone.now()) + dt.timedelta(seconds=seconds)
    item.save(update_fields=["deadline"])
    _emit(meeting, "vote.extended", item, actor)
    events.audit(actor, "vote.extend", meeting, f"vote {item.pk}", seconds=seconds)
    _schedule_deadline(item)
    return item


def _schedule_deadline(item: VotingItem) -> None:
    """Once committed, ask the job queue to close the vote at its deadline (deadlines.py says why a job)."""
    if item.deadline is None:
        return
    from meetings.voting import deadlines

    item_id, deadline = item.pk, item.deadline
    transaction.on_commit(lambda: deadlines.schedule(item_id, deadline))


@transaction.atomic
def close(actor: User, meeting: Meeting | int, item_id: int) -> VotingItem:
    """Stop the vote, count it and decide; secret ballots are mixed (docs/voting.md, "The design", 3)."""
    meeting = _locked_meeting(meeting)
    _need_organiser(actor, meeting)
    if meeting.status not in CLOSABLE_MEETING:
        raise Invalid(_("The meeting is not in progress."), "not_in_progress")
    item = _item(meeting, item_id, lock=True)  # waits for the ballots in flight
    _need_status(item, V.OPEN)
    return close_locked(meeting, item, actor)


def close_locked(meeting: Meeting, item: VotingItem, actor: User | None, *, by: str = "chair") -> VotingItem:
    """The close itself, in the caller's transaction, with the meeting row and then the vote's row locked
    and the vote found open: the chair's ``close`` and the deadline job (``deadlines.py``, ``actor`` None)
    do exactly the same. Announces the result at once when the vote says so (``publish_on_close``)."""
    question = question_of(item)
    weights = list(Participation.objects.filter(item=item).values_list("weight", flat=True))
    if item.secret:
        ref = vote_ref(item)
        boxes = [bytes(b) for b in SealedBallot.objects.filter(item=item).values_list("box", flat=True)]
        try:
            mixed = secrecy.mix(vote_key(item), ref, boxes)
            secrecy.check_complete(weights, len(mixed))
        except VotingError as e:
            raise _invalid(e) from None
        # One statement, rows in the order of their fresh random ids: heap order, rowid and xmin say nothing.
        SecretBallot.objects.bulk_create([SecretBallot(id=b.id, item=item, choices=list(b.choices), text=b.text,
                                                       receipt=b.receipt) for b in mixed])
        SealedBallot.objects.filter(item=item).delete()
        Participation.objects.filter(item=item).exclude(receipts_sealed="").update(receipts_sealed="")
        # The REST keys' fingerprints go with the sealed codes (models.BallotRequest says why).
        BallotRequest.objects.filter(item=item).exclude(fingerprint="").update(fingerprint="")
        ballots: Iterable[opts.Ballot] = [b.as_ballot() for b in mixed]
        transaction.on_commit(_vacuum_sealed)
    else:
        ballots = [opts.Ballot(tuple(c), w, t) for c, w, t in
                   Participation.objects.filter(item=item).values_list("choices", "weight", "text")]
    electorate = Electorate(item.electorate["members"], item.electorate["present"])
    try:
        result = decide(rule_of(item), count(question, ballots), electorate)
    except VotingError as e:
        raise _invalid(e) from None
    item.status, item.closed_at = V.CLOSED, timezone.now()
    item.result = result.to_dict(noun_vi=item.noun)
    item.sentence = item.result["sentence_vi"]
    item.save(update_fields=["status", "closed_at", "result", "sentence"])
    _emit(meeting, "vote.closed", item, actor)
    events.audit(actor, "vote.close", meeting, f"vote {item.pk}", cast=result.cast, passed=result.passed, by=by)
    if item.publish_on_close:
        _publish_locked(meeting, item, actor, by=by)
    transaction.on_commit(lambda: _tally_changed(meeting.pk, item.pk))
    return item


def _vacuum_sealed() -> None:
    """Reclaim the dead sealed boxes at once (autovacuum would, later). PostgreSQL only; outside a transaction."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM {SealedBallot._meta.db_table}")
    except Exception:  # only housekeeping: the boxes are unreadable without the ballot secret
        pass


@transaction.atomic
def publish(actor: User, meeting: Meeting | int, item_id: int) -> VotingItem:
    meeting = _locked_meeting(meeting)
    _need_organiser(actor, meeting)
    item = _item(meeting, item_id, lock=True)
    _need_status(item, V.CLOSED)
    return _publish_locked(meeting, item, actor)


def _publish_locked(meeting: Meeting, item: VotingItem, actor: User | None, *, by: str = "chair") -> VotingItem:
    item.status, item.published_at = V.PUBLISHED, timezone.now()
    item.save(update_fields=["status", "published_at"])
    _emit(meeting, "vote.published", item, actor)
    events.audit(actor, "vote.publish", meeting, f"vote {item.pk}", sentence=item.sentence, by=by)
    return item


# Casting ---------------------------------------------------------------------------------------

def check_item_id(item_id: Any) -> None:
    if not isinstance(item_id, int) or isinstance(item_id, bool):
        raise Invalid(_("“%(name)s” must be a whole number.") % {"name": "item_id"}, "bad_args", field="item_id")


def _lock_shared(meeting: Meeting, item_id: Any, participant_id: int | None) -> tuple[VotingItem, Voter | None]:
    """The vote's row, locked against closing but not against other ballots (``FOR SHARE`` on PostgreSQL;
    SQLite has one writer at a time anyway), with the voter's row of its electorate: one query."""
    check_item_id(item_id)
    items, voters = VotingItem._meta.db_table, Voter._meta.db_table
    lock = " FOR SHARE OF i" if connection.vendor == "postgresql" else ""
    found = list(VotingItem.objects.raw(
        f"SELECT i.*, v.id AS voter_id, v.weight AS voter_weight, v.proxy_holder_id AS voter_holder "
        f"FROM {items} i LEFT JOIN {voters} v ON v.item_id = i.id AND v.participant_id = %s "
        f"WHERE i.id = %s AND i.meeting_id = %s{lock}", [participant_id or 0, item_id, meeting.pk]))
    if not found:
        raise NotFound(_("This vote does not exist in this meeting."))
    item = found[0]
    voter = None
    if item.voter_id is not None:
        voter = Voter(id=item.voter_id, item_id=item.pk, participant_id=participant_id, weight=item.voter_weight,
                      proxy_holder_id=item.voter_holder)
    return item, voter


def voter_entry(item: VotingItem | int, participant_id: int | None) -> Voter | None:
    if participant_id is None:
        return None
    return Voter.objects.filter(item_id=getattr(item, "pk", item), participant_id=participant_id).first()


def _holder_name(voter: Voter | None) -> str | None:
    if voter is None or voter.proxy_holder_id is None:
        return None
    return Voter.objects.filter(item_id=voter.item_id, participant_id=voter.proxy_holder_id).values_list(
        "name", flat=True).first() or "?"


def _refuse_non_voter(voter: Voter | None) -> None:
    raise non_voter(_holder_name(voter))


def non_voter(holder: str | None) -> Forbidden:
    """The refusal of a ballot from someone without a voting right (``holder``: who holds their proxy)."""
    if holder is not None:
        return Forbidden(_("You gave your proxy to %(name)s, who votes for you.") % {"name": holder}, "proxy_given")
    return Forbidden(_("You have no voting right in this vote."), "not_a_voter")


# The checks a ballot passes, shared by ``cast`` and the socket's batches (batch.py): the same refusals, in
# the same order, whichever path a ballot takes.

def check_taking_ballots(meeting: Meeting, item: VotingItem, now: dt.datetime) -> None:
    """Refuse a ballot unless the vote is open, the meeting in progress and the time not up."""
    if item.status == V.PREPARED:
        raise Invalid(_("This vote has not been opened yet."), "vote_not_open")
    if item.status != V.OPEN:
        raise Invalid(_("This vote is closed: no more ballots are taken."), "vote_closed")
    if meeting.status != Meeting.Status.IN_PROGRESS:
        raise Invalid(_("The meeting is not in progress."), "not_in_progress")
    if item.deadline is not None and now > item.deadline:
        raise Invalid(_("The time for this vote is up."), "vote_time_up")


def check_ballot(question: opts.Question, choices: Any, text: Any, weight: int) -> opts.Ballot:
    """The ballot as sent, checked against the question, with the voter's weight."""
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise Invalid(_("The opinion must be a text."), "bad_args", field="text")
    try:
        return question.check(choices, text, weight)
    except VotingError as e:
        raise _invalid(e, "choices") from None


def cast(actor: User, meeting: Meeting, participant: Participant | None, item_id: Any, choices: Any,
         text: Any = "") -> dict[str, Any]:
    """One ballot, in the caller's transaction (the socket command's). Returns what the reply stores:
    never the choice, never the receipt codes in clear (see ``reply_view``)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("voting.cast must run inside a transaction")
    item, voter = _lock_shared(meeting, item_id, participant.pk if participant else None)
    now = timezone.now()
    check_taking_ballots(meeting, item, now)
    if voter is None or voter.weight < 1:
        _refuse_non_voter(voter)
    question = question_of(item)
    ballot = check_ballot(question, choices, text, voter.weight)
    # Without a change allowed, the participation's unique constraint alone refuses a second ballot.
    previous = (Participation.objects.filter(item=item, participant_id=participant.pk).first()
                if item.allow_change else None)
    if item.secret:
        key, ref = vote_key(item), vote_ref(item)
        old = secrecy.open_receipts(key, ref, previous.receipts_sealed) if previous is not None else None
        sealed = secrecy.seal_ballot(question, key, ref, ballot, receipts=old)
        tag = secrecy.voter_tag(key, str(participant.pk)) if item.allow_change else ""
        row = previous or Participation(item=item, participant=participant, user=actor, weight=voter.weight,
                                        cast_at=now)
        row.receipts_sealed = secrecy.seal_receipts(key, ref, sealed.receipts)
        if previous is not None:
            SealedBallot.objects.filter(item=item, tag=tag).delete()
            row.save(update_fields=["receipts_sealed"])
        else:
            _insert_participation(row)
        SealedBallot.objects.bulk_create([SealedBallot(id=r.id, item=item, box=r.box, tag=tag) for r in sealed.rows])
    else:
        row = previous or Participation(item=item, participant=participant, user=actor, weight=voter.weight)
        row.choices, row.text, row.cast_at = list(ballot.choices), ballot.text, now
        if previous is not None:
            row.save(update_fields=["choices", "text", "cast_at"])
        else:
            _insert_participation(row)
    events.audit(actor, "vote.change" if previous else "vote.cast", meeting, f"vote {item.pk}")
    transaction.on_commit(lambda: _tally_changed(meeting.pk, item.pk))
    transaction.on_commit(metrics.BALLOTS.inc)
    return {"item_id": item.pk, "secret": item.secret, "voted": True, "weight": voter.weight,
            "changed": previous is not None}


def _insert_participation(row: Participation) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: the unique constraint decides, in one statement, whether this is the
    voter's first ballot (the same voter at the same moment through another socket or process waits for the
    other transaction and then inserts nothing)."""
    fields = [f for f in Participation._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]
    table = Participation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "
                       f"ON CONFLICT (item_id, participant_id) DO NOTHING RETURNING id", values)
        inserted = cursor.fetchone()
    if inserted is None:
        raise Conflict(_("You have already voted on this question; a ballot cannot be changed."), "already_voted")
    row.pk = inserted[0]


def _tally_changed(meeting_id: int, item_id: int) -> None:
    from meetings.voting import tally

    tally.changed(meeting_id, item_id)


def reply_view(user: User, reply: dict[str, Any]) -> dict[str, Any]:
    """What the voter is sent for a stored ``vote.cast`` reply: their receipt codes while the vote is open."""
    if not reply.get("ok") or not reply.get("secret"):
        return reply
    item_id = reply["item_id"]
    sealed = Participation.objects.filter(item_id=item_id, user=user).values_list("receipts_sealed", flat=True).first()
    if not sealed:
        return {**reply, "receipts": [], "receipts_gone": True}
    return {**reply, "receipts": list(secrecy.open_receipts(vote_key(item_id), vote_ref(item_id), sealed))}


# Reading ---------------------------------------------------------------------------------------

def my_state(user: User, item: VotingItem) -> dict[str, Any]:
    """One person's own view of a vote: may they vote, with what weight, have they voted."""
    participant = Participant.objects.filter(meeting_id=item.meeting_id, user=user).first()
    voter = voter_entry(item, participant.pk if participant else None)
    row = Participation.objects.filter(item=item, user=user).first() if participant else None
    state: dict[str, Any] = {
        "item_id": item.pk, "status": item.status, "eligible": voter is not None and voter.weight >= 1,
        "weight": voter.weight if voter else 0, "voted": row is not None,
        "proxy_to": _holder_name(voter),
        "can_change": bool(row is not None and item.allow_change and item.status == V.OPEN),
    }
    if row is not None and not item.secret:
        state["choices"], state["text"] = row.choices, row.text
    if row is not None and item.secret and row.receipts_sealed:
        state["receipts"] = list(secrecy.open_receipts(vote_key(item), vote_ref(item), row.receipts_sealed))
    return state


def tally_data(item: VotingItem) -> dict[str, Any]:
    """The live count for the organisers. Secret votes: ballots cast only; named votes: per option, and who
    has not voted yet."""
    rows = Participation.objects.filter(item=item)
    agg = rows.aggregate(voters=Count("id"), weight=Sum("weight"))
    electorate = item.electorate or {}
    data: dict[str, Any] = {
        "item_id": item.pk, "status": item.status, "secret": item.secret,
        "voted": agg["voters"] or 0, "voters": electorate.get("voters", 0), "weight_cast": agg["weight"] or 0,
        "members": electorate.get("members", 0),
    }
    if not item.secret:
        counts = dict.fromkeys(question_of(item).by_key, 0)
        for choices, weight in rows.values_list("choices", "weight"):
            for key in choices or ():
                if key in counts:
                    counts[key] += weight
        data["counts"] = counts
        data["not_voted"] = list(_not_voted(item).values_list("participant_id", flat=True))
    return data


def _not_voted(item: VotingItem):
    done = Participation.objects.filter(item=item).values("participant_id")
    return Voter.objects.filter(item=item, weight__gte=1).exclude(participant_id__in=done).order_by("participant_id")


def named_ballots(item: VotingItem) -> list[dict[str, Any]]:
    """Who chose what, for a named vote's record (never for a secret one)."""
    if item.secret:
        return []
    question = question_of(item)
    names = dict(Voter.objects.filter(item=item).values_list("participant_id", "name"))
    rows = Participation.objects.filter(item=item).order_by("cast_at", "id")
    return [{"participant_id": r.participant_id, "name": names.get(r.participant_id, ""), "weight": r.weight,
             "choices": r.choices, "labels": [question.by_key[c].label for c in r.choices or () if c in question.by_key],
             "text": r.text, "cast_at": iso(r.cast_at)} for r in rows]


def published_receipts(item: VotingItem) -> list[dict[str, Any]]:
    """The published (receipt, choice) list of a secret vote, sorted by receipt."""
    ballots = [secrecy.AnonymousBallot(b.id, tuple(b.choices), b.text, b.receipt)
               for b in SecretBallot.objects.filter(item=item)]
    return secrecy.published_receipts(question_of(item), ballots)


def not_voted_names(item: VotingItem) -> list[str]:
    return list(_not_voted(item).values_list("name", flat=True))
