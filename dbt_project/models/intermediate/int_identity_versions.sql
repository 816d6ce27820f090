-- Each identity node's person, stamped with the run that last changed it: how a late
-- identify or alias reaches events older than any lookback. An incremental run compares
-- the new graph with the stored mapping and rewrites the nodes whose person changed (a
-- node that left the graph keeps a row with a null person).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='node_id',
    on_schema_change='sync_all_columns',
    post_hook=["{{ spoor_record_watermark() }}"],
) }}
with

resolved as (
    select
        node_id,
        person_id
    from {{ ref('int_identities_resolved') }}
),

stored as (
    {%- if is_incremental() %}
        select
            node_id,
            person_id
        from {{ this }}
    {%- else %}
        select
            cast(null as varchar) as node_id,
            cast(null as varchar) as person_id
        where false
    {%- endif %}
)

select
    coalesce(resolved.node_id, stored.node_id) as node_id,
    resolved.person_id,
    {{ spoor_built_at() }} as _changed_at
from resolved
full outer join stored on resolved.node_id = stored.node_id
where resolved.person_id is distinct from stored.person_id
