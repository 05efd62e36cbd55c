"""{% official_document doc %}: a layout.Document shown in the page as it will print;
{% after_meeting_panel %}: the minutes, notice (due / overdue / issued) and tasks on the meeting page."""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from meetings.minutes import access, services
from meetings.minutes.layout import MOTTO, NATIONAL_TITLE, Block, Document
from meetings.minutes.models import ConclusionNotice
from meetings.models import Meeting

register = template.Library()


@register.filter
def block_html(block: Block) -> SafeString:
    parts = [f"{escape(block.bullet)} " if block.bullet else ""]
    for r in block.runs:
        text = str(escape(r.text))
        if r.underline:
            text = f"<u>{text}</u>"
        if r.italic:
            text = f"<em>{text}</em>"
        if r.bold:
            text = f"<strong>{text}</strong>"
        parts.append(text)
    return mark_safe("".join(parts))  # every piece of text above is escaped


@register.inclusion_tag("minutes/document.html")
def official_document(doc: Document) -> dict:
    return {"doc": doc, "national_title": NATIONAL_TITLE, "motto": MOTTO}


@register.inclusion_tag("minutes/meeting_panel.html", takes_context=True)
def after_meeting_panel(context) -> dict:
    meeting: Meeting = context["meeting"]
    user = context["request"].user
    shown = meeting.status in services.RECORD_STATUSES
    if not shown:
        return {"shown": False}
    version = services.current_for(user, meeting)
    notice = ConclusionNotice.objects.filter(meeting=meeting).first()
    drafts = access.may_see_drafts(user, meeting)
    visible_notice = notice if notice and (drafts or (notice.status == ConclusionNotice.Status.ISSUED
                                                      and access.may_read_record(user, meeting))) else None
    tasks = None
    try:
        from meetings.tasks.queries import meeting_task_counts
    except ImportError:  # tasks not installed
        pass
    else:
        tasks = meeting_task_counts(user, meeting)
    return {
        "shown": True, "meeting": meeting, "version": version, "writer": access.is_writer(user, meeting),
        "notice": visible_notice, "state": services.notice_state(meeting, notice) if drafts or visible_notice else None,
        "tasks": tasks,
    }


@register.simple_tag(takes_context=True)
def due_notices(context) -> list:
    """The held meetings whose notice this person (secretary or chair) has still to issue, for the calendar."""
    from meetings.minutes.views import after_meeting_rows

    user = context["request"].user
    if not user.is_authenticated:
        return []
    return [r for r in after_meeting_rows(user) if r["notice"] and r["notice"]["state"] != "issued"]
