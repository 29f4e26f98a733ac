"""TLS verification for the catalogs' HTTPS clients (decisions.md Q25)."""

from __future__ import annotations

import ssl


def client_ssl_context(ca_file: str = "", insecure: bool = False) -> ssl.SSLContext:
    """Verify against ``ca_file`` (else the system's CAs), or not at all.

    ``insecure`` turns verification off, as the original did for Eureka; it is
    never the default. Raises ``OSError`` / ``ssl.SSLError`` for an unusable
    ``ca_file`` (the settings check it at start-up).
    """
    context = ssl.create_default_context(cafile=ca_file or None)
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
