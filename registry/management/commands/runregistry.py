"""``python manage.py runregistry [--flag value ...]``: run the registry under gunicorn.

Flags follow the original's Go style (``--api_port 8080``, ``-api_port=8080``) and
override the ``A8_*`` variables, which override a ``.env`` file in the working
directory; see ``docs/configuration.md``. The command validates
the configuration, hands it to gunicorn as ``A8_*`` variables and replaces itself with
the gunicorn master (same pid, so SIGTERM stops the server gracefully).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand

import registry_project
from registry.config import (
    ConfigError,
    HelpRequested,
    VersionRequested,
    environ_with_env_file,
    parse_config,
    to_environ,
)

GUNICORN_CONF = Path(registry_project.__file__).resolve().parent / "gunicorn.conf.py"


class Command(BaseCommand):
    help = "Run the service registry (gunicorn with the right worker model)."

    def run_from_argv(self, argv: list[str]) -> NoReturn:
        # Django's argparse would reject Go-style flags; the registry parses its own.
        try:
            environ = environ_with_env_file(os.environ)
            config = parse_config(argv[2:], environ)
        except HelpRequested as request:
            sys.stdout.write(request.text)
            sys.exit(0)
        except VersionRequested as request:
            print(request.text)
            sys.exit(0)
        except ConfigError as err:
            print(f"a8registry: {err}", file=sys.stderr)
            sys.exit(2)
        # Every A8_* variable is set: gunicorn.conf.py finds nothing to add from .env.
        environ.update(to_environ(config))
        environ.setdefault("DJANGO_SETTINGS_MODULE", "registry_project.settings")
        args = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF)]
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, args, environ)

    def handle(self, *args: Any, **options: Any) -> None:  # pragma: no cover
        raise NotImplementedError("runregistry parses its own arguments")
