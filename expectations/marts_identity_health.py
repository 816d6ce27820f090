"""marts_identity_health: enough persons are identified, and no person is over-merged.

- Identified share: non-bot persons with at least one userId / all non-bot persons; for a
  day, among the persons with a session that started that day. A drop means identify
  calls stopped arriving (or lost their userId): WARN.
- Largest person: identifiers (anonymousIds + userIds) of the biggest person. The guard
  keeps userIds per person at ``spoor__max_user_ids_per_person``, so a big person is many
  anonymousIds behind one user: a heavy multi-device user (WARN over
  ``max_identifiers_per_person``) or, far beyond that, a junk identifier missing from the
  ``junk_identifiers`` seed gluing strangers together. The latter corrupts every
  person-level number (funnels, retention, dim_persons), so over
  ``max_identifiers_per_person_error`` the outcome escalates to ERROR (blocking).
"""

from __future__ import annotations

import datetime as dt

import duckdb

from expectations.core import Batch, Prepared, Suite, fetch_df, fetch_row, gxe, one_row, pct
from expectations.thresholds import MartsIdentityHealth

SHARE = """
with persons as (
    select coalesce(len(user_ids), 0) > 0 as identified
    from marts.dim_persons
    where not coalesce(is_bot, false)
      and ($all_days or person_id in (
          select person_id from marts.fct_sessions where cast(started_at as date) = $day
      ))
)
select
    count(*) as persons,
    count(*) filter (where identified) as identified_persons,
    count(*) filter (where identified) / nullif(count(*), 0) as identified_share
from persons
"""

LARGEST = """
select
    person_id,
    count(*) as identifiers,
    count(*) filter (where identifier_type = 'user_id') as user_ids,
    count(*) filter (where identifier_type = 'anonymous_id') as anonymous_ids
from marts.person_identities
group by person_id
order by identifiers desc, person_id
limit $n
"""


def prepare(
    con: duckdb.DuckDBPyConnection, day: dt.date | None, p: MartsIdentityHealth
) -> Prepared:
    share = fetch_row(con, SHARE, {"all_days": day is None, "day": day})
    largest = fetch_df(con, LARGEST, {"n": p.top_n})
    e = gxe()
    share_expectations = [
        e.ExpectColumnValuesToBeBetween(
            column="identified_share",
            min_value=p.min_identified_share,
            max_value=1,
            meta={
                "what": f"identified share under {pct(p.min_identified_share)}",
                "severity": "WARN",
            },
        )
    ]
    largest_expectations = [
        e.ExpectColumnValuesToBeBetween(
            column="identifiers",
            max_value=p.max_identifiers_per_person,
            meta={
                "what": f"a person with over {p.max_identifiers_per_person} identifiers",
                "severity": "WARN",
            },
        ),
        e.ExpectColumnValuesToBeBetween(
            column="identifiers",
            max_value=p.max_identifiers_per_person_error,
            meta={
                "what": (
                    f"a person with over {p.max_identifiers_per_person_error} identifiers "
                    "(over-merged identity graph)"
                ),
                "severity": "ERROR",
            },
        ),
    ]
    max_ids = int(largest["identifiers"].max()) if len(largest) else 0
    observed = {
        **share,
        "scope": "all persons" if day is None else "persons with a session that day",
        "max_identifiers_per_person": max_ids,
        "persons_over_bound": int((largest["identifiers"] > p.max_identifiers_per_person).sum()),
    }
    batches = [Batch("largest_persons", largest, largest_expectations)]
    if share["persons"]:
        batches.insert(
            0,
            Batch("identified_share", one_row(**share), share_expectations),
        )
    return Prepared(
        batches=batches,
        observed=observed,
        summary=(
            f"{share['identified_persons']} of {share['persons']} persons identified "
            f"({pct(share['identified_share'])}), largest person has {max_ids} identifiers"
        ),
        skipped=None if len(largest) else "person_identities is empty",
        extra={"day": day},
    )


SUITE = Suite(
    name="marts_identity_health",
    severity="WARN",
    can_escalate=True,
    asset="marts.person_identities",
    reads={
        "marts.dim_persons": ("person_id", "user_ids", "is_bot"),
        "marts.person_identities": ("person_id", "identifier_type"),
        "marts.fct_sessions": ("person_id", "started_at"),
    },
    description=(
        "identified share of persons above a floor (WARN); largest person's identifier "
        "count under 50 (WARN) and under 1000 (ERROR: over-merged graph)"
    ),
    params=MartsIdentityHealth,
    prepare=prepare,
)
