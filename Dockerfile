# One image for the hub (`facilities run`) and the simulators (`facilities simulate`).
# Build: docker-compose build hub   (or: docker build -t facilities:local .)

FROM python:3.11-slim AS build
WORKDIR /src
# .dockerignore keeps the virtualenv, tests, local data and .env out of the build context.
COPY . .
# A virtualenv of its own, copied whole into the runtime stage: no compiler or pip cache there.
# postgres: the psycopg driver; s3: boto3, so FACILITIES_PHOTOS_STORE=s3://… works without another image.
RUN python -m venv /opt/facilities \
    && /opt/facilities/bin/pip install --no-cache-dir ".[postgres,s3]"

FROM python:3.11-slim AS runtime
ENV PATH=/opt/facilities/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FACILITIES_DATA_DIR=/var/lib/facilities
COPY --from=build /opt/facilities /opt/facilities
# WeasyPrint's pango and a Chinese font: the monthly report (月度小结) and the patrol labels as PDF.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
# A user of its own; the data folder (spool, embedded store) is the only place it writes.
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/facilities --create-home facilities
USER facilities
WORKDIR /var/lib/facilities
VOLUME ["/var/lib/facilities"]
# The Prometheus endpoint (FACILITIES_METRICS_PORT) that the compose health check reads.
EXPOSE 9108
CMD ["facilities", "run"]

# `facilities backup` (compose service `backup`): pg_dump of the server's major version and InfluxDB 2.x's CLI.
FROM runtime AS backup
USER root
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl gnupg \
    && curl -fsSL https://www.postgresql.org/media/keys/ACCC4CF8.asc | gpg --dearmor -o /usr/share/keyrings/pgdg.gpg \
    && echo "deb [signed-by=/usr/share/keyrings/pgdg.gpg] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" > /etc/apt/sources.list.d/pgdg.list \
    && curl -fsSL https://repos.influxdata.com/influxdata-archive.key | gpg --dearmor -o /usr/share/keyrings/influxdata.gpg \
    && echo "deb [signed-by=/usr/share/keyrings/influxdata.gpg] https://repos.influxdata.com/debian stable main" > /etc/apt/sources.list.d/influxdata.list \
    && apt-get update && apt-get install -y --no-install-recommends postgresql-client-16 influxdb2-cli \
    && apt-get purge -y curl gnupg && rm -rf /var/lib/apt/lists/*
USER facilities
CMD ["facilities", "backup", "--daily-at", "03:00"]
