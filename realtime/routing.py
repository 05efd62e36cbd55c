from django.urls import path

websocket_urlpatterns: list = []

try:  # the meeting socket arrives with the live-room work
    from realtime.consumers import MeetingConsumer

    websocket_urlpatterns.append(path("ws/meetings/<int:meeting_id>/", MeetingConsumer.as_asgi()))
except ImportError:  # pragma: no cover
    pass
