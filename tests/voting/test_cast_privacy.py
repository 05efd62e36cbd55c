"""A secret ballot's arguments are written nowhere but the sealed box (issue 17).

The leak found: while a ``vote.cast`` ran, another event of the meeting committed (the secretary preparing
a vote, a check-in on another process); ``live.execute`` compared the meeting's seq before and after, took
the ballot for a command that had produced events, and wrote an audit entry with the voter as actor and
the choice in its arguments. Here the other commit happens *between the steps of the cast*: on SQLite it
is simulated by moving the meeting's seq inside the cast's transaction, exactly what the old comparison
saw under READ COMMITTED; tests/integration/test_vote_privacy.py does it with real concurrent processes.
"""

from __future__ import annotations

import json
import logging

import pytest

pytestmark = pytest.mark.django_db

CHOICE = "against"


def _open_secret(council, people):
    from meetings.services import live
    from meetings.voting import services

    item = services.prepare(people["lan"], council, {"question": "Miễn nhiệm (bỏ phiếu kín)", "secret": True})
    assert live.execute(people["minh"], council.pk, "open", "vote.open", {"item_id": item.pk})["ok"]
    return item


@pytest.fixture
def other_commit_during_cast(monkeypatch):
    """Between the vote's lock and the sealing of the ballot, the meeting's seq moves as if another
    transaction had committed an event of the same meeting."""
    from django.db.models import F

    from meetings.models import Meeting
    from meetings.voting import secrecy

    real = secrecy.seal_ballot

    def seal_then_other_commit(question, key, ref, ballot, receipts=None):
        sealed = real(question, key, ref, ballot, receipts=receipts)
        Meeting.objects.filter(voting_items__pk=int(ref.split(":")[1])).update(last_seq=F("last_seq") + 1)
        return sealed

    monkeypatch.setattr(secrecy, "seal_ballot", seal_then_other_commit)


def _everything() -> str:
    """Every row of every table the application has, as one text."""
    from django.apps import apps

    rows = []
    for model in apps.get_models():
        for row in model.objects.all().values():
            rows.append(json.dumps({"table": model._meta.db_table, **row}, default=str))
    return "\n".join(rows)


def test_a_ballot_during_another_commit_writes_no_choice_beside_the_voter(council, people, other_commit_during_cast,
                                                                          caplog):
    from meetings.models import AuditEntry, CommandReceipt
    from meetings.services import live

    item = _open_secret(council, people)
    caplog.set_level(logging.DEBUG)
    reply = live.execute(people["hoa"], council.pk, "ballot-1", "vote.cast",
                         {"item_id": item.pk, "choices": [CHOICE]})
    assert reply["ok"], reply
    assert reply["seq"] is None  # the ballot recorded no event, whatever else committed meanwhile

    entries = list(AuditEntry.objects.filter(actor=people["hoa"]).values("action", "data"))
    assert entries == [{"action": "vote.cast", "data": {}}]
    stored = CommandReceipt.objects.get(user=people["hoa"], command_id="ballot-1").reply
    assert stored["seq"] is None and "choices" not in json.dumps(stored)
    assert not any(code in _everything() for code in reply["receipts"])
    assert f'"{CHOICE}"' not in "\n".join(json.dumps(e) for e in entries)
    assert not any(CHOICE in r.getMessage() for r in caplog.records)


def test_the_reply_seq_comes_from_what_the_command_recorded(council, people):
    """An organiser's command still answers with the seq of its last event, and is audited."""
    from meetings.models import AuditEntry, Meeting
    from meetings.services import live

    reply = live.execute(people["minh"], council.pk, "floor-1", "floor.open", {})
    assert reply["ok"] and reply["seq"] == Meeting.objects.get(pk=council.pk).last_seq
    assert AuditEntry.objects.filter(actor=people["minh"], action="live.floor.open").exists()
    again = live.execute(people["minh"], council.pk, "floor-2", "floor.open", {})  # already open: no event
    assert again["ok"] and again["seq"] is None


def test_no_cast_is_ever_audited_with_its_arguments_even_when_it_records_an_event(council, people, monkeypatch):
    """Defence in depth: should a later change make vote.cast record an event, its arguments still stay out
    of the audit trail (``live.PRIVATE_ARGS``)."""
    from meetings.models import AuditEntry
    from meetings.services import events, live

    item = _open_secret(council, people)
    real = live.COMMANDS["vote.cast"]

    def cast_and_record(ctx, args):
        extra = real(ctx, args)
        events.record(ctx.meeting, "quorum.changed", {"quorum_rule": "majority"}, None)
        return extra

    monkeypatch.setitem(live.COMMANDS, "vote.cast", cast_and_record)
    assert "vote.cast" in live.PRIVATE_ARGS
    reply = live.execute(people["binh"], council.pk, "ballot-2", "vote.cast", {"item_id": item.pk, "choices": [CHOICE]})
    assert reply["ok"] and reply["seq"] is not None
    assert not AuditEntry.objects.filter(data__has_key="args", actor=people["binh"]).exists()
    assert CHOICE not in json.dumps(list(AuditEntry.objects.values_list("data", flat=True)))


@pytest.mark.django_db(transaction=True)
async def test_a_failed_cast_is_answered_and_reported_without_its_arguments(council, people, connect, monkeypatch,
                                                                           caplog):
    """An unexpected error inside a ballot (here a KeyError quoting the option, as a bug might raise) is
    logged with its type and where it happened, never its message; the voter is answered all the same,
    and the answer is not stored, so the same command id may be sent again once the fault is gone."""
    from rt_client import db

    from meetings.voting import secrecy

    item = await db(_open_secret)(council, people)
    hoa = await connect("hoa", council)
    real = secrecy.seal_ballot

    def broken(*args, **kwargs):
        raise KeyError(CHOICE)

    monkeypatch.setattr(secrecy, "seal_ballot", broken)
    caplog.set_level(logging.DEBUG)
    reply = await hoa.command("vote.cast", _id="ballot-3", item_id=item.pk, choices=[CHOICE])
    assert not reply["ok"] and reply["error"]["code"] == "internal"
    text = "\n".join(r.getMessage() + (logging.Formatter().formatException(r.exc_info) if r.exc_info else "")
                     for r in caplog.records)
    assert "KeyError" in text and "broken" in text
    assert CHOICE not in text

    monkeypatch.setattr(secrecy, "seal_ballot", real)
    again = await hoa.command("vote.cast", _id="ballot-3", item_id=item.pk, choices=[CHOICE])
    assert again["ok"] and len(again["receipts"]) == 1
