"""Plain helpers the tests import by name (``from personas import ...``).

They live outside conftest.py because pytest imports every conftest.py as the module ``conftest``:
with tests/realtime/conftest.py and tests/pdf/conftest.py beside this one, ``from personas import``
would find whichever was imported last.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

PASSWORD = "mat-khau-thu-nghiem-2026"


def make_user(username: str, unit, role: str, full_name: str | None = None, **extra):
    from accounts.models import User

    user = User(username=username, full_name=full_name or username.title(), unit=unit, role=role,
                email=f"{username}@example.vn", **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


def in_days(days: int, hour: int = 8) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


class Api:
    """A REST client speaking as one person through a bearer token."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, data=None):
        fn = getattr(self.client, method)
        kwargs = dict(self.headers)
        if data is not None:
            kwargs.update(data=data, content_type="application/json")
        return fn(f"/api/v1{path}", **kwargs)

    def get(self, path, **params):
        from urllib.parse import urlencode

        return self._call("get", path + ("?" + urlencode(params) if params else ""))

    def post(self, path, data=None):
        return self._call("post", path, data if data is not None else {})

    def patch(self, path, data):
        return self._call("patch", path, data)

    def put(self, path, data):
        return self._call("put", path, data)

    def delete(self, path):
        return self._call("delete", path)
