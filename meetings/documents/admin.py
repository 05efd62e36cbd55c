"""Admin: meeting documents are changed only through the services, so they are read-only here."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin

from .models import Document, DocumentVersion, MeetingBook, PageText, Presentation, PrivateNote, ReadMark

for model, columns in (
    (Document, ("title", "meeting", "agenda_item", "access", "classification", "current_version", "revoked_at")),
    (DocumentVersion, ("document", "number", "pages", "status", "uploaded_by", "uploaded_at", "sha256")),
    (PageText, ("version", "page")),
    (PrivateNote, ("author", "document", "page", "updated_at")),
    (ReadMark, ("user", "document", "version", "first_opened_at", "last_opened_at")),
    (MeetingBook, ("meeting", "user", "status", "progress", "built_at")),
    (Presentation, ("meeting", "document_id", "version", "page", "presenter_participant_id")),
):
    # A personal note is its author's alone: the admin shows that it exists, not what it says.
    hidden = {"exclude": ("text", "x", "y", "w", "h")} if model is PrivateNote else {}
    admin.site.register(model, type(f"{model.__name__}Admin", (ReadOnlyAdmin,), {"list_display": columns, **hidden}))
