"""Secret ballots (bỏ phiếu kín) as functions over plain data. The design and its threat model are in
docs/voting.md; in short:

- *That* a member voted and *what* was chosen are separate records with nothing in common: the
  participation row (vote, participant, weight) enforces one ballot per voter; the ballot row has a
  random id, the choice and a receipt code, and no voter, no time, no sequence number.
- While the vote is open, ballots are **sealed**: encrypted (AES-GCM) with a per-vote key derived from
  a server secret kept outside the database, padded to one size per question. Someone who reads the
  database during the vote sees that a sealed row was written with each participation (same
  transaction), but not what it says.
- At close, in one transaction, the sealed rows are opened, written as plaintext ballots with **fresh
  random ids in the order of those ids** (so physical order, row ids and transaction ids say nothing),
  and deleted. Nothing then joins a plaintext ballot to a voter.
- Each voting right gets a **receipt code**, shown to the voter only and stored only inside their
  ballot. After publication, ``published_receipts`` lists (receipt, choice) sorted by receipt, so each
  voter can check their ballot was counted.
- A proxy holder's ballot is split into unit ballots, each with its own receipt, so a weight never
  singles out its holder.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import TamperedBallot, VotingError
from .options import MAX_TEXT, Ballot, Question

# Receipt codes: Crockford's base32 (no I, L, O, U), 16 characters = 80 random bits, shown in groups of 4.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_LENGTH = 16
BOX_VERSION = b"\x01"
NONCE = 12
TAG = 16
BLOCK = 256


def new_receipt() -> str:
    code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(code[i:i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def normalize_receipt(text: str) -> str | None:
    """A receipt as a person types it ("7qk2 m9xd-4pta h3nb", O for 0, I or L for 1), or None if it is not one."""
    raw = "".join(ch for ch in text.upper() if ch not in " -\t")
    raw = raw.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(raw) != RECEIPT_LENGTH or any(ch not in RECEIPT_ALPHABET for ch in raw):
        return None
    return "-".join(raw[i:i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def new_ballot_id() -> uuid.UUID:
    """Random (version 4), never time-based or sequential: an id must say nothing about when it was made."""
    return uuid.uuid4()


# Keys ---------------------------------------------------------------------------------------------


def new_master_secret() -> bytes:
    """For the deployment's ballot key file (kept outside the database, backed up apart from it)."""
    return os.urandom(32)


def vote_key(master: bytes, vote_ref: str) -> bytes:
    """The vote's own AES-256 key: HKDF-SHA256 of the server's ballot secret and the vote's id."""
    if len(master) < 32:
        raise VotingError("Khóa phiếu kín quá ngắn.", "The ballot secret must have at least 32 bytes.")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"phonghop ballot key v1:" + vote_ref.encode())
    return hkdf.derive(master)


def voter_tag(key: bytes, voter_ref: str) -> str:
    """Finds a voter's sealed rows when the item lets them change their choice before close.

    Only the key holder can compute it; the sealed rows, and with them the tags, are deleted at close.
    """
    return hmac.new(key, b"voter:" + voter_ref.encode(), hashlib.sha256).hexdigest()[:32]


# Sealing ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    """One unit ballot: what a sealed box holds, and what becomes a plaintext ballot at close."""

    choices: tuple[str, ...]
    text: str
    receipt: str


@dataclass(frozen=True)
class SealedRow:
    id: uuid.UUID
    box: bytes


@dataclass(frozen=True)
class Sealed:
    rows: tuple[SealedRow, ...]  # one per voting right cast, to insert with the participation
    receipts: tuple[str, ...]  # for the voter's screen only: never stored beside the voter


def sealed_size(question: Question) -> int:
    """One box size per question, so a box's length never tells which option (or how long a text) it holds."""
    longest_key = max(len(k) for k in question.by_key)
    plain = 64 + question.max_choices * (longest_key + 3) + RECEIPT_LENGTH + 8
    if question.needs_text:
        plain += 4 * MAX_TEXT  # UTF-8, no escapes: control characters are refused by Question.check
    padded = -(-plain // BLOCK) * BLOCK
    return len(BOX_VERSION) + NONCE + padded + TAG


def _aad(vote_ref: str, purpose: str = "ballot") -> bytes:
    return f"phonghop {purpose} v1:".encode() + vote_ref.encode()


def seal(key: bytes, vote_ref: str, content: Content, size: int) -> bytes:
    plain = json.dumps({"c": list(content.choices), "t": content.text, "r": content.receipt},
                       ensure_ascii=False, separators=(",", ":")).encode()
    room = size - len(BOX_VERSION) - NONCE - TAG
    if len(plain) > room:
        raise VotingError("Phiếu quá lớn.", "The ballot does not fit its box.")
    plain += b" " * (room - len(plain))  # JSON ignores trailing spaces
    nonce = os.urandom(NONCE)
    return BOX_VERSION + nonce + AESGCM(key).encrypt(nonce, plain, _aad(vote_ref))


def unseal(key: bytes, vote_ref: str, box: bytes) -> Content:
    if box[:1] != BOX_VERSION:
        raise TamperedBallot("Phiếu niêm phong không đọc được.", "Unknown sealed ballot format.")
    nonce, body = box[1:1 + NONCE], box[1 + NONCE:]
    try:
        data = json.loads(AESGCM(key).decrypt(nonce, body, _aad(vote_ref)))
    except (InvalidTag, ValueError) as exc:
        raise TamperedBallot("Phiếu niêm phong bị sửa đổi hoặc sai khóa.",
                             "A sealed ballot was altered, or the key is wrong.") from exc
    return Content(tuple(data["c"]), data["t"], data["r"])


def seal_ballot(question: Question, key: bytes, vote_ref: str, ballot: Ballot,
                receipts: Sequence[str] | None = None) -> Sealed:
    """Check the ballot, split it into ``weight`` unit ballots, and seal each with a fresh receipt.

    ``receipts`` keeps a voter's codes when the item lets them change their choice before close.
    """
    ballot = question.check(ballot.choices, ballot.text, ballot.weight)
    codes = tuple(receipts) if receipts is not None else tuple(new_receipt() for _ in range(ballot.weight))
    if len(codes) != ballot.weight:
        raise VotingError("Số mã phiếu không khớp trọng số.", "One receipt per voting right is needed.")
    size = sealed_size(question)
    rows = tuple(SealedRow(new_ballot_id(), seal(key, vote_ref, Content(ballot.choices, ballot.text, code), size))
                 for code in codes)
    return Sealed(rows, codes)


def seal_receipts(key: bytes, vote_ref: str, receipts: Sequence[str]) -> str:
    """The receipt codes for the stored reply of an idempotent cast command (a row keyed by the voter):
    sealed, as text for a JSON column, so a retry gets them back and a database reader does not."""
    nonce = os.urandom(NONCE)
    box = BOX_VERSION + nonce + AESGCM(key).encrypt(nonce, json.dumps(list(receipts)).encode(), _aad(vote_ref, "receipts"))
    return base64.b64encode(box).decode()


def open_receipts(key: bytes, vote_ref: str, sealed: str) -> tuple[str, ...]:
    try:
        box = base64.b64decode(sealed, validate=True)
        return tuple(json.loads(AESGCM(key).decrypt(box[1:1 + NONCE], box[1 + NONCE:], _aad(vote_ref, "receipts"))))
    except (InvalidTag, ValueError) as exc:
        raise TamperedBallot("Mã biên nhận niêm phong không đọc được.", "Sealed receipts cannot be opened.") from exc


# Closing ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnonymousBallot:
    id: uuid.UUID
    choices: tuple[str, ...]
    text: str
    receipt: str

    def as_ballot(self) -> Ballot:
        return Ballot(self.choices, 1, self.text)


def mix(key: bytes, vote_ref: str, boxes: Iterable[bytes]) -> list[AnonymousBallot]:
    """Open every sealed box; give each ballot a fresh random id; return them sorted by that id.

    Insert them in this order, in one transaction, then delete the sealed rows: the order and the ids
    are random, every row has the same transaction id, and no id of a sealed row survives.
    """
    ballots = [AnonymousBallot(new_ballot_id(), c.choices, c.text, c.receipt)
               for c in (unseal(key, vote_ref, box) for box in boxes)]
    if len({b.receipt for b in ballots}) != len(ballots):  # 80 random bits: only a forged box can collide
        raise TamperedBallot("Hai phiếu trùng mã biên nhận.", "Two ballots carry the same receipt.")
    return sorted(ballots, key=lambda b: b.id.bytes)


def published_receipts(question: Question, ballots: Iterable[AnonymousBallot]) -> list[dict[str, object]]:
    """What is published with the result: (receipt, choice) for each ballot, sorted by receipt."""
    rows = [{"receipt": b.receipt, "choices": list(b.choices),
             "labels": [question.by_key[c].label for c in b.choices], "text": b.text} for b in ballots]
    return sorted(rows, key=lambda r: str(r["receipt"]))


def check_complete(participation_weights: Iterable[int], ballots: int) -> None:
    """At close: one unit ballot per voting right recorded as cast, no more, no fewer."""
    expected = sum(participation_weights)
    if expected != ballots:
        raise VotingError(f"Số phiếu ({ballots}) không khớp số quyền biểu quyết đã sử dụng ({expected}).",
                          f"{ballots} ballots for {expected} voting rights used.")
