"""Meeting documents: upload and approval, versions, access levels with watermarks, page images,
search, private notes, read tracking, the meeting book and the synchronized presentation.

The PDF engine underneath (safe intake, storage, rendering) is ``meetings.pdf``; see docs/architecture.md.
"""
