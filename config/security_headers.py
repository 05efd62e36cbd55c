"""The Content-Security-Policy and the other headers a browser enforces for us on every response.

No inline script anywhere: pages load ES modules from /static/, and the data a template hands to its
script is a ``json_script`` block (``type="application/json"``: data, never executed, so the policy allows
it). Styles come from /static/ too; scripts that position things set ``element.style`` (the CSSOM), which
the policy allows, never a ``style`` attribute. Sockets and the REST API are same-origin (``connect-src
'self'`` covers ``ws:``/``wss:`` to this host). Page images may be ``blob:`` URLs; the video briefing's
streams are MediaStreams (no URL). ``frame-ancestors 'none'`` says what X-Frame-Options DENY says.

HSTS, secure cookies and the TLS proxy's header are Django settings (config/settings.py).
"""

from __future__ import annotations

from django.utils.deprecation import MiddlewareMixin

POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "media-src 'self' blob:",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# The video briefing needs the camera and the microphone, from this site only; nothing needs the rest.
PERMISSIONS = "camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=(), usb=()"


class SecurityHeaders(MiddlewareMixin):
    """Middleware: the policy above on every response (a view may set a stricter one of its own)."""

    def process_response(self, request, response):
        response.headers.setdefault("Content-Security-Policy", POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS)
        return response
