"""The refresh job, its nightly schedule and the sensor that starts it when files land.

One job over every asset (the same graph the UI and `spoor run` materialize), partitioned
by received day. A run over a range of days is a single run (BackfillPolicy.single_run).
"""

import hashlib
from datetime import date, timedelta

import dagster as dg

from orchestration.partitions import clamp_to_partitions, range_tags, received_day
from orchestration.pending import WarehouseBusy, pending
from orchestration.run_lock import WarehouseInUse, warehouse_run_lock
from spoor.settings import Settings

refresh = dg.define_asset_job(
    name="spoor_refresh",
    selection=dg.AssetSelection.all(),
    description="Load the window's new files, rebuild its models, check, then publish.",
)

NIGHTLY_CRON = "30 2 * * *"  # 02:30 UTC, after the collector closes the previous day


@dg.schedule(
    job=refresh,
    cron_schedule=NIGHTLY_CRON,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night, refresh the previous received day.",
)
def nightly(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    day = (context.scheduled_execution_time.date() - timedelta(days=1)).isoformat()
    tags = {"spoor/trigger": "nightly"}
    return dg.RunRequest(run_key=f"nightly-{day}", partition_key=day, tags=tags)


@dg.sensor(
    job=refresh,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="When files land that the raw layer has not loaded, refresh their days.",
)
def new_files(context: dg.SensorEvaluationContext):
    settings = Settings.from_env()
    try:
        # Holding the run lock while reading: a run starting now waits the moment this
        # read-only look takes, instead of failing to open DuckDB for writing.
        with warehouse_run_lock(settings.warehouse, wait=False):
            found = pending(settings.events_url, settings.warehouse)
    except WarehouseInUse as exc:
        return dg.SkipReason(f"a run is in progress: {exc}")
    except WarehouseBusy as exc:
        return dg.SkipReason(f"the warehouse is busy (a run is writing): {exc}")
    if not found.files:
        return dg.SkipReason("no new files")
    days = found.days or [date.fromisoformat(received_day.get_last_partition_key())]
    first, last = clamp_to_partitions(min(days)), clamp_to_partitions(max(days))
    # The run key is the set of pending files: the same files never start two runs.
    digest = hashlib.sha256("\n".join(found.files).encode()).hexdigest()[:16]
    run_key = f"files-{len(found.files)}-{digest}"
    context.log.info(f"{len(found.files)} new file(s), received days {first} .. {last}")
    return dg.RunRequest(
        run_key=run_key, tags={**range_tags(first, last), "spoor/trigger": "new-files"}
    )
