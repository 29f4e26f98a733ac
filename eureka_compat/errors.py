"""The Eureka API's error format: the status alone, with an empty body.

Spring's strict reader parses any error body, and real Eureka sends none. This is
the Eureka views' exception handler (``EurekaView.get_exception_handler``) and,
through :data:`eureka_compat.urls.EUREKA_API`, the format of what no view handles
under the Eureka prefixes (unknown routes, uncaught exceptions, a 413). A
registration's 400 carries a short ``text/plain`` reason, as Eureka's does: the
view returns that response itself.
"""

from __future__ import annotations

from django.http import HttpResponse

from registry.http.errors import ErrorFormat, JsonResponse


class EurekaErrorFormat(ErrorFormat):
    """Empty bodies (the JSON content type is kept: it costs a client nothing)."""

    def response(self, status_code: int, text: str) -> HttpResponse:
        return JsonResponse(status=status_code)


EUREKA_ERRORS = EurekaErrorFormat()
