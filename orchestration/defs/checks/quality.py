"""The Great Expectations suites of expectations/ as Dagster asset checks.

One check per suite, on the asset the suite guards, run on the days of the run's window
(the newest MAX_DAYS of them; the newest day in raw for a run of everything new). A suite
that can fail with ERROR is a blocking check: it stops the assets downstream of the one
it guards.
"""

import dagster as dg

from expectations import SUITES, run_suite
from expectations.core import SuiteOutcome
from orchestration.partitions import received_day, window_from_tags
from orchestration.warehouse import WarehouseResource

SEVERITY = {"ERROR": dg.AssetCheckSeverity.ERROR, "WARN": dg.AssetCheckSeverity.WARN}
# A long backfill is judged on its newest days: the check budget is a share of the run.
MAX_DAYS = 7


def _fold(outcomes: list[SuiteOutcome]) -> dg.AssetCheckResult:
    """One check result for the window: failed if any day failed, at the worst severity."""
    failed = [o for o in outcomes if not o.passed]
    worst = next((o for o in failed if o.severity == "ERROR"), failed[0] if failed else None)
    shown = worst or outcomes[-1]
    days = [str(o.day) if o.day else "all" for o in outcomes]
    return dg.AssetCheckResult(
        passed=not failed,
        severity=SEVERITY[shown.severity],
        description=shown.description,
        metadata={
            "days": ", ".join(days),
            "days_failed": ", ".join(str(o.day) for o in failed) or "none",
            "observed": dg.MetadataValue.json(shown.metadata.get("observed", {})),
            "details": dg.MetadataValue.json(shown.metadata),
        },
    )


def _build_check(name: str) -> dg.AssetChecksDefinition:
    suite = SUITES[name]

    @dg.asset_check(
        asset=dg.AssetKey(suite.asset.split(".")),
        name=f"gx_{name}",
        blocking=suite.blocking,
        description=suite.description,
        partitions_def=received_day,
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        window = window_from_tags(context.run.tags)
        days = window.days()[-MAX_DAYS:] or [None]
        with warehouse.connect(read_only=True) as con:
            return _fold([run_suite(name, con, day=day) for day in days])

    return _check


@dg.definitions
def gx_checks() -> dg.Definitions:
    return dg.Definitions(asset_checks=[_build_check(name) for name in SUITES])
