"""Two requests through Django's real WSGI handler with an idle pause between them.

Run as `python -m proofsite.scenario PAUSE_SECONDS`; prints one JSON object. The handler sends
request_started / request_finished like any WSGI server, so close_old_connections() decides
whether the second request reuses the first one's connection, exactly as in production.
"""

import json
import sys
import time
from typing import Any
from wsgiref.util import setup_testing_defaults

from django.core.wsgi import get_wsgi_application


def request(app: Any) -> dict[str, Any]:
    environ: dict[str, Any] = {"PATH_INFO": "/session/", "HTTP_HOST": "testserver"}
    setup_testing_defaults(environ)
    status: list[str] = []
    try:
        response = app(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            body = b"".join(response)
        finally:
            response.close()  # what a WSGI server does: sends request_finished
    except Exception as error:
        cause = error.__cause__
        return {
            "error": f"{type(error).__module__}.{type(error).__qualname__}",
            "message": str(error),
            "cause": f"{type(cause).__module__}.{type(cause).__qualname__}" if cause else None,
        }
    return {"status": status[0], "session": body.decode()}


def main() -> None:
    pause = float(sys.argv[1])
    app = get_wsgi_application()
    started = time.monotonic()
    first = request(app)
    time.sleep(pause)
    age = time.monotonic() - started
    second = request(app)
    print(json.dumps({"first": first, "second": second, "age_at_second": age}))


if __name__ == "__main__":
    main()
