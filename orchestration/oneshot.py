"""The one-shot run: every asset of the Dagster code location, once, in this process.

It executes the same job the UI shows (one definition of the pipeline, not two) and turns
the run's event log into a short summary.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg
from dagster import DagsterEventType

from orchestration.partitions import clamp_to_partitions, range_tags, received_day
from orchestration.pending import pending
from orchestration.run_lock import warehouse_run_lock
from spoor.progress import log as progress_log
from spoor.settings import Settings

DBT_OPS = ("spoor_dbt_staging", "spoor_dbt_models")
# Who runs a one-shot run: its process id and host, so a later one-shot can tell a run
# whose process died (SIGKILL, OOM, power cut) from one still running.
PID_TAG, HOST_TAG = "spoor/oneshot_pid", "spoor/oneshot_host"
UNFINISHED = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


@dataclass
class RunSummary:
    success: bool = False
    seconds: float = 0.0
    files: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    marts_built: list[str] = field(default_factory=list)
    checks_passed: list[str] = field(default_factory=list)
    checks_failed: list[str] = field(default_factory=list)
    blocking_failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    check_seconds: float = 0.0
    published: dict[str, str] = field(default_factory=dict)  # serving asset -> path
    log_file: str | None = None

    def render(self) -> str:
        lines = [
            f"spoor run {'succeeded' if self.ok else 'FAILED'} in {self.seconds:.1f} s",
            f"  files loaded   {self.files}",
            f"  rows loaded    {self.rows_loaded}",
            f"  rows rejected  {self.rows_rejected}"
            + (
                "  ("
                + ", ".join(f"{k} {v}" for k, v in sorted(self.rejected_by_reason.items()))
                + ")"
                if self.rejected_by_reason
                else ""
            ),
            f"  marts built    {len(self.marts_built)}: {', '.join(sorted(self.marts_built))}",
            f"  checks passed  {len(self.checks_passed)}",
            f"  checks failed  {len(self.checks_failed)} ({len(self.blocking_failures)} blocking)"
            + (": " + ", ".join(sorted(self.checks_failed)) if self.checks_failed else ""),
        ]
        if self.seconds:
            share = self.check_seconds / self.seconds
            lines.append(f"  checks took    {self.check_seconds:.1f} s ({share:.0%} of the run)")
        for name, path in sorted(self.published.items()):
            lines.append(f"  {name:<14} {path}")
        if self.log_file:
            lines.append(f"  dbt log        {self.log_file}")
        return "\n".join(lines)

    @property
    def ok(self) -> bool:
        return self.success and not self.blocking_failures and not self.errors


def _metadata_value(metadata: dict, key: str, default=0):
    value = metadata.get(key)
    return getattr(value, "value", value) if value is not None else default


def _step_seconds(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    """How long each step took, from the run's event log (its entries carry timestamps)."""
    started: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for entry in instance.all_logs(
        run_id,
        of_type={
            DagsterEventType.STEP_START,
            DagsterEventType.STEP_SUCCESS,
            DagsterEventType.STEP_FAILURE,
        },
    ):
        step = entry.dagster_event.step_key
        if entry.dagster_event.event_type == DagsterEventType.STEP_START:
            started[step] = entry.timestamp
        else:
            seconds[step] = entry.timestamp - started.get(step, entry.timestamp)
    return seconds


def summarize(
    result: dg.ExecuteInProcessResult, seconds: float, step_seconds: dict[str, float]
) -> RunSummary:
    summary = RunSummary(success=result.success, seconds=seconds)
    check_steps: set[str] = set()
    counted_loads: set[str] = set()
    for event in result.all_events:
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.step_materialization_data.materialization
            key = materialization.asset_key.path
            metadata = dict(materialization.metadata)
            # A run over a range materializes each partition with the same metadata.
            if key == ["raw", "file_manifest"] and event.step_key not in counted_loads:
                counted_loads.add(event.step_key)
                summary.files += int(_metadata_value(metadata, "files"))
                summary.rows_loaded += int(_metadata_value(metadata, "rows_valid"))
                summary.rows_rejected += int(_metadata_value(metadata, "rows_rejected"))
                for reason, n in (
                    _metadata_value(metadata, "rejected_by_reason", {}) or {}
                ).items():
                    summary.rejected_by_reason[reason] = (
                        summary.rejected_by_reason.get(reason, 0) + n
                    )
            if key[0] == "serving" and "path" in metadata:
                summary.published[key[1]] = str(_metadata_value(metadata, "path"))
            if key[0] == "marts" and ".".join(key) not in summary.marts_built:
                summary.marts_built.append(".".join(key))
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            # dbt tests run inside the dbt steps and report their own duration; every
            # other check is a step of its own.
            if event.step_key.startswith(DBT_OPS):
                duration = evaluation.metadata.get("Execution Duration")
                summary.check_seconds += float(getattr(duration, "value", duration) or 0.0)
            else:
                check_steps.add(event.step_key)
            name = f"{'.'.join(evaluation.asset_key.path)}:{evaluation.check_name}"
            if evaluation.passed:
                summary.checks_passed.append(name)
            else:
                summary.checks_failed.append(name)
                if evaluation.severity == dg.AssetCheckSeverity.ERROR:
                    summary.blocking_failures.append(name)
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            while error is not None and error.cause is not None:  # the root cause, not
                error = error.cause  # Dagster's "Error occurred while executing op" wrapper
            message = error.message.strip() if error else "unknown error"
            summary.errors.append(f"{event.step_key}: {message}")
    summary.check_seconds += sum(step_seconds.get(step, 0.0) for step in check_steps)
    return summary


def data_days() -> tuple[date, date]:
    """The received days the one-shot run covers, for the record: from the oldest day
    loaded or pending to the newest, within the partitions Dagster offers."""
    settings = Settings.from_env()
    found = pending(settings.events_url, settings.warehouse)
    days = found.days + found.loaded_days
    if not days:
        last = date.fromisoformat(received_day.get_last_partition_key())
        return last, last
    return clamp_to_partitions(min(days)), clamp_to_partitions(max(days))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reclaim_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Fail the one-shot runs of this host whose process is gone, and free their
    concurrency slots. A killed one-shot never releases its `warehouse` pool slot (no
    daemon runs beside it to notice), and the next run would wait for it forever."""
    host = socket.gethostname()
    reclaimed = []
    for run in instance.get_runs(dg.RunsFilter(statuses=UNFINISHED)):
        pid = run.tags.get(PID_TAG)
        if run.tags.get(HOST_TAG) != host or not pid or not pid.isdigit() or _alive(int(pid)):
            continue
        instance.report_run_failed(run, f"the one-shot process {pid} died during the run")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        reclaimed.append(run.run_id)
    return reclaimed


def run_once(
    *, full_refresh: bool = False, instance: dg.DagsterInstance | None = None
) -> RunSummary:
    """Materialize every asset and run every check once. Settings come from the environment."""
    from orchestration.definitions import defs  # imported late: settings must be exported first

    instance = instance or dg.DagsterInstance.get()
    job = defs.resolve_implicit_global_asset_job_def()
    # A run in progress (another `spoor run`, the schedule, the UI) finishes first: what is
    # pending is read after it. The run itself takes the lock again (WarehouseResource).
    with warehouse_run_lock(Settings.from_env().warehouse, progress_log):
        first, last = data_days()
    reclaim_dead_runs(instance)
    run_config = {
        "ops": {op: {"config": {"full_refresh": full_refresh}} for op in DBT_OPS},
        # The summary and the progress bars speak for the run; Dagster's own log lines
        # are kept in its event log (and the UI), and only warnings reach the terminal.
        "loggers": {"console": {"config": {"log_level": "WARNING"}}},
    }
    # dbt echoes its log to stdout; keep it in a file so the terminal shows the summary.
    log_file = Path(instance.root_directory) / "logs" / "last-run.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log_file.open("w") as sink, contextlib.redirect_stdout(sink):
        result = job.execute_in_process(
            instance=instance,
            run_config=run_config,
            tags={
                **range_tags(first, last, everything_new=True),
                PID_TAG: str(os.getpid()),
                HOST_TAG: socket.gethostname(),
            },
            raise_on_error=False,
        )
    summary = summarize(result, time.monotonic() - started, _step_seconds(instance, result.run_id))
    summary.log_file = str(log_file)
    return summary
