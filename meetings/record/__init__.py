"""The tamper-evident record: hash chains over each meeting's event log and over the audit trail, their
verification, and a meeting's whole record as one archive for the archive office (lưu trữ)."""
