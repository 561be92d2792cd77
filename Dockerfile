# One image for every app service of docker-compose.yml (web, worker, beat, migrate).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# WeasyPrint's libraries, fonts for PDFs (Latin and CJK), gettext for the catalogues.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
        fonts-dejavu-core fonts-liberation2 fonts-noto-cjk gettext \
    && rm -rf /var/lib/apt/lists/*

RUN pip install --no-cache-dir "uv>=0.5"

WORKDIR /app

# Dependencies first (cached layer), exactly as locked, without the dev group.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .
RUN uv sync --frozen --no-dev

# Static files and compiled catalogues are baked into the image. Settings only parse these
# build-time values; nothing connects to a database here.
RUN SECRET_KEY=build-only DATABASE_URL=postgres://build@localhost/build \
        python manage.py collectstatic --noinput \
    && if ls locale/*/LC_MESSAGES/*.po >/dev/null 2>&1; then \
        SECRET_KEY=build-only DATABASE_URL=postgres://build@localhost/build \
        python manage.py compilemessages --ignore '.venv'; fi

RUN useradd --system --uid 10001 --home-dir /app dms \
    && mkdir -p /app/var/celery \
    && chown -R dms /app/var
USER dms

EXPOSE 8000
# The web process; docker-compose.yml gives worker, beat and migrate their own commands.
CMD ["gunicorn", "dms.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
