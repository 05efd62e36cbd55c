"""Strings the documents scripts show, translated on the server and handed to them as JSON."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

COMMON = {
    "app_name": _("Digital meeting room"),
    "action_failed": _("The action could not be done."),
    "network_error": _("The server cannot be reached. Check the connection and try again."),
    "page_n": _("Page %(page)s"),
    "pages_n": _("%(pages)s pages"),
    "version_n": _("Version %(number)s"),
    "edit": _("Edit"),
    "delete": _("Delete"),
}

VIEWER = {
    **COMMON,
    "page_alt": _("Page %(page)s of %(pages)s"),
    "page_failed": _("This page could not be loaded. Try again."),
    "go_to_page": _("Go to page %(page)s"),
    "searching": _("Searching…"),
    "no_hits": _("Not found in this document."),
    "hits_n": _("Found on %(count)s pages:"),
    "no_notes": _("No notes on this page."),
    "highlighted_area": _("Highlighted area"),
    "area_chosen": _("Area chosen: write the note and save it."),
    "drag_area": _("Drag over the page to highlight an area."),
    "note_empty": _("Write something, or highlight an area of the page."),
    "edit_note": _("Edit the note:"),
    "confirm_delete_note": _("Delete this note?"),
    "no_presentation": _("Nothing is being presented."),
    "presenting_other": _("Another document is being presented."),
    "you_present": _("You are presenting: page %(page)s of %(pages)s. Everyone following sees this page."),
    "following": _("Following the presenter: page %(page)s of %(pages)s."),
    "presenter_at": _("You are browsing freely; the presenter is on page %(page)s of %(pages)s."),
    "presented_not_allowed": _("The document being presented is not available to you."),
}

PANEL = {
    **COMMON,
    "no_documents": _("No documents yet."),
    "uploading": _("Uploading… %(percent)s%%"),
    "checking": _("Checking the file…"),
    "uploaded": _("The document has been added."),
    "version_uploaded": _("The new version has been uploaded."),
    "pending_n": _("%(count)s version(s) waiting for approval"),
    "approve": _("Approve"),
    "return": _("Return"),
    "return_reason": _("Why is it returned? The unit will see this reason."),
    "approved": _("Approved."),
    "returned": _("Returned to the unit."),
    "status_pending": _("Waiting for approval"),
    "status_approved": _("Approved"),
    "status_returned": _("Returned"),
    "open": _("Open"),
    "download": _("Download"),
    "new_version": _("New version"),
    "settings": _("Access"),
    "recall": _("Recall"),
    "restore": _("Restore"),
    "confirm_recall": _("Recall this document? Participants will no longer be able to open it."),
    "recalled": _("Recalled"),
    "requested_from": _("Requested from %(unit)s"),
    "not_uploaded": _("Not uploaded yet"),
    "returned_because": _("Returned: %(reason)s"),
    "read_pages": _("%(seen)s/%(pages)s pages"),
    "not_opened": _("not opened"),
    "read_report_empty": _("No documents to report on."),
    "saved": _("Saved."),
    "save": _("Save"),
    "named_people": _("Named participants"),
    "book_none": _("Your meeting book has not been built yet."),
    "book_queued": _("Waiting to be built…"),
    "book_building": _("Building your meeting book… %(progress)s%%"),
    "book_ready": _("Ready: %(pages)s pages."),
    "book_outdated": _("The documents have changed: the book will be built again."),
    "book_failed": _("The book could not be built: %(error)s"),
    "other_documents": _("Other documents"),
    "items_none": _("(no agenda item)"),
    "available": _("Available %(from)s – %(until)s"),
    "no_item": _("Documents without an agenda item"),
}

ROOM = {
    **COMMON,
    "no_documents": _("No documents yet"),
    "presenting": _("Being presented: %(title)s, page %(page)s"),
    "follow": _("Follow the presentation"),
    "open": _("Open"),
}


def _resolved(table: dict) -> dict[str, str]:
    return {key: str(value) for key, value in table.items()}


def viewer() -> dict[str, str]:
    return _resolved(VIEWER)


def panel() -> dict[str, str]:
    return _resolved(PANEL)


def room() -> dict[str, str]:
    return _resolved(ROOM)
