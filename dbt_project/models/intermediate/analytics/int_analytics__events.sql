-- The events funnels, retention and activity read: non-bot (unless spoor__include_bots),
-- with each event's position in its person's history, since strict funnels need "the very
-- next event" and every tie is broken by (occurred_at, event_id).
-- Narrow on purpose (sorted per person); breakdowns on `context.*` paths read the
-- flattened columns of fct_events (int_analytics__funnel_step_matches).
-- Incremental per person (macros/analytics/incremental_persons.sql): the persons of the
-- events changed since the last build, old and new, get all their events rewritten.
-- depends_on: {{ ref('int_events_enriched') }}
-- depends_on: {{ ref('int_identity_versions') }}
select
    event_id,
    event_type,
    event_name,
    occurred_at,
    person_id,
    properties,
    row_number() over (partition by person_id order by occurred_at, event_id) as person_seq,
    {{ spoor_built_at() }} as _built_at
from {{ ref('fct_events') }}
where
    person_id is not null
    {%- if is_incremental() %}
    and {{ spoor_analytics_rebuild_filter('person_id') }}
    {%- endif %}
    and {{ spoor_not_bot('is_bot') }}
