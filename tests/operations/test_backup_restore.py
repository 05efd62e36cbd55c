"""`phonghop backup` → `phonghop restore` into an empty deployment (a new data directory and a new database,
in a child process, as an operator would): the same meetings, document files (hashes) and votes; a secret
vote left open when the backup was taken can still be counted with the ballot secret kept apart."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from operations import backup

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(300)]
ROOT = Path(__file__).resolve().parents[2]
SECRET = "22" * 32


@pytest.fixture
def deployment(settings, tmp_path, monkeypatch, published, people, units):
    """A meeting in progress with two documents, a named vote announced and a secret vote still open."""
    from meetings.documents import samples, services
    from meetings.services import live, meetings

    monkeypatch.setenv("PHONGHOP_BALLOT_SECRET", SECRET)
    settings.MEDIA_ROOT = tmp_path / "files"
    settings.PHONGHOP_PDF_EAGER_PAGES = 0
    lan, minh = people["lan"], people["minh"]
    item = published.agenda_items.get()
    for name, title in (("bao-cao.pdf", "Báo cáo kinh tế - xã hội"), ("to-trinh.pdf", "Tờ trình ngân sách")):
        pdf = samples.document_pdf(tmp_path / name, title, samples.numbered_pages(2, title))
        services.upload(lan, published, pdf, name, agenda_item_id=item.pk)
    meeting = meetings.change_status(lan, published, "in_progress")
    for p in meeting.participants.all():
        assert live.execute(lan, meeting.pk, f"in-{p.pk}", "checkin", {"mode": "in_person", "participant_id": p.pk})["ok"]

    def run(person, cid, name, **args):
        reply = live.execute(person, meeting.pk, cid, name, args)
        assert reply["ok"], reply
        return reply

    from meetings.voting import services as votes

    named = votes.prepare(lan, meeting, {"question": "Thông qua chương trình họp"})
    run(minh, "o1", "vote.open", item_id=named.pk)
    run(people["hoa"], "c1", "vote.cast", item_id=named.pk, choices=["for"])
    run(people["binh"], "c2", "vote.cast", item_id=named.pk, choices=["against"])
    run(minh, "x1", "vote.close", item_id=named.pk)
    run(minh, "p1", "vote.publish", item_id=named.pk)
    secret = votes.prepare(lan, meeting, {"question": "Bỏ phiếu kín", "secret": True})
    run(minh, "o2", "vote.open", item_id=secret.pk)
    run(people["hoa"], "c3", "vote.cast", item_id=secret.pk, choices=["for"])
    run(people["binh"], "c4", "vote.cast", item_id=secret.pk, choices=["for"])
    return {"meeting": meeting, "secret": secret}


def child(target: Path, *args: str, code: str | None = None) -> str:
    """Run the phonghop command (or Python code) in a fresh deployment: its own data directory and database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHONGHOP_BALLOT_SECRET", "DJANGO_ALLOW"))}
    env.update(PHONGHOP_DATA_DIR=str(target), DATABASE_URL=f"sqlite:///{target / 'phonghop.sqlite3'}",
               DJANGO_SETTINGS_MODULE="config.settings")
    command = [sys.executable, "-m", "config.cli", *args] if code is None else [sys.executable, "-c", code]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


SUMMARY = "import django, json; django.setup(); from operations.backup import deployment_summary; " \
          "print(json.dumps(deployment_summary()))"
CLOSE_SECRET = ("import django, json; django.setup(); from accounts.models import User; "
                "from meetings.voting import services; from meetings.voting.models import VotingItem; "
                "item = VotingItem.objects.get(secret=True, status='open'); "
                "services.close(User.objects.get(username='minh'), item.meeting_id, item.pk); item.refresh_from_db(); "
                "print(json.dumps(item.result))")


def test_backup_then_restore_into_an_empty_deployment_gives_the_same_data(deployment, tmp_path):
    archive = tmp_path / "out" / "phonghop.tar.gz"
    archive.parent.mkdir()
    (tmp_path / "keys").mkdir()
    secret_file = tmp_path / "keys" / "ballot_secret"
    manifest = backup.create_backup(archive, ballot_secret_to=secret_file)
    before = backup.deployment_summary()
    assert manifest["summary"] == before
    assert len(before["documents"]) == 2 and all(d["file_sha256"] == d["sha256"] for d in before["documents"])
    assert [v["status"] for v in before["votes"]] == ["published", "open"]
    assert before["votes"][1]["sealed"] == 2

    # The secret is apart: not in any member of the archive, and in its own file, mode 0600.
    with tarfile.open(archive) as tar:
        everything = b"".join(tar.extractfile(m).read() for m in tar if m.isfile())
    assert SECRET.encode() not in everything and bytes.fromhex(SECRET) not in everything
    assert secret_file.read_text().strip() == SECRET and secret_file.stat().st_mode & 0o777 == 0o600

    target = tmp_path / "new-deployment"
    target.mkdir()
    said = child(target, "restore", str(archive), "--ballot-secret", str(secret_file))
    assert "matches the backup" in said
    after = json.loads(child(target, code=SUMMARY))
    assert after == before  # meetings, counts, document hashes (recorded and of the files), votes
    assert sorted((target / "files" / "pdf").rglob("*.pdf"))

    # The secret vote that was open can be counted there, and counts what was cast here.
    result = json.loads(child(target, code=CLOSE_SECRET))
    from meetings.voting import services

    item = deployment["secret"]
    services.close(_minh(), item.meeting_id, item.pk)
    item.refresh_from_db()
    assert result == json.loads(json.dumps(item.result))


def _minh():
    from accounts.models import User

    return User.objects.get(username="minh")


def test_a_damaged_archive_is_refused_before_anything_changes(deployment, tmp_path):
    archive = tmp_path / "phonghop.tar"
    backup.create_backup(archive)
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w") as out:
        for member in source:
            data = source.extractfile(member).read()
            if member.name.startswith("files/pdf/"):
                data = data[:-1] + bytes([data[-1] ^ 1])  # one bit flipped in a document
            out.addfile(member, io.BytesIO(data))
    with pytest.raises(backup.BackupError, match="Damaged member"):
        backup.verify(damaged)
    target = tmp_path / "new"
    target.mkdir()
    env_fail = subprocess.run(
        [sys.executable, "-m", "config.cli", "restore", str(damaged)], cwd=ROOT, capture_output=True, text=True,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_ALLOW")},
             "PHONGHOP_DATA_DIR": str(target), "DATABASE_URL": f"sqlite:///{target / 'db.sqlite3'}"}, timeout=240)
    assert env_fail.returncode != 0 and "Damaged member" in env_fail.stderr
    assert not (target / "db.sqlite3").exists() or not (target / "files").exists()


def test_restore_refuses_a_deployment_that_is_not_empty(deployment, tmp_path):
    archive = tmp_path / "phonghop.tar"
    backup.create_backup(archive)
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore(archive)


def test_the_ballot_secret_is_not_written_beside_the_backup(deployment, tmp_path):
    with pytest.raises(backup.BackupError, match="apart"):
        backup.create_backup(tmp_path / "b.tar", ballot_secret_to=tmp_path / "secret")
