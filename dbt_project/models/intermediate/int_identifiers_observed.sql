-- One row per identifier seen on an event, typed as an identity-graph node
-- (`anon:<id>` / `user:<id>`). Junk placeholders ('undefined', '0', ...) are dropped here,
-- so they never join two people.
-- Incremental (append, then the post-hook drops the rows it replaced): the events restaged
-- since the last build, and every alias (its previousId's type depends on all userIds).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    post_hook=[
        "{{ spoor_delete_replaced_sightings() }}",
        "{{ spoor_record_watermark() }}",
    ],
) }}
{#- A sent identifier that is not blank and not a junk placeholder (CTE `junk`). -#}
{%- set is_real_identifier =
    "trim({0}) <> '' and lower(trim({0})) not in (select identifier from junk)" %}
with

-- read by each sighting type: re-scanned (macro inline_cte), not stored whole
events as {{ inline_cte() }} (
    select * from {{ ref('stg_raw__events') }}
    {%- if is_incremental() %}
    where {{ spoor_sightings_to_rewrite() }}
    {%- endif %}
),

junk as (select lower(identifier) as identifier from {{ ref('junk_identifiers') }}),

sightings as (

    select
        event_id,
        occurred_at,
        'anonymous' as identifier_role,
        anonymous_id as identifier
    from events
    where anonymous_id is not null
    union all
    select
        event_id,
        occurred_at,
        'user' as identifier_role,
        user_id as identifier
    from events
    where user_id is not null
    union all
    select
        event_id,
        occurred_at,
        'previous' as identifier_role,
        previous_id as identifier
    from events
    where event_type = 'alias' and previous_id is not null

),

clean as (

    select * from sightings
    where {{ is_real_identifier.format('identifier') }}

),

-- An alias's previousId is an old userId when it was ever sent as one (on any event, not
-- only those rewritten), else an anonymousId.
user_ids as (
    select distinct user_id as identifier
    from {{ ref('stg_raw__events') }}
    where user_id is not null and {{ is_real_identifier.format('user_id') }}
),

typed as (

    select
        clean.*,
        case
            when clean.identifier_role = 'user' then 'user_id'
            when
                clean.identifier_role = 'previous'
                and clean.identifier in (select identifier from user_ids) then 'user_id'
            else 'anonymous_id'
        end as identifier_type
    from clean

)

select
    event_id,
    occurred_at,
    identifier_role,
    identifier_type,
    identifier,
    case when identifier_type = 'user_id' then 'user:' else 'anon:' end || identifier as node_id,
    {{ spoor_built_at() }} as _built_at
from typed
