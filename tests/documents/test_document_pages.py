"""The pages: the meeting page's documents section, the live room's list, the viewer; every string the
scripts show comes translated from the server."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def script_json(content: str, element_id: str) -> dict:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', content, re.S)
    assert found, element_id
    return json.loads(found.group(1))


def test_the_meeting_page_has_the_documents_section(docs, people, client, published):
    client.force_login(people["lan"])
    page = client.get(reverse("meeting-detail", args=[published.pk])).content.decode()
    assert 'data-testid="documents-panel"' in page and "documents/panel.js" in page
    config = script_json(page, "documents-config")
    assert config["can_manage"] and config["can_approve"] and len(config["participants"]) >= 2
    assert 'id="doc-upload-form"' in page and 'data-testid="meeting-book"' in page

    client.force_login(people["hoa"])
    page = client.get(reverse("meeting-detail", args=[published.pk])).content.decode()
    config = script_json(page, "documents-config")
    assert not config["can_manage"] and "participants" not in config and config["has_book"]
    assert 'id="doc-upload-form"' not in page
    strings = script_json(page, "documents-strings")
    assert strings["no_documents"] and all(isinstance(v, str) for v in strings.values())


def test_the_live_room_lists_documents(docs, people, client, published):
    client.force_login(people["hoa"])
    page = client.get(reverse("live-room", args=[published.pk])).content.decode()
    assert 'data-testid="room-documents"' in page and "documents/room.js" in page
    assert script_json(page, "documents-config") == {"meeting_id": published.pk}


def test_the_viewer(docs, people, client):
    client.force_login(people["hoa"])
    response = client.get(reverse("document-viewer", args=[docs["named"].pk]))
    assert response.status_code == 200
    config = script_json(response.content.decode(), "documents-config")
    assert config["document"]["id"] == docs["named"].pk and config["document"]["restricted"]
    assert len(config["document"]["current_version"]["page_sizes"]) == 2
    assert config["live"] and not config["can_present"]
    client.force_login(people["minh"])
    assert script_json(client.get(reverse("document-viewer", args=[docs["named"].pk])).content.decode(),
                       "documents-config")["can_present"]

    client.force_login(people["binh"])
    refused = client.get(reverse("document-viewer", args=[docs["named"].pk]))
    assert refused.status_code == 403 and "Phương án nhân sự" not in refused.content.decode()
    client.force_login(people["tuan"])
    assert client.get(reverse("document-viewer", args=[docs["named"].pk])).status_code == 404
