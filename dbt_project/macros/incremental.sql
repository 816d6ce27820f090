{#- Incremental builds (docs: dbt_project/models/intermediate/int_events_enriched.yml).

    Every incremental model must end identical to a --full-refresh build over the same
    raw data. Bookkeeping:
    - `_built_at`: intermediate incremental tables stamp the rows they (re)wrote with the
      invocation's run_started_at, so a downstream model knows what changed;
    - audit.build_watermarks (model_name, built_at; created by on-run-start in
      dbt_project.yml, once, as threads would race): an incremental model appends, in a
      post-hook, the run that built it; it next re-reads upstream rows stamped after
      that. A failed build records nothing, so the next run picks the same rows up again. -#}

{#- This invocation's stamp (a timestamptz literal). -#}
{% macro spoor_built_at() -%}
    cast('{{ run_started_at.isoformat() }}' as timestamp with time zone)
{%- endmacro %}

{#- The stamp of the last successful build of the current model (-infinity when none). -#}
{% macro spoor_watermark() -%}
    (
        select coalesce(max(built_at), {{ spoor_no_watermark() }})
        from audit.build_watermarks
        where model_name = '{{ this.identifier }}'
    )
{%- endmacro %}

{#- A timestamptz before any build: the watermark of a model never built. -#}
{% macro spoor_no_watermark() -%}
    {{ return(adapter.dispatch('spoor_no_watermark', 'spoor')()) }}
{%- endmacro %}
{% macro default__spoor_no_watermark() -%}
    cast('1900-01-01 00:00:00+00:00' as timestamp with time zone)
{%- endmacro %}
{% macro duckdb__spoor_no_watermark() -%}
    cast('-infinity' as timestamp with time zone)
{%- endmacro %}

{#- post-hook of every incremental model: this build succeeded. -#}
{% macro spoor_record_watermark() -%}
    insert into audit.build_watermarks values ('{{ this.identifier }}', {{ spoor_built_at() }})
{%- endmacro %}

{#- Message ids of raw.events to re-read in an incremental run of stg_raw__events.
    With the window vars spoor__window_start (inclusive) / spoor__window_end (exclusive),
    dates: raw rows whose received_day is in [start - lookback, end). Otherwise: messages
    not built yet (anti-join, exact whatever order files were loaded in), copies from loads
    newer than the newest built, and every received_day within spoor__lookback_days of the
    newest received_day built (copies of a message can change which one wins dedup). -#}
{% macro spoor_raw_message_ids_to_reprocess(built) -%}
    {%- set lookback = var('spoor__lookback_days', 3) | int -%}
    {%- set window_start = var('spoor__window_start', none) -%}
    {%- set window_end = var('spoor__window_end', none) -%}
    {%- if window_start and window_end %}
    select distinct message_id
    from {{ source('raw', 'events') }}
    where
        received_day >= {{ add_days("cast('" ~ window_start ~ "' as date)", -lookback) }}
        and received_day < cast('{{ window_end }}' as date)
    {%- else %}
    select message_id
    from {{ source('raw', 'events') }} as r
    where not exists (select 1 from {{ built }} as b where b.event_id = r.message_id)
    union
    select message_id
    from {{ source('raw', 'events') }}
    where
        _dlt_load_id > (select max(load_id) from {{ built }})
        or received_day >= {{ add_days('(select max(received_date) from ' ~ built ~ ')', -lookback) }}
    {%- endif %}
{%- endmacro %}

{#- Events whose person may have changed since `since`: they carry an identifier whose
    person changed (int_identity_versions), however old the events are. -#}
{% macro spoor_events_with_changed_person(since) -%}
    select e.event_id
    from {{ ref('int_events_enriched') }} as e
    where
        e.user_id in ({{ spoor_changed_identifiers('user', since) }})
        or e.anonymous_id in ({{ spoor_changed_identifiers('anon', since) }})
{%- endmacro %}

{#- The raw ids of one node type ('user' / 'anon') whose person changed since `since`
    (compared as ids, not by prefixing every event's id). -#}
{% macro spoor_changed_identifiers(node_type, since) -%}
    select raw_id
    from (
        select {{ spoor_node_raw_id('node_id', node_type) }} as raw_id
        from {{ ref('int_identity_versions') }}
        where _changed_at > {{ since }}
    ) as changed_nodes
    where raw_id is not null
{%- endmacro %}

{#- Events to rebuild downstream since `since`: (re)written by enrichment or with a changed person. -#}
{% macro spoor_changed_events(since) -%}
    select event_id from {{ ref('int_events_enriched') }} where _built_at > {{ since }}
    union
    {{ spoor_events_with_changed_person(since) }}
{%- endmacro %}

{#- post-hook of fct_sessions: sessions whose events now belong to other sessions. -#}
{% macro spoor_delete_vanished_sessions() -%}
    {%- if is_incremental() -%}
    {{ return(adapter.dispatch('spoor_delete_vanished_sessions', 'spoor')()) }}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
{% macro default__spoor_delete_vanished_sessions() -%}
    delete from {{ this }}
    where not exists (
        select 1 from {{ ref('int_events_sessionized') }} as e
        where e.session_id = {{ this }}.session_id
    )
{%- endmacro %}
{% macro duckdb__spoor_delete_vanished_sessions() -%}
    delete from {{ this }} as s
    where not exists (
        select 1 from {{ ref('int_events_sessionized') }} as e
        where e.session_id = s.session_id
    )
{%- endmacro %}

{#- int_identifiers_observed: the events whose sightings an incremental run rewrites. -#}
{% macro spoor_sightings_to_rewrite() -%}
    (_built_at > {{ spoor_watermark() }} or event_type = 'alias')
{%- endmacro %}

{#- post-hook of int_identifiers_observed: the rows of rewritten events from earlier builds. -#}
{% macro spoor_delete_replaced_sightings() -%}
    {%- if is_incremental() %}
    delete from {{ this }}
    where
        _built_at is distinct from {{ spoor_built_at() }}
        and event_id in (
            select event_id from {{ ref('stg_raw__events') }}
            where {{ spoor_sightings_to_rewrite() }}
        )
    {%- else %}
    select 1
    {%- endif %}
{%- endmacro %}
