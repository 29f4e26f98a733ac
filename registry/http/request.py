"""The request class of :class:`~registry.http.handler.RegistryWSGIHandler`.

Django's ``WSGIRequest`` works out the script name and the path on every request:
a settings lookup, three environ values re-encoded to bytes and decoded again, and
a scan of the path for broken UTF-8; about a microsecond of a heartbeat's 26 in
process, and twice that served. Almost every request the registry serves has no
script name and an ASCII path, for which all of that gives back the environ's own
values: :class:`RegistryRequest` takes them as they are then, and leaves any other
request to Django. ``tests/http/test_request.py`` holds both paths to Django's.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream, WSGIRequest


class RegistryRequest(WSGIRequest):
    """``WSGIRequest``, with a short path for an ASCII path and no script name."""

    def __init__(self, environ: dict[str, Any]) -> None:
        path_info = environ.get("PATH_INFO", "")
        if (
            not path_info.startswith("/")
            or not path_info.isascii()
            or environ.get("SCRIPT_NAME")
            or environ.get("SCRIPT_URL")
            or environ.get("REDIRECT_URL")
            or settings.FORCE_SCRIPT_NAME is not None
        ):
            super().__init__(environ)
            return
        # WSGIRequest.__init__ with script_name "" and path_info as it is (an
        # ASCII string decodes to itself; "/" + path_info[1:] is path_info).
        self.environ = environ
        self.path_info = path_info
        self.path = path_info
        self.META = environ
        environ["SCRIPT_NAME"] = ""
        self.method = environ["REQUEST_METHOD"].upper()
        if "CONTENT_TYPE" in environ:
            self._set_content_type_params(environ)  # type: ignore[attr-defined]
        else:  # what parsing "" gives
            self.content_type, self.content_params = "", {}
        try:
            content_length = int(environ.get("CONTENT_LENGTH"))  # type: ignore[arg-type]
        except (ValueError, TypeError):
            content_length = 0
        self._stream = LimitedStream(  # type: ignore[assignment]  # Django's own
            environ["wsgi.input"], content_length
        )
        self._read_started = False
        self.resolver_match = None
