"""The one ASGI application: HTTP (Django + static files) and WebSocket routing."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from django.conf import settings  # noqa: E402

if settings.PHONGHOP_DAPHNE_TUNING:
    from realtime import daphne_tuning  # noqa: E402

    daphne_tuning.install(limit=settings.PHONGHOP_SOCKET_UNSENT_LIMIT)  # Daphne's WebSocket send path, measured in bench/fanout

from realtime import access_log  # noqa: E402

access_log.install()  # no query string (tokens, receipt codes) in Daphne's access log: docs/voting.md

from config import daphne_limits  # noqa: E402
from config.origin import SocketOriginValidator  # noqa: E402
from config.request_limits import BoundedRequests  # noqa: E402
from realtime.auth import TokenOrSessionAuthMiddleware  # noqa: E402
from realtime.consumers import MeetingConsumer  # noqa: E402
from realtime.routing import NoSuchSocket, websocket_urlpatterns  # noqa: E402

# Always, tuning or not: request bodies and socket messages bounded where Daphne reads them.
daphne_limits.install(socket_message_limit=MeetingConsumer.max_frame_bytes)

application = ProtocolTypeRouter(
    {
        "http": BoundedRequests(django_asgi_app),
        "websocket": SocketOriginValidator(TokenOrSessionAuthMiddleware(NoSuchSocket(URLRouter(websocket_urlpatterns)))),
    }
)
