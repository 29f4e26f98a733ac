# The registry in a slim image, run as an unprivileged user.
#   docker build -t a8-registry .
#   docker run -p 8080:8080 -e A8_AUTH_MODE=trusted a8-registry
#   docker run -p 9000:9000 a8-registry --api_port 9000 --log_format json
# Dependencies are installed at the versions pinned in constraints.txt.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md constraints.txt manage.py ./
COPY registry ./registry
COPY registry_project ./registry_project
COPY eureka_compat ./eureka_compat
COPY catalogs ./catalogs
COPY metrics ./metrics
COPY dashboard ./dashboard
COPY registry_client ./registry_client
COPY replication ./replication
RUN pip install -c constraints.txt --upgrade pip \
    && pip install -c constraints.txt . \
    && useradd --system --uid 10001 --no-create-home registry

USER 10001
# 8080: the API; 6100: replication between the nodes of a cluster (A8_REPLICATION).
EXPOSE 8080 6100
# SIGTERM reaches the server's main process directly (runregistry is PID 1 and stays
# granian's main process, or execs gunicorn with --server gunicorn): clean stop.
STOPSIGNAL SIGTERM
# GET / on the port the registry listens on, however it was given (A8_API_PORT,
# flags after the image name, /app/.env or the default): registry/healthcheck.py
# reads the configuration of PID 1.
HEALTHCHECK --interval=30s --timeout=3s \
    CMD ["python", "-m", "registry.healthcheck"]
ENTRYPOINT ["python", "manage.py", "runregistry"]
