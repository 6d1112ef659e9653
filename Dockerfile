# One image for the hub (`facilities run`) and the simulators (`facilities simulate`).
# Build: docker-compose build hub   (or: docker build -t facilities:local .)

FROM python:3.11-slim AS build
WORKDIR /src
# .dockerignore keeps the virtualenv, tests, local data and .env out of the build context.
COPY . .
# A virtualenv of its own, copied whole into the runtime stage: no compiler or pip cache there.
RUN python -m venv /opt/facilities \
    && /opt/facilities/bin/pip install --no-cache-dir ".[postgres]"

FROM python:3.11-slim
ENV PATH=/opt/facilities/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FACILITIES_DATA_DIR=/var/lib/facilities
COPY --from=build /opt/facilities /opt/facilities
# A user of its own; the data folder (spool, embedded store) is the only place it writes.
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/facilities --create-home facilities
USER facilities
WORKDIR /var/lib/facilities
VOLUME ["/var/lib/facilities"]
# The Prometheus endpoint (FACILITIES_METRICS_PORT) that the compose health check reads.
EXPOSE 9108
CMD ["facilities", "run"]
