"""A meeting's whole record as one ZIP for the archive office (hồ sơ lưu trữ): JSON for the facts, the
documents' PDFs as uploaded, and ``manifest.json`` with the SHA-256 of every other file in the archive.

What goes in: the meeting's details, agenda, participants with their answers and attendance, documents with
every version and its hash, votes with their results (named votes with who chose what; secret votes only the
published receipt list, which is public once announced), the event log with its hash chain, and the audit
entries about the meeting with theirs, so the archive can be checked on its own (``verify_archive``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from meetings import permissions
from meetings.models import AuditEntry, Meeting, MeetingEvent, Participant
from meetings.record import chain

MANIFEST = "manifest.json"


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, default=_iso, sort_keys=True).encode()


def _meeting(m: Meeting) -> dict[str, Any]:
    return {
        "id": m.pk, "title": m.title, "kind": m.kind.name if m.kind else None, "host_unit": m.host_unit.name,
        "chair": m.chair.full_name if m.chair else None, "secretary": m.secretary.full_name if m.secretary else None,
        "start": m.start, "end": m.end, "room": m.room.name if m.room else None, "location": m.location,
        "format": m.format, "classification": m.classification, "status": m.status, "urgent": m.urgent,
        "description": m.description, "last_seq": m.last_seq,
    }


def _participants(m: Meeting) -> list[dict[str, Any]]:
    rows = []
    for p in Participant.objects.filter(meeting=m).select_related("user", "user__unit", "site", "attendance"):
        attendance = getattr(p, "attendance", None)
        rows.append({
            "id": p.pk, "name": p.user.full_name, "unit": p.user.unit.name if p.user.unit else None,
            "role": p.role, "can_vote": p.can_vote, "site": p.site.name if p.site else None, "answer": p.rsvp,
            "answer_reason": p.rsvp_reason, "substitute_for": p.substitute_for_id, "proxy_to": p.proxy_to_id,
            "attendance": attendance.status if attendance else None,
            "attendance_site": attendance.site.name if attendance and attendance.site else None,
            "checked_in_at": attendance.checked_in_at if attendance else None,
            "absence_reason": attendance.reason if attendance else "",
        })
    return rows


def _documents(m: Meeting, files: dict[str, bytes]) -> list[dict[str, Any]]:
    from meetings.documents.models import Document
    from meetings.pdf import store

    rows = []
    for doc in Document.objects.filter(meeting=m).prefetch_related("versions").order_by("order", "pk"):
        versions = []
        for v in doc.versions.order_by("number"):
            name = f"documents/{doc.pk}-v{v.number}-{v.sha256[:12]}.pdf"
            path = store.path_for(v.sha256)
            if path.is_file():
                files[name] = path.read_bytes()
            versions.append({"number": v.number, "sha256": v.sha256, "pages": v.pages, "size": v.size,
                             "file": name if path.is_file() else None, "status": v.status,
                             "uploaded_at": v.uploaded_at, "original_name": v.original_name})
        rows.append({"id": doc.pk, "title": doc.title, "kind": doc.kind, "agenda_item": doc.agenda_item_id,
                     "access": doc.access, "revoked_at": doc.revoked_at, "versions": versions})
    return rows


def _votes(m: Meeting) -> list[dict[str, Any]]:
    from meetings.voting.models import Participation, SecretBallot, VotingItem

    rows = []
    for item in VotingItem.objects.filter(meeting=m).order_by("pk"):
        row = {"id": item.pk, "question": item.question, "secret": item.secret, "rule": item.rule,
               "status": item.status, "electorate": item.electorate, "opened_at": item.opened_at,
               "closed_at": item.closed_at, "published_at": item.published_at, "result": item.result,
               "sentence": item.sentence}
        if item.status == VotingItem.Status.PUBLISHED:
            if item.secret:
                row["ballots"] = [{"receipt": b.receipt, "choices": b.choices}
                                  for b in SecretBallot.objects.filter(item=item).order_by("receipt")]
            else:
                row["ballots"] = [{"voter": p.user.full_name, "choices": p.choices, "weight": p.weight}
                                  for p in Participation.objects.filter(item=item).select_related("user")
                                  .order_by("user__full_name")]
        rows.append(row)
    return rows


def _events(m: Meeting) -> list[dict[str, Any]]:
    return [{"seq": e.seq, "type": e.type, "data": e.data, "actor": e.actor_id, "at": e.at, "hash": e.hash}
            for e in MeetingEvent.objects.filter(meeting=m).order_by("seq")]


def _audit(m: Meeting) -> list[dict[str, Any]]:
    return [{"index": a.chain_index, "actor": a.actor_id, "action": a.action, "target": a.target, "data": a.data,
             "at": a.at, "hash": a.chain_hash}
            for a in AuditEntry.objects.filter(meeting=m).order_by("chain_index", "pk")]


def build(meeting: Meeting) -> bytes:
    """The archive's bytes. Read in one transaction, so its parts agree with each other."""
    files: dict[str, bytes] = {}
    with transaction.atomic():
        m = Meeting.objects.select_related("kind", "host_unit", "chair", "secretary", "room").get(pk=meeting.pk)
        files["meeting.json"] = _json(_meeting(m))
        files["agenda.json"] = _json([{"order": i.order, "title": i.title, "presenter": i.presenter_name or (
            i.presenter.full_name if i.presenter else None), "planned_minutes": i.planned_minutes}
            for i in m.agenda_items.select_related("presenter").order_by("order")])
        files["participants.json"] = _json(_participants(m))
        files["documents.json"] = _json(_documents(m, files))
        files["votes.json"] = _json(_votes(m))
        files["events.json"] = _json(_events(m))
        files["audit.json"] = _json(_audit(m))
    manifest = {"meeting": m.pk, "title": m.title, "made_at": timezone.now(), "hash": "sha256",
                "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in sorted(files.items()):
            z.writestr(name, data)
        z.writestr(MANIFEST, _json(manifest))
    return out.getvalue()


def export(actor: User, meeting: Meeting) -> bytes:
    """The archive for the meeting's organisers; the export itself goes into the audit trail."""
    from meetings.services import events

    permissions.require_edit(actor, meeting)
    data = build(meeting)
    with transaction.atomic():
        events.audit(actor, "meeting.archive_export", meeting, meeting.title, bytes=len(data))
    return data


def check(data: bytes) -> list[str]:
    """What is wrong with an archive: files whose hash differs from the manifest, files missing or extra, and
    a broken event chain. Empty when it is whole."""
    problems = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        manifest = json.loads(z.read(MANIFEST))
        names = set(z.namelist()) - {MANIFEST}
        for name in sorted(set(manifest["files"]) | names):
            if name not in names:
                problems.append(f"{name}: missing")
            elif name not in manifest["files"]:
                problems.append(f"{name}: not in the manifest")
            elif hashlib.sha256(z.read(name)).hexdigest() != manifest["files"][name]:
                problems.append(f"{name}: changed")
        previous = chain.GENESIS
        for e in json.loads(z.read("events.json")) if "events.json" in names else []:
            computed = chain.link(previous, chain.event_fields(manifest["meeting"], e["seq"], e["type"], e["data"],
                                                                e["actor"], dt.datetime.fromisoformat(e["at"])))
            if computed != e["hash"]:
                problems.append(f"events.json: event {e['seq']} does not match its hash")
                break
            previous = e["hash"]
    return problems
