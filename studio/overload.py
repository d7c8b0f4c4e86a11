"""A busy database: the process's PostgreSQL pool (settings.DATABASES, psycopg-pool) had no
free connection for the pool's whole timeout. That is the server being busy, not a fault of
the request, so the client is told to come back shortly instead of being shown an error:
pages and the API by studio.middleware.PoolTimeoutMiddleware, sockets by
studio.middleware.PoolTimeoutSocketMiddleware and the consumers."""

from __future__ import annotations

from psycopg_pool import PoolTimeout

RETRY_AFTER_SECONDS = 5  # the Retry-After of a busy answer
TRY_AGAIN_LATER = 1013  # the WebSocket close code for "Try Again Later" (RFC 6455's registry)
BUSY = "The studio is busy right now. Try again in a few seconds."


def is_pool_timeout(exc: BaseException | None) -> bool:
    """Whether ``exc`` is the pool's timeout, as psycopg-pool raises it or as Django wraps it
    (an OperationalError raised from it)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, PoolTimeout):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False
