"""Secret ballots over plain data: what a reader of the whole database would see, during and after a vote.

``Tables`` stands in for the three tables the models will have (participation, sealed ballot,
ballot), written the way docs/voting.md prescribes. The model tests will repeat the dump on a real
database; these pin the design down first.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetings.voting import Ballot, approval, confidence, consultation, count, election
from meetings.voting.errors import TamperedBallot, VotingError
from meetings.voting.secrecy import (
    RECEIPT_ALPHABET,
    check_complete,
    mix,
    new_master_secret,
    new_receipt,
    normalize_receipt,
    open_receipts,
    published_receipts,
    seal_ballot,
    seal_receipts,
    sealed_size,
    unseal,
    vote_key,
    voter_tag,
)

MASTER = bytes(range(32))
VOTE = "vote-17"


@dataclass
class Tables:
    participation: list[dict] = field(default_factory=list)  # vote, participant, weight
    sealed: list[dict] = field(default_factory=list)  # id, vote, box
    ballots: list[dict] = field(default_factory=list)  # id, vote, choices, text, receipt

    def cast(self, question, key, participant, ballot):
        """One transaction: the participation row and the sealed unit ballots. Returns the receipts."""
        if any(p["participant"] == participant for p in self.participation):
            raise VotingError("Đã biểu quyết.", "Already voted.")  # the unique constraint
        sealed = seal_ballot(question, key, VOTE, ballot)
        self.participation.append({"vote": VOTE, "participant": participant, "weight": ballot.weight})
        self.sealed.extend({"id": row.id, "vote": VOTE, "box": row.box} for row in sealed.rows)
        return sealed.receipts

    def close(self, key):
        """One transaction: open, mix, write the plaintext ballots in id order, delete the sealed rows."""
        ballots = mix(key, VOTE, [row["box"] for row in self.sealed])
        check_complete([p["weight"] for p in self.participation], len(ballots))
        self.ballots.extend({"id": b.id, "vote": VOTE, "choices": b.choices, "text": b.text, "receipt": b.receipt}
                            for b in ballots)
        sealed_ids = {row["id"] for row in self.sealed}
        self.sealed.clear()
        return sealed_ids, ballots

    def dump(self) -> str:
        return json.dumps(
            {"participation": self.participation, "sealed": [{**r, "box": r["box"].hex()} for r in self.sealed],
             "ballots": [{**b, "id": str(b["id"])} for b in self.ballots]}, ensure_ascii=False, default=str)


def run_vote(question, choices_by_voter, weights=None):
    key = vote_key(MASTER, VOTE)
    tables = Tables()
    receipts = {}
    for voter, choice in choices_by_voter.items():
        weight = (weights or {}).get(voter, 1)
        receipts[voter] = tables.cast(question, key, voter, Ballot(choice, weight))
    return key, tables, receipts


def test_during_the_vote_the_database_shows_who_voted_but_not_what():
    q = approval("Nghị quyết")
    choices = {f"delegate-{i}": (("for",), ("against",), ("abstain",))[i % 3] for i in range(30)}
    key, tables, receipts = run_vote(q, choices)
    dump = tables.dump()
    assert {len(r["box"]) for r in tables.sealed} == {sealed_size(q)}  # one size whatever the choice
    for word in ("for", "against", "abstain", "Tán thành"):
        assert all(word.encode() not in r["box"] for r in tables.sealed)
    for codes in receipts.values():
        for code in codes:
            assert code not in dump and code.replace("-", "") not in dump
    assert set(tables.sealed[0]) == {"id", "vote", "box"}  # no voter, no time, no sequence


def test_after_close_no_column_or_order_links_a_voter_to_a_choice():
    q = approval("Nghị quyết")
    # Everyone in favour first, then everyone against: the stored order must not keep this pattern.
    choices = {f"delegate-{i:03}": ("for",) if i < 60 else ("against",) for i in range(120)}
    key, tables, receipts = run_vote(q, choices)
    sealed_ids, ballots = tables.close(key)
    assert tables.sealed == []
    assert set(tables.ballots[0]) == {"id", "vote", "choices", "text", "receipt"}
    assert not sealed_ids & {b["id"] for b in tables.ballots}  # fresh ids: nothing survives from the open phase
    assert [b["id"] for b in tables.ballots] == sorted((b["id"] for b in tables.ballots), key=lambda i: i.bytes)
    assert all(b["id"].version == 4 for b in tables.ballots)  # random, not time-based
    stored = [b["choices"][0] for b in tables.ballots]
    assert stored[:60] != ["for"] * 60  # 1 in C(120, 60) that a fair shuffle keeps it
    dump_of_ballots = json.dumps([{**b, "id": str(b["id"])} for b in tables.ballots])
    assert not any(voter in dump_of_ballots for voter in choices)
    assert Counter(stored) == Counter({"for": 60, "against": 60})
    assert count(q, [b.as_ballot() for b in ballots]).votes == {"for": 60, "against": 60, "abstain": 0}


def test_each_voter_finds_their_receipt_in_the_published_list():
    q = confidence("Lấy phiếu tín nhiệm")
    choices = {"an": ("high",), "binh": ("low",), "cuong": ("medium",), "dung": ("high",)}
    key, tables, receipts = run_vote(q, choices)
    _, ballots = tables.close(key)
    published = published_receipts(q, ballots)
    assert [r["receipt"] for r in published] == sorted(r["receipt"] for r in published)
    by_receipt = {r["receipt"]: r for r in published}
    for voter, (code,) in receipts.items():
        assert by_receipt[code]["choices"] == list(choices[voter])
    assert by_receipt[receipts["binh"][0]]["labels"] == ["Tín nhiệm thấp"]


def test_a_proxy_holders_ballot_becomes_unit_ballots_with_their_own_receipts():
    q = approval("Tờ trình")
    key, tables, receipts = run_vote(q, {"holder": ("for",), "other": ("against",)}, weights={"holder": 3})
    assert len(receipts["holder"]) == 3 and len(set(receipts["holder"])) == 3
    assert len(tables.sealed) == 4
    _, ballots = tables.close(key)
    assert {b.receipt for b in ballots} == {*receipts["holder"], *receipts["other"]}
    assert all(set(b) == {"id", "vote", "choices", "text", "receipt"} for b in tables.ballots)  # no weight column
    assert count(q, [b.as_ballot() for b in ballots]).votes["for"] == 3


def test_a_second_ballot_from_the_same_voter_is_refused():
    q = approval("Tờ trình")
    key, tables, _ = run_vote(q, {"an": ("for",)})
    with pytest.raises(VotingError):
        tables.cast(q, key, "an", Ballot(("against",)))
    assert len(tables.sealed) == 1


def test_a_sealed_ballot_opens_only_with_its_vote_and_key():
    q = consultation("Dự thảo")
    key = vote_key(MASTER, VOTE)
    sealed = seal_ballot(q, key, VOTE, Ballot(("other",), text="Đề nghị bổ sung Điều 5 về thời hạn"))
    box = sealed.rows[0].box
    assert unseal(key, VOTE, box).text == "Đề nghị bổ sung Điều 5 về thời hạn"
    assert unseal(key, VOTE, box).receipt == sealed.receipts[0]
    with pytest.raises(TamperedBallot):
        unseal(key, "vote-18", box)  # moved to another vote
    with pytest.raises(TamperedBallot):
        unseal(vote_key(MASTER, "vote-18"), VOTE, box)
    with pytest.raises(TamperedBallot):
        unseal(key, VOTE, box[:-1] + bytes([box[-1] ^ 1]))
    plain = seal_ballot(q, key, VOTE, Ballot(("agree",))).rows[0].box
    assert len(plain) == len(box) == sealed_size(q)  # a long opinion is not longer in the database


def test_a_voter_may_change_their_choice_before_close_keeping_their_receipts():
    q = approval("Tờ trình")
    key = vote_key(MASTER, VOTE)
    first = seal_ballot(q, key, VOTE, Ballot(("for",), 2))
    again = seal_ballot(q, key, VOTE, Ballot(("against",), 2), receipts=first.receipts)
    assert again.receipts == first.receipts
    assert {r.id for r in again.rows}.isdisjoint({r.id for r in first.rows})
    assert voter_tag(key, "an") == voter_tag(key, "an") != voter_tag(key, "binh")
    assert voter_tag(key, "an") != voter_tag(vote_key(MASTER, "vote-18"), "an")
    with pytest.raises(VotingError):
        seal_ballot(q, key, VOTE, Ballot(("for",), 3), receipts=first.receipts)


def test_the_count_at_close_must_match_the_voting_rights_used():
    check_complete([1, 3, 1], 5)
    with pytest.raises(VotingError):
        check_complete([1, 3, 1], 4)


def test_receipt_codes():
    code = new_receipt()
    assert len(code) == 19 and code.count("-") == 3
    assert all(ch in RECEIPT_ALPHABET for ch in code.replace("-", ""))
    assert normalize_receipt(code.lower().replace("-", " ")) == code
    assert normalize_receipt("7QK2-M9XD-4PTA-H3NO") == "7QK2-M9XD-4PTA-H3N0"
    assert normalize_receipt("ILO0-0000-0000-0000") == "1100-0000-0000-0000"
    assert normalize_receipt("7QK2-M9XD") is None and normalize_receipt("UUUU-UUUU-UUUU-UUUU") is None
    assert len({new_receipt() for _ in range(1000)}) == 1000
    assert len(new_master_secret()) == 32
    with pytest.raises(VotingError):
        vote_key(b"short", VOTE)


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_mixing_keeps_every_ballot_and_nothing_else(data):
    q = election("Bầu", ["An", "Bình", "Cường", "Dũng"], seats=2, max_choices=3)
    chosen = data.draw(st.lists(st.lists(st.sampled_from(["c1", "c2", "c3", "c4"]), max_size=3, unique=True),
                                max_size=25))
    key = vote_key(MASTER, VOTE)
    rows = [row for c in chosen for row in seal_ballot(q, key, VOTE, Ballot(tuple(c))).rows]
    ballots = mix(key, VOTE, [r.box for r in rows])
    assert Counter(b.choices for b in ballots) == Counter(q.check(c).choices for c in chosen)
    assert {b.id for b in ballots}.isdisjoint({r.id for r in rows})


def test_receipts_in_a_stored_reply_are_sealed():
    key = vote_key(MASTER, VOTE)
    codes = (new_receipt(), new_receipt())
    stored = json.dumps({"ok": True, "receipts_sealed": seal_receipts(key, VOTE, codes)})
    assert not any(code in stored for code in codes)
    assert open_receipts(key, VOTE, json.loads(stored)["receipts_sealed"]) == codes
    with pytest.raises(TamperedBallot):
        open_receipts(key, "vote-18", json.loads(stored)["receipts_sealed"])
    ballot_box = seal_ballot(approval("x"), key, VOTE, Ballot(("for",))).rows[0].box
    with pytest.raises(TamperedBallot):  # a ballot box is not a receipt box
        open_receipts(key, VOTE, base64.b64encode(ballot_box).decode())
    with pytest.raises(TamperedBallot):
        open_receipts(key, VOTE, "not base64!")
