# The registry in a slim image, run as an unprivileged user.
#   docker build -t a8-registry .
#   docker run -p 8080:8080 -e A8_AUTH_MODE=trusted a8-registry
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md manage.py ./
COPY registry ./registry
COPY registry_project ./registry_project
COPY eureka_compat ./eureka_compat
RUN pip install . \
    && useradd --system --uid 10001 --no-create-home registry

USER 10001
EXPOSE 8080
# SIGTERM reaches gunicorn's master directly (runregistry execs it): clean stop.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=3s \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/' % os.environ.get('A8_API_PORT', '8080'))"
ENTRYPOINT ["python", "manage.py", "runregistry"]
