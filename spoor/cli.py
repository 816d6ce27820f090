"""`spoor`: the command line. `spoor run` is the contract's one-shot command (§2)."""

from __future__ import annotations

import argparse
import logging
import multiprocessing.util
import os
import subprocess
import sys
from pathlib import Path

from spoor.settings import DEFAULTS, REPO_ROOT, Settings, default_serving

log = logging.getLogger("spoor")

SAMPLE_ROOT = REPO_ROOT / "data" / "sample"


def _run_parser(sub) -> None:
    run = sub.add_parser("run", help="load new files, build every model, run every check, once")
    for flag, env, meaning in [
        ("--events", "SPOOR_EVENTS_URL", "the events root (local folder or fsspec URL)"),
        ("--warehouse", "SPOOR_WAREHOUSE", "the DuckDB file"),
        ("--analytics", "SPOOR_ANALYTICS", "the funnel and retention definitions"),
        ("--tracking-plan", "SPOOR_TRACKING_PLAN", "the tracking plan folder"),
    ]:
        run.add_argument(
            flag,
            metavar=flag.strip("-").upper().replace("-", "_"),
            help=f"{meaning} [env {env}; default {DEFAULTS[env]}]",
        )
    run.add_argument(
        "--serving",
        metavar="SERVING",
        help="the folder BI tools read, published after the checks pass "
        "[env SPOOR_SERVING; default: `serving` beside the warehouse]",
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild incremental models from the whole raw layer",
    )


def _replay_parser(sub) -> None:
    replay = sub.add_parser(
        "replay",
        help="re-validate rejected messages against the current plan; load those that pass",
    )
    replay.add_argument(
        "--warehouse", metavar="WAREHOUSE", help="the DuckDB file [SPOOR_WAREHOUSE]"
    )
    replay.add_argument("--tracking-plan", metavar="TRACKING_PLAN", help="[SPOOR_TRACKING_PLAN]")
    replay.add_argument(
        "--accept-unknown-events",
        action="store_true",
        help="accept track events that have no file in the plan",
    )


def cmd_replay(args: argparse.Namespace) -> int:
    from ingestion.replay import run_replay

    env = Settings.from_env()
    result = run_replay(
        args.warehouse or env.warehouse,
        args.tracking_plan or env.tracking_plan,
        accept_unknown_events=True if args.accept_unknown_events else None,
    )
    print(
        f"replayed {result.replayed} of {result.candidates} rejected messages"
        + (f" (load {result.load_id})" if result.load_id else "")
    )
    print("run `spoor run` to rebuild the marts with them")
    return 0


def _settings(args: argparse.Namespace) -> Settings:
    env = Settings.from_env()
    return Settings(
        events_url=args.events or env.events_url,
        warehouse=args.warehouse or env.warehouse,
        analytics=args.analytics or env.analytics,
        tracking_plan=args.tracking_plan or env.tracking_plan,
        serving=args.serving
        or os.environ.get("SPOOR_SERVING")
        or default_serving(args.warehouse or env.warehouse),
        first_day=env.first_day,
    )


def ensure_sample(settings: Settings) -> None:
    """The bundled sample is generated, deterministically, the first time it is needed."""
    if (
        settings.events_url == DEFAULTS["SPOOR_EVENTS_URL"]
        and not Path(settings.events_url).exists()
    ):
        from simulator.cli import main as simulate

        log.info("generating the bundled sample into %s", SAMPLE_ROOT)
        simulate(["--preset", "sample", "--out", str(SAMPLE_ROOT)])


def cmd_run(args: argparse.Namespace) -> int:
    from ingestion.analytics_definitions import load_analytics
    from spoor.dagster_home import ensure_dagster_home

    settings = _settings(args)
    settings.export()
    ensure_sample(settings)
    try:
        load_analytics(settings.analytics)  # fail fast, naming the field, before any work
    except (OSError, ValueError) as exc:
        print(f"spoor: invalid analytics file {settings.analytics}: {exc}", file=sys.stderr)
        return 2
    ensure_dagster_home()

    from orchestration.dbt_project import prepare_dbt_manifest
    from orchestration.oneshot import run_once

    prepare_dbt_manifest()
    summary = run_once(full_refresh=args.full_refresh)
    print(summary.render())
    if not summary.ok:
        for failure in summary.blocking_failures:
            print(f"spoor: blocking check failed: {failure}", file=sys.stderr)
        for error in summary.errors:
            print(f"spoor: step failed: {error}", file=sys.stderr)
        return 1
    return 0


def cmd_ui(dagster_args: list[str]) -> int:
    from spoor.dagster_home import ensure_dagster_home

    Settings.from_env().export()
    ensure_dagster_home()
    # `dagster dev` in the repository root reads [tool.dagster] of pyproject.toml: the
    # `spoor` code location from orchestration.definitions.
    # The dagster installed beside this Python, also when the venv is not activated.
    dagster = str(Path(sys.executable).parent / "dagster")
    return subprocess.call([dagster, "dev", *dagster_args], cwd=REPO_ROOT)


def _configure_logging() -> None:
    """spoor's own progress lines at INFO; everything else (Dagster, GX, dbt) only warns."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S"
    )
    logging.getLogger("spoor").setLevel(os.environ.get("SPOOR_LOG_LEVEL", "INFO"))
    # Dagster and GX set INFO on their own (child) loggers, so filter at the handler.
    for handler in logging.getLogger().handlers:
        handler.addFilter(lambda r: r.levelno >= logging.WARNING or r.name.split(".")[0] == "spoor")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["simulate"]:
        from simulator.cli import main as simulate

        return simulate(argv[1:]) or 0
    if argv[:1] == ["ui"] and not {"-h", "--help"} & set(argv[1:]):
        return cmd_ui(argv[1:])
    parser = argparse.ArgumentParser(prog="spoor", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _run_parser(sub)
    _replay_parser(sub)
    sub.add_parser("simulate", help="write simulated collector files and their ground truth")
    ui = sub.add_parser("ui", help="open the Dagster UI (dagster dev) on this code location")
    ui.add_argument(
        "dagster_args", nargs=argparse.REMAINDER, help="passed to `dagster dev` (e.g. -p 3001)"
    )
    args = parser.parse_args(argv)
    _configure_logging()
    return {"run": cmd_run, "replay": cmd_replay}[args.command](args)


def entrypoint() -> None:
    """The console script. DuckDB 2.0's bindings report "leaked" objects at interpreter
    shutdown (harmless noise after a finished run), so exit without that teardown once all
    output is flushed."""
    code = main()
    # os._exit skips multiprocessing's exit hook, whose finalizers release the semaphores
    # dlt and tqdm created (else the resource tracker warns of "leaked" ones): run it first.
    multiprocessing.util._exit_function()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entrypoint()
