"""The ballot secret: the key material of sealed secret ballots (docs/voting.md, "The key").

Read from ``PHONGHOP_BALLOT_SECRET`` (or the file ``PHONGHOP_BALLOT_SECRET_FILE`` names), else from
``ballot_secret`` in the data directory, created with mode 0600 on first use. Never stored in the
database. Every server process must read the same secret, and it must survive restarts: a secret vote
that is open when the secret is lost can no longer be counted.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from django.conf import settings

from config.env import env
from meetings.voting.secrecy import new_master_secret

FILE_NAME = "ballot_secret"
_lock = threading.Lock()
_cached: tuple[str, bytes] | None = None


class BallotSecretError(RuntimeError):
    pass


def _decode(text: str) -> bytes:
    text = text.strip()
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = text.encode()
    if len(raw) < 32:
        raise BallotSecretError("PHONGHOP_BALLOT_SECRET must hold at least 32 bytes (e.g. 64 hexadecimal digits)")
    return raw


def key_file() -> Path:
    return Path(settings.DATA_DIR) / FILE_NAME


def _from_file(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked into place: two processes starting at once agree on one secret.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".ballot_secret.")
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, new_master_secret().hex().encode() + b"\n")
            os.fsync(fd)
            os.close(fd)
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    return _decode(path.read_text(encoding="utf-8"))


def master_secret() -> bytes:
    """The deployment's ballot secret (at least 32 bytes)."""
    global _cached
    configured = env("PHONGHOP_BALLOT_SECRET")
    source = f"env:{configured}" if configured else f"file:{key_file()}"
    with _lock:
        if _cached is not None and _cached[0] == source:
            return _cached[1]
        secret = _decode(configured) if configured else _from_file(key_file())
        _cached = (source, secret)
        return secret
