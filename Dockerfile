# The app image for docker-compose.yml: web (granian), worker and beat share it.
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config default-libmysqlclient-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir .
COPY . .
ENV DJANGO_SETTINGS_MODULE=config.settings.production PYTHONUNBUFFERED=1
RUN SECRET_KEY=build-only-0123456789abcdefghijklmnopqrstuvwxyz0123456789 \
    python manage.py collectstatic --noinput -v 0
EXPOSE 8000
CMD ["granian", "--interface", "wsgi", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", \
     "--static-path-route", "/static", "--static-path-mount", "/app/.run/static", \
     "config.wsgi:application"]
