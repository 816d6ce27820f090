"""All suites by name. Importing this does not import Great Expectations."""

from __future__ import annotations

from expectations import (
    marts_funnel_steps,
    marts_identity_health,
    marts_retention,
    marts_sessions,
    raw_envelope_contract,
    raw_future_events,
    raw_rejected_rate,
    raw_volume_anomaly,
    staging_event_mix,
    staging_unique_message_ids,
)
from expectations.core import Suite

SUITES: dict[str, Suite] = {
    m.SUITE.name: m.SUITE
    for m in (
        raw_rejected_rate,
        raw_volume_anomaly,
        raw_future_events,
        raw_envelope_contract,
        staging_unique_message_ids,
        staging_event_mix,
        marts_funnel_steps,
        marts_retention,
        marts_identity_health,
        marts_sessions,
    )
}
