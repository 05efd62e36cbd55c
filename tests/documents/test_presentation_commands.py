"""The presentation's socket commands, run as the socket runs them (live.execute): who may start, turn
pages, designate and stop; every change is one present.changed event with the whole section."""

from __future__ import annotations

import itertools

import pytest

pytestmark = pytest.mark.django_db
_ids = itertools.count(1)


def run(user, meeting, name, **args):
    from meetings.services import live

    return live.execute(user, meeting.pk, f"t-{next(_ids)}", name, args)


def refused(user, meeting, name, **args) -> str:
    reply = run(user, meeting, name, **args)
    assert not reply["ok"], reply
    return reply["error"]["code"]


def section(meeting):
    from realtime.snapshot import build

    return build(meeting.pk, "members")[1]["presentation"]


def test_present_designate_turn_stop(docs, people, published):
    from meetings.models import MeetingEvent

    report, named = docs["report"], docs["named"]
    lan, minh, hoa, binh = (people[n] for n in ("lan", "minh", "hoa", "binh"))
    hoa_pid = published.participants.get(user=hoa).pk
    assert section(published) == {"document_id": None, "version": None, "page": None, "presenter_participant_id": None}

    assert refused(hoa, published, "present.start", document_id=report.pk, page=1) == "forbidden"
    assert refused(lan, published, "present.start", document_id=report.pk, page=7) == "bad_args"
    assert refused(lan, published, "present.start", document_id=report.pk + 1000) == "not_found"
    assert refused(hoa, published, "present.page", page=2) == "forbidden"
    assert refused(lan, published, "present.page", page=2) == "not_presenting"

    assert run(lan, published, "present.start", document_id=report.pk, page=1)["ok"]
    assert run(minh, published, "present.page", page=5)["ok"]
    assert run(minh, published, "present.page", page=5)["seq"] is None  # no change, no event
    assert section(published) == {"document_id": report.pk, "version": 1, "page": 5, "presenter_participant_id": None}

    assert refused(hoa, published, "present.designate", participant_id=hoa_pid) == "forbidden"
    assert run(minh, published, "present.designate", participant_id=hoa_pid)["ok"]
    assert run(hoa, published, "present.page", page=6)["ok"]
    assert refused(binh, published, "present.page", page=2) == "forbidden"
    assert refused(hoa, published, "present.page", page=0) == "bad_args"
    assert run(hoa, published, "present.stop")["ok"]
    assert section(published) == {"document_id": None, "version": None, "page": None, "presenter_participant_id": hoa_pid}
    kinds = list(MeetingEvent.objects.filter(meeting=published, type__startswith="present").values_list("data", flat=True))
    assert [k["page"] for k in kinds] == [1, 5, 5, 6, None]

    # The restricted document can be presented: the event carries ids only.
    assert run(lan, published, "present.start", document_id=named.pk, page=2)["ok"]
    assert section(published)["document_id"] == named.pk


def test_recalling_the_presented_document_stops_the_presentation(docs, people, published):
    from meetings.documents import services

    assert run(people["lan"], published, "present.start", document_id=docs["report"].pk, page=3)["ok"]
    services.recall(people["lan"], docs["report"])
    assert section(published)["document_id"] is None
    assert refused(people["lan"], published, "present.start", document_id=docs["report"].pk) == "not_presentable"


def test_no_presentation_before_publishing(meeting, people, make_pdf):
    from meetings.documents import services

    doc = services.upload(people["lan"], meeting, make_pdf("a.pdf", "Dự thảo"), "a.pdf")
    assert refused(people["lan"], meeting, "present.start", document_id=doc.pk) == "bad_status"
