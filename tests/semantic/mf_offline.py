"""The MetricFlow CLI (`mf`), exactly as `.venv/bin/mf` runs it, but never on the network.

`mf` (dbt-metricflow) asks PyPI for a newer dbt-metricflow at the start of every command
(the `update-checker` package: a 1-second GET to pypi.org, cached for an hour in
$TMPDIR/update_checker_cache.pkl). Neither package has a setting or environment variable
to turn it off. This launcher stubs that check and refuses every non-local connection and
DNS lookup (a Python audit hook), so a command that still tried the network fails loudly
instead of reaching out. MetricFlow's own telemetry only writes to the Python log, and dbt's
anonymous usage stats are off in dbt_project.yml (`send_anonymous_usage_stats: false`).

    python -m tests.semantic.mf_offline query --metrics sessions --group-by metric_time__day

Attempts are also appended to the file named by SPOOR_MF_NETWORK_LOG, when set.

`--batch FILE` runs several commands in one interpreter (importing MetricFlow takes most of
an `mf` command's time): FILE is a JSON list of {"args": [...], "stdout": PATH}; each
command's output goes to its PATH, and its exit status to PATH + ".status".
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "", None}


def _record(what: str) -> None:
    log = os.environ.get("SPOOR_MF_NETWORK_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(what + "\n")


def _refuse_network(event: str, args: tuple) -> None:
    if event == "socket.getaddrinfo":
        host = args[0].decode() if isinstance(args[0], bytes) else args[0]
        if host not in _LOCAL_HOSTS:
            _record(f"getaddrinfo {host}")
            raise OSError(f"spoor: network refused (DNS lookup of {host!r})")
    elif event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and address[0] not in _LOCAL_HOSTS:
            _record(f"connect {address[0]}")
            raise OSError(f"spoor: network refused (connect to {address[0]!r})")


def main(argv: list[str]) -> int:
    sys.addaudithook(_refuse_network)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

    import update_checker

    update_checker.UpdateChecker.check = lambda self, package_name, package_version: None

    from dbt_metricflow.cli.main import cli

    if argv[:1] != ["--batch"]:
        return cli.main(args=argv, prog_name="mf")

    import contextlib
    import json

    for command in json.loads(Path(argv[1]).read_text()):
        out = Path(command["stdout"])
        with out.open("w") as f, contextlib.redirect_stdout(f), contextlib.redirect_stderr(f):
            try:
                cli.main(args=command["args"], prog_name="mf", standalone_mode=False)
                status = 0
            except SystemExit as exit_:
                status = exit_.code if isinstance(exit_.code, int) else 1
            except Exception as error:  # a click usage error, say: record it, go on
                print(f"ERROR: {error!r}")
                status = 1
        out.with_name(out.name + ".status").write_text(str(status))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
