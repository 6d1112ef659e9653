"""Usage counted from the readings: elevator trips, door cycles, run hours of a machine's circuit.

Each usage task keeps a counter row: how much it counted and the time and value of the last reading it read.
A pass reads only the readings after that, so counting is incremental and survives a restart; a replayed
reading (same time stamp) is not counted twice.

- trips: the car's `state` changing to "moving" from anything else;
- door cycles: the car's `door` changing from "open" to "closed";
- run hours: the time between readings while the machine's circuit (`run_circuit`) reported `on` true, each gap
  capped at `MAX_GAP` so a circuit gone silent while on does not count the silence as running.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.registry import AssetRegistry
from maintenance.config import UsageMeasure, UsageTrigger
from maintenance.loading import PlannedTask
from maintenance.orders import session_of
from maintenance.orm import UsageCounterRow
from storage.store import ReadingStore, Sample
from workorders.unit_of_work import UnitOfWork, run_in_transaction

MAX_GAP = timedelta(minutes=30)
FIELD = {UsageMeasure.TRIPS: "state", UsageMeasure.DOOR_CYCLES: "door", UsageMeasure.RUN_HOURS: "on"}


def increments(measure: UsageMeasure, previous: Sample | None, samples: list[Sample]) -> float:
    """What `samples` (oldest first) add to the counter, `previous` being the last sample already counted."""
    total = 0.0
    for sample in samples:
        if previous is not None:
            before, now = previous.value, sample.value
            trip = measure is UsageMeasure.TRIPS and now == "moving" and before != "moving"
            if trip or (measure is UsageMeasure.DOOR_CYCLES and before == "open" and now == "closed"):
                total += 1
            elif measure is UsageMeasure.RUN_HOURS and _on(before):
                total += min(sample.ts - previous.ts, MAX_GAP).total_seconds() / 3600
        previous = sample
    return total


def _on(value: object) -> bool:
    return value is True or value in (1, 1.0, "on", "true", "1")


def _encode(sample: Sample | None) -> str:
    return "" if sample is None else repr(sample.value)[:32]


def _decode(text: str, ts: datetime) -> Sample | None:
    if not text:
        return None
    value: object = text.strip("'\"")
    if text in ("True", "False"):
        value = text == "True"
    return Sample(ts, value)  # type: ignore[arg-type]


def has_source(planned: PlannedTask, usage: UsageTrigger, registry: AssetRegistry) -> bool:
    """Whether the readings the task counts exist (a machine's run hours need its `run_circuit`)."""
    source_id = planned.asset.run_circuit if usage.measure is UsageMeasure.RUN_HOURS else planned.asset.id
    return source_id is not None and source_id in registry


def count_usage(
    uow_factory: Callable[[], UnitOfWork], store: ReadingStore, registry: AssetRegistry, planned: PlannedTask,
    usage: UsageTrigger, *, now: datetime,
) -> float:  # fmt: skip
    """Read the readings since the last pass, add them to the task's counter, return its total."""
    source_id = planned.asset.run_circuit if usage.measure is UsageMeasure.RUN_HOURS else planned.asset.id
    if source_id is None or source_id not in registry:
        raise ValueError(f"{planned.key}: {usage.measure.value} needs readings of an asset the registry knows "
                         f"(run_circuit for machines), got {source_id}")  # fmt: skip
    asset = registry.get(source_id)
    uow = uow_factory()

    def work() -> float:
        session = session_of(uow)
        row = _counter(session, planned.site_id, planned.key, now)
        since = row.counted_until
        samples = [s for s in store.history(asset, FIELD[usage.measure], since, now) if s.ts > since]
        previous = _decode(row.last_state, since)
        row.counted += increments(usage.measure, previous, samples)
        if samples:
            row.counted_until = samples[-1].ts
            row.last_state = _encode(samples[-1])
        return row.counted

    return run_in_transaction(uow, work)


def _counter(session: Session, site_id: str, key: str, now: datetime) -> UsageCounterRow:
    """The task's counter; a new one counts from now (the plan's start), not from readings of before."""
    row = session.scalar(
        select(UsageCounterRow).where(UsageCounterRow.site_id == site_id, UsageCounterRow.task_key == key)
    )
    if row is None:
        row = UsageCounterRow(site_id=site_id, task_key=key, counted=0.0, counted_until=now,
                              last_state="")  # fmt: skip
        session.add(row)
        session.flush()
    return row


def take_usage(session: Session, site_id: str, key: str, amount: float) -> None:
    """The task fell due: take `amount` off its counter (the rest counts towards the next time)."""
    row = session.scalar(
        select(UsageCounterRow).where(UsageCounterRow.site_id == site_id, UsageCounterRow.task_key == key)
    )
    if row is not None:
        row.counted = max(0.0, row.counted - amount)
