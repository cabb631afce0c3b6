# The app image for docker-compose.yml: web (granian), worker, beat, relay and consumers
# share it. Its steps are scripts/build-image, which tests/e2e/test_image_build.py runs too.

# Build stage: compilers and headers, to build mysqlclient and the other wheels.
FROM python:3.11-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config libmariadb-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
COPY scripts/build-image scripts/
RUN scripts/build-image install
COPY . .
RUN scripts/build-image static && scripts/build-image check

# Final stage: the virtualenv and the code, the MariaDB client library, no build tools.
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends libmariadb3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app app
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=app:app /app /app
WORKDIR /app
USER app
ENV PATH=/opt/venv/bin:$PATH DJANGO_SETTINGS_MODULE=config.settings.production \
    PYTHONUNBUFFERED=1 WEB_WORKERS=2 WEB_THREADS=2 PROMETHEUS_MULTIPROC_DIR=/tmp/metrics
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# Workers and threads from the environment; the metrics directory emptied at each start.
CMD ["sh", "-c", "rm -rf \"$PROMETHEUS_MULTIPROC_DIR\" && mkdir -p \"$PROMETHEUS_MULTIPROC_DIR\" && exec granian --interface wsgi --host 0.0.0.0 --port 8000 --workers \"$WEB_WORKERS\" --blocking-threads \"$WEB_THREADS\" --respawn-failed-workers --static-path-route /static --static-path-mount /app/.run/static config.wsgi:application"]
