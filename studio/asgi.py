"""ASGI entry point: HTTP through Django, WebSockets through Channels (served by Daphne)."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from studio import bodylimit, heap  # noqa: E402
from studio.engines import engine_list, voice_list  # noqa: E402
from studio.middleware import PoolTimeoutSocketMiddleware  # noqa: E402
from studio.routing import websocket_urlpatterns  # noqa: E402

bodylimit.install()  # bodies over REQUEST_MAX_BYTES are refused before they are stored
# The engine registry and the voices import the model and speech libraries (seconds, under
# the import lock and the interpreter lock), so the first editor page would hold up every
# other request and WebSocket handshake meanwhile (bench/load.py saw 9 s): load them before
# the server listens.
engine_list()
voice_list()
heap.settle()  # last: what start-up made is never walked by a full collection again

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Outermost: a busy database pool during the user lookup closes with 1013 too.
        "websocket": PoolTimeoutSocketMiddleware(
            AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)
