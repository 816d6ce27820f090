"""Blocking check: every line of every loaded file is either valid or rejected, once."""

import dagster as dg

from ingestion.reconcile import reconcile
from orchestration.partitions import received_day
from orchestration.warehouse import WarehouseResource

MAX_EXAMPLES = 10


@dg.asset_check(
    asset=dg.AssetKey(["raw", "file_manifest"]),
    name="lines_reconcile",
    blocking=True,
    partitions_def=received_day,
    description="For every file: lines = valid + rejected, and raw.events / "
    "raw.rejected_events hold exactly those rows.",
)
def lines_reconcile(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect(read_only=True) as con:
        result = reconcile(con)
    failing = [
        {"file": m.file, "load_id": m.load_id, "problem": m.problem, "detail": m.detail}
        for m in result.failing[:MAX_EXAMPLES]
    ]
    return dg.AssetCheckResult(
        passed=result.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "files_checked": result.files_checked,
            "files_failing": len(result.failing),
            "failing_examples": dg.MetadataValue.json(failing),
        },
        description=None if result.passed else f"{len(result.failing)} file(s) do not reconcile",
    )
