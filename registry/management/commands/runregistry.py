"""``python manage.py runregistry [--flag value ...]``: run the registry's HTTP server.

Flags follow the original's Go style (``--api_port 8080``, ``-api_port=8080``) and
override the ``A8_*`` variables, which override a ``.env`` file in the working
directory; see ``docs/configuration.md``. The command validates the configuration
and hands it to the worker processes as ``A8_*`` variables. Then, by ``server``:

- ``granian`` (the default): this process becomes granian's main process
  (``registry_project/granian_server.py``), which forks the workers;
- ``gunicorn``: this process replaces itself with the gunicorn master
  (``registry_project/gunicorn.conf.py``).

Either way the pid stays the one that was started, so SIGTERM stops the server
gracefully, with exit status 0.
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
    help = "Run the service registry (granian or gunicorn, right worker model)."

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
        # Every A8_* variable is set: the workers (and gunicorn.conf.py) build the
        # same configuration and find nothing to add from .env.
        environ.update(to_environ(config))
        environ.setdefault("DJANGO_SETTINGS_MODULE", "registry_project.settings")
        if config.server == "gunicorn":
            _exec_gunicorn(environ)
        os.environ.update(environ)  # the forked workers' runtime reads os.environ
        from registry_project.granian_server import serve

        try:
            serve(config)
        except ConfigError as err:  # found while preparing (metrics_dir)
            print(f"a8registry: {err}", file=sys.stderr)
            sys.exit(2)
        sys.exit(0)

    def handle(self, *args: Any, **options: Any) -> None:  # pragma: no cover
        raise NotImplementedError("runregistry parses its own arguments")


def _exec_gunicorn(environ: dict[str, str]) -> NoReturn:
    args = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF)]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, args, environ)
