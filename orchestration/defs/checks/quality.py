"""The Great Expectations suites of expectations/ as Dagster asset checks.

One check per suite, on the asset the suite guards. A suite that can fail with ERROR is
a blocking check: it stops the assets downstream of the one it guards.
"""

import dagster as dg

from expectations import SUITES, run_suite
from orchestration.warehouse import WarehouseResource

SEVERITY = {"ERROR": dg.AssetCheckSeverity.ERROR, "WARN": dg.AssetCheckSeverity.WARN}


def _build_check(name: str) -> dg.AssetChecksDefinition:
    suite = SUITES[name]

    @dg.asset_check(
        asset=dg.AssetKey(suite.asset.split(".")),
        name=f"gx_{name}",
        blocking=suite.blocking,
        description=suite.description,
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            outcome = run_suite(name, con)
        return dg.AssetCheckResult(
            passed=outcome.passed,
            severity=SEVERITY[outcome.severity],
            description=outcome.description,
            metadata={
                "day": str(outcome.day) if outcome.day else "all",
                "details": dg.MetadataValue.json(outcome.metadata),
            },
        )

    return _check


@dg.definitions
def gx_checks() -> dg.Definitions:
    return dg.Definitions(asset_checks=[_build_check(name) for name in SUITES])
