# costbot: `docker build -t costbot .` then see README ("Run it in a container").
# Two stages: wheels are built with the toolchain, the runtime image holds only what runs.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY handlers ./handlers
COPY scheduler ./scheduler
RUN python -m pip install --no-cache-dir --quiet --upgrade "pip>=25.1" \
 && python -m pip wheel --no-cache-dir --quiet --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    COSTBOT_DB=/data/costbot.db \
    COSTBOT_LOG_FORMAT=json \
    PORT=3000
RUN useradd --create-home --uid 10001 --user-group costbot \
 && mkdir /data && chown costbot:costbot /data
COPY --from=build /wheels /wheels
RUN python -m pip install --no-cache-dir --quiet --no-index --find-links=/wheels costbot \
 && rm -rf /wheels
USER costbot
WORKDIR /data
# The store (SQLite + WAL) lives on a volume: it survives upgrades and `docker rm`.
VOLUME ["/data"]
EXPOSE 3000
# /healthz answers 200 while the store answers (HTTP and Socket Mode alike), 503 otherwise.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["costbot"]
CMD ["serve"]
