"""The SQL of the embedded store: its schema and the queries behind each ReadingStore method.

Constants only: `storage/embedded.py` runs them with parameters, never with values spliced in.
"""

from __future__ import annotations

from storage.store import Aggregate

SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
    id          INTEGER PRIMARY KEY,
    measurement TEXT NOT NULL,
    tagset      TEXT NOT NULL,  -- JSON [[key, value], ...] sorted by key
    UNIQUE (measurement, tagset)
);
CREATE TABLE IF NOT EXISTS series_tags (
    measurement TEXT NOT NULL,
    tag         TEXT NOT NULL,
    value       TEXT NOT NULL,
    series_id   INTEGER NOT NULL REFERENCES series (id),
    PRIMARY KEY (measurement, tag, value, series_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS field_types (
    measurement TEXT NOT NULL,
    field       TEXT NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('float', 'integer', 'boolean', 'string')),
    PRIMARY KEY (measurement, field)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS points (
    series_id INTEGER NOT NULL REFERENCES series (id),
    field     TEXT NOT NULL,
    ts_ns     INTEGER NOT NULL,
    value     NOT NULL,  -- no declared type, so no affinity: REAL stays REAL, TEXT stays TEXT
    PRIMARY KEY (series_id, field, ts_ns)
) WITHOUT ROWID;
"""

# Every query below starts from the asset's series, found by the id tag as InfluxDB's
# WHERE "meter_id" = '…' finds them; parameters: measurement, id tag, asset id, then field.
_FIELD_ROWS = """
    SELECT p.ts_ns, p.value FROM points p
    WHERE p.series_id IN (SELECT series_id FROM series_tags WHERE measurement = ? AND tag = ? AND value = ?)
      AND p.field = ?
"""
_RANGE_SQL = _FIELD_ROWS + " AND p.ts_ns >= ? AND p.ts_ns < ?"
HISTORY_SQL = _RANGE_SQL + " ORDER BY p.ts_ns"


def _edge_sql(condition: str, order: str) -> str:
    """The oldest (ASC) or newest (DESC) sample of a field meeting `condition` on q.ts_ns.

    A correlated subquery finds the edge of each of the asset's series with one index seek, so
    the cost does not grow with history; ORDER BY … LIMIT 1 over an IN list would sort it all.
    Parameters: measurement, id tag, asset id, field, field again, then those of `condition`.
    """
    return f"""
        SELECT p.ts_ns, p.value FROM series_tags st CROSS JOIN points p
        WHERE st.measurement = ? AND st.tag = ? AND st.value = ?
          AND p.series_id = st.series_id AND p.field = ?
          AND p.ts_ns = (SELECT q.ts_ns FROM points q WHERE q.series_id = st.series_id AND q.field = ? AND {condition}
                         ORDER BY q.ts_ns {order} LIMIT 1)
        ORDER BY p.ts_ns {order} LIMIT 1
    """  # noqa: S608 (constants only)


_IN_RANGE = "q.ts_ns >= ? AND q.ts_ns < ?"
FIRST_LAST_SQL = (
    f"SELECT * FROM ({_edge_sql(_IN_RANGE, 'ASC')}) UNION ALL SELECT * FROM ({_edge_sql(_IN_RANGE, 'DESC')})"  # noqa: S608
)
BEFORE_SQL = _edge_sql("q.ts_ns < ?", "DESC")
AT_OR_AFTER_SQL = _edge_sql("q.ts_ns >= ?", "ASC")

# Per aggregate, over the columns (ts_ns, value) of one bucket. FIRST and LAST use SQLite's
# documented bare-column rule: with a lone min()/max(), `value` comes from the row holding it.
_AGGREGATE_SQL: dict[Aggregate, str] = {
    Aggregate.MEAN: "avg(value)",
    Aggregate.MIN: "min(value)",
    Aggregate.MAX: "max(value)",
    Aggregate.SUM: "sum(value)",
    Aggregate.COUNT: "count(value)",
    Aggregate.FIRST: "value, min(ts_ns)",
    Aggregate.LAST: "value, max(ts_ns)",
}
# Floor to the bucket start (parameter: the bucket length in ns three times, then the range's);
# SQLite's % truncates toward zero, so times before the epoch step back one bucket.
BUCKETS_SQL: dict[Aggregate, str] = {
    aggregate: f"""
        SELECT bucket, {expression} FROM (
            SELECT ts_ns - ts_ns % ? - CASE WHEN ts_ns % ? < 0 THEN ? ELSE 0 END AS bucket, ts_ns, value
            FROM ({_RANGE_SQL})
        )
        GROUP BY bucket ORDER BY bucket
    """  # noqa: S608 (constants only)
    for aggregate, expression in _AGGREGATE_SQL.items()
}

# Each field's newest timestamp over the asset's series (one index seek per series and field), then that
# field's value at it. Parameters: measurement, id tag, asset id, measurement.
LATEST_SQL = """
    WITH s AS (SELECT series_id FROM series_tags WHERE measurement = ? AND tag = ? AND value = ?),
         f AS (SELECT field, type FROM field_types WHERE measurement = ?),
         newest AS (
             SELECT f.field, f.type,
                    max((SELECT ts_ns FROM points p WHERE p.series_id = s.series_id AND p.field = f.field
                         ORDER BY ts_ns DESC LIMIT 1)) AS ts_ns
             FROM f CROSS JOIN s
             GROUP BY f.field, f.type
         )
    SELECT p.ts_ns, n.field, p.value, n.type
    FROM newest n CROSS JOIN s CROSS JOIN points p  -- CROSS JOIN fixes this order: p by its key
    WHERE n.ts_ns IS NOT NULL AND p.series_id = s.series_id AND p.field = n.field AND p.ts_ns = n.ts_ns
    ORDER BY p.ts_ns
"""
