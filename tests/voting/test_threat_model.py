"""The rows of docs/voting.md's table "What each can learn" that no other test covers: the data folder
without the ballot secret, and an operator holding the secret (the documented limit, and where it ends).

The other rows: a copy of the database (test_secret_dump.py; tests/integration/test_vote_privacy.py on
PostgreSQL with two processes and organiser work), the server logs (test_cast_privacy.py,
test_receipt_check.py, test_vote_privacy.py), Redis (test_vote_privacy.py).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

CHOICES = {"hoa": "against", "binh": "for", "tuan": "abstain", "minh": "for"}


def _open_vote_with_ballots(council, people):
    from meetings.services import live
    from meetings.voting import services

    item = services.prepare(people["lan"], council, {"question": "Miễn nhiệm (bỏ phiếu kín)", "secret": True})
    assert live.execute(people["minh"], council.pk, "open", "vote.open", {"item_id": item.pk})["ok"]
    codes = {}
    for name, choice in CHOICES.items():
        reply = live.execute(people[name], council.pk, f"cast-{name}", "vote.cast",
                             {"item_id": item.pk, "choices": [choice]})
        assert reply["ok"], reply
        codes[name] = reply["receipts"][0]
    return item, codes


def _data_files() -> list[Path]:
    """Every file of the data folder but the ballot secret (the SQLite database, its WAL, documents)."""
    from django.conf import settings

    root = Path(settings.DATA_DIR)
    return [p for p in root.rglob("*") if p.is_file() and p.name != "ballot_secret"]


def _raw(path: Path) -> bytes:
    """A file's bytes as a copy of the folder has them, read by another process: closing a descriptor of
    the live SQLite database (or its -shm) in this process would drop every POSIX lock this process's own
    connections hold on it, and a Daphne child of a later test would then take the WAL index for its own
    and leave this process's next connection failing with "disk I/O error" (sqlite.org/howtocorrupt.html,
    2.2)."""
    return subprocess.run(["cat", str(path)], capture_output=True, check=True).stdout


def test_the_data_folder_without_the_key_holds_no_receipt_and_no_readable_ballot(council, people):
    from django.db import connection

    from meetings.voting import secrecy, services
    from meetings.voting.errors import TamperedBallot
    from meetings.voting.models import SealedBallot

    if connection.vendor != "sqlite":
        pytest.skip("the embedded mode's data folder holds the database (SQLite)")
    item, codes = _open_vote_with_ballots(council, people)
    files = _data_files()
    assert any(p.name.startswith(Path(connection.settings_dict["NAME"]).name) for p in files)
    # The database is on disk (a voter's name is found in clear), the receipts are not.
    raw = {path: _raw(path) for path in files}
    assert any("Phạm Thị Hoa".encode() in data for data in raw.values())
    for path, data in raw.items():  # raw bytes, as a copy of the folder (or a stolen backup) has them
        for code in codes.values():
            assert code.encode() not in data and code.replace("-", "").encode() not in data, path
    # The boxes open only with the vote's key, derived from the secret that is not in the folder.
    boxes = [bytes(b) for b in SealedBallot.objects.filter(item=item).values_list("box", flat=True)]
    wrong = secrecy.vote_key(secrecy.new_master_secret(), services.vote_ref(item))
    for box in boxes:
        with pytest.raises(TamperedBallot):
            secrecy.unseal(wrong, services.vote_ref(item), box)


def test_an_operator_with_the_key_reads_a_copy_taken_during_the_vote_and_nothing_after_close(council, people):
    """The documented limit: the secret and a copy of the database taken while the vote is open open the
    sealed boxes (and the database's own order can then join them to voters). Once the vote is closed, the
    secret opens nothing more: no sealed ballot is left, every participation's sealed receipts are blank,
    and the secret ballots are what is published anyway."""
    from meetings.services import live
    from meetings.voting import secrecy, services
    from meetings.voting.models import Participation, SealedBallot, SecretBallot

    item, codes = _open_vote_with_ballots(council, people)
    key, ref = services.vote_key(item), services.vote_ref(item)
    during = [secrecy.unseal(key, ref, bytes(b)) for b in SealedBallot.objects.filter(item=item).values_list(
        "box", flat=True)]
    assert sorted(c.receipt for c in during) == sorted(codes.values())  # the limit, as documented
    opened = {p.user_id: secrecy.open_receipts(key, ref, p.receipts_sealed)
              for p in Participation.objects.filter(item=item)}
    assert {people[n].pk: (codes[n],) for n in codes} == opened  # while open, the voter's row says their codes

    assert live.execute(people["minh"], council.pk, "close", "vote.close", {"item_id": item.pk})["ok"]
    assert not SealedBallot.objects.filter(item=item).exists()
    assert set(Participation.objects.filter(item=item).values_list("receipts_sealed", flat=True)) == {""}
    assert sorted(SecretBallot.objects.filter(item=item).values_list("receipt", flat=True)) == sorted(codes.values())
    assert {f.name for f in SecretBallot._meta.concrete_fields} == {"id", "item", "choices", "text", "receipt"}
