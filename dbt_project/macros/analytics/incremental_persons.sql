{#- The analytics chain (models/intermediate/analytics) is incremental per person: every
    row there derives from one person's events alone, so a run re-derives only the persons
    whose events changed and leaves the others' rows as they are.
    - int_analytics__events: the persons of the events changed since its watermark
      (macro spoor_changed_events), under their new person and their old one (the stored
      row), get all their events rewritten, stamped `_built_at`.
      It logs them in audit.analytics_rebuilt_persons (post-hook spoor_log_rebuilt_persons;
      a NULL person_id when it rebuilt everyone).
    - the models below it: the persons logged since their own watermark. That covers the
      persons whose rows were rewritten and those left with no event (merged into
      another), without comparing every person of two tables (an EXCEPT per model cost
      ~1 s each at 5M events).
    Strategy append: the pre-hook spoor_stage_rebuilt_persons computes the persons to
    rebuild once, into a temp table the model and its hooks read; a run inserts their
    rows, then the post-hook spoor_delete_rebuilt_persons drops their older rows. When
    the analytics definitions (config.*) or spoor__include_bots differ from the last
    build's (audit.build_fingerprints), or int_analytics__events rebuilt everyone since,
    every person is rebuilt. -#}

{#- Persons to rebuild in the current model (int_analytics__events or a model below it). -#}
{% macro spoor_analytics_persons_to_rebuild() -%}
    {%- if this.identifier == 'int_analytics__events' %}
    with changed_events as ({{ spoor_changed_events(spoor_watermark()) }})
    select f.person_id
    from {{ ref('fct_events') }} as f
    where f.event_id in (select c.event_id from changed_events as c)
    union
    select t.person_id
    from {{ this }} as t
    where t.event_id in (select c.event_id from changed_events as c)
    {%- else %}
    select distinct l.person_id
    from audit.analytics_rebuilt_persons as l
    where l.built_at > {{ spoor_watermark() }} and l.person_id is not null
    {%- endif %}
{%- endmacro %}

{#- True when the persons to rebuild are everyone: the definitions changed, or (below
    int_analytics__events) it rebuilt everyone since this model's last build. -#}
{% macro spoor_analytics_rebuild_everyone() -%}
    (
        {{ spoor_analytics_config_changed() }}
        {%- if this.identifier != 'int_analytics__events' %}
        or exists (
            select 1 from audit.analytics_rebuilt_persons as l
            where l.person_id is null and l.built_at > {{ spoor_watermark() }}
        )
        {%- endif %}
    )
{%- endmacro %}

{#- post-hook of int_analytics__events: log the persons it rebuilt (NULL: everyone), and
    forget those every model below it has consumed. -#}
{% macro spoor_log_rebuilt_persons() -%}
    {%- if this.identifier != 'int_analytics__events' %}
    select 1
    {%- else %}
    insert into audit.analytics_rebuilt_persons
    {%- if is_incremental() %}
    select person_id, {{ spoor_built_at() }}
    from {{ spoor_rebuilt_persons_table() }}
    union all
    -- changed definitions rebuilt everyone (the persons above are then a subset)
    select null, {{ spoor_built_at() }}
    where {{ spoor_analytics_config_changed() }};
    {%- else %}
    values (null, {{ spoor_built_at() }});
    {%- endif %}
    delete from audit.analytics_rebuilt_persons
    where built_at <= (
        select min(built_at) from (
            select max(built_at) as built_at
            from audit.build_watermarks
            where model_name like 'int_analytics__%' and model_name <> 'int_analytics__events'
            group by model_name
        ) as consumers
    )
    {%- endif %}
{%- endmacro %}

{#- The temp table (one per model, on the model's connection) of the persons to rebuild.
    For int_analytics__events the set costs scans of fct_events and of itself; the model
    reads it up to twice and the delete once, so it is computed once, before the model. -#}
{% macro spoor_rebuilt_persons_table() -%}
    {{ adapter.quote(this.identifier ~ '__rebuilt_persons') }}
{%- endmacro %}

{#- pre-hook: stage the persons to rebuild (incremental runs only). -#}
{% macro spoor_stage_rebuilt_persons() -%}
    {%- if is_incremental() %}
    create or replace temporary table {{ spoor_rebuilt_persons_table() }} as
    {{ spoor_analytics_persons_to_rebuild() }}
    {%- else %}
    select 1
    {%- endif %}
{%- endmacro %}

{#- A filter on `person_id_expr`: true for the rows of the persons to rebuild. The staged
    set exists only where hooks run (run, build, retry); `dbt compile` and `dbt show`
    render the set inline, so their SQL still runs on its own. -#}
{% macro spoor_analytics_rebuild_filter(person_id_expr) -%}
    (
        {{ spoor_analytics_rebuild_everyone() }}
        or {{ person_id_expr }} in (
            {%- if flags.WHICH in ('run', 'build', 'retry') %}
            select person_id from {{ spoor_rebuilt_persons_table() }}
            {%- else %}
            {{ spoor_analytics_persons_to_rebuild() }}
            {%- endif %}
        )
    )
{%- endmacro %}

{#- post-hook: the rebuilt persons' rows from earlier builds go (their new rows stay). -#}
{% macro spoor_delete_rebuilt_persons() -%}
    {%- if is_incremental() %}
    delete from {{ this }}
    where
        _built_at is distinct from {{ spoor_built_at() }}
        and {{ spoor_analytics_rebuild_filter('person_id') }}
    {%- else %}
    select 1
    {%- endif %}
{%- endmacro %}

{#- post-hook (last): the staged set is dropped with the model's build. -#}
{% macro spoor_drop_rebuilt_persons() -%}
    drop table if exists {{ spoor_rebuilt_persons_table() }}
{%- endmacro %}

{#- The definitions the analytics chain reads, as one text: config.* and the bots var. -#}
{% macro spoor_analytics_config_fingerprint() -%}
    {{ return(adapter.dispatch('spoor_analytics_config_fingerprint', 'spoor')()) }}
{%- endmacro %}
{#- No portable row-to-text: another engine rebuilds every person on every run. -#}
{% macro default__spoor_analytics_config_fingerprint() -%}
    cast('{{ run_started_at.isoformat() }}' as varchar)
{%- endmacro %}
{% macro duckdb__spoor_analytics_config_fingerprint() -%}
    {%- set tables = ['settings', 'funnels', 'funnel_steps', 'funnel_step_filters',
        'funnel_exclusions', 'funnel_exclusion_filters', 'retention_definitions'] -%}
    (
        select md5(
            'include_bots={{ var('spoor__include_bots', false) | string | lower }}|'
            || coalesce(string_agg(row_text, '|' order by row_text), '')
        )
        from (
            {%- for t in tables %}
            select '{{ t }}:' || cast(config_row as varchar) as row_text
            from {{ source('config', t) }} as config_row
            {{- ' union all' if not loop.last }}
            {%- endfor %}
        ) as config_rows
    )
{%- endmacro %}

{#- True when the definitions differ from those of the current model's last build. -#}
{% macro spoor_analytics_config_changed() -%}
    (
        coalesce((
            select fingerprint from audit.build_fingerprints
            where model_name = '{{ this.identifier }}'
            order by built_at desc
            limit 1
        ), '') <> {{ spoor_analytics_config_fingerprint() }}
    )
{%- endmacro %}

{#- post-hook (before spoor_record_watermark): the definitions this build used. -#}
{% macro spoor_record_config_fingerprint() -%}
    insert into audit.build_fingerprints
    values ('{{ this.identifier }}', {{ spoor_built_at() }}, {{ spoor_analytics_config_fingerprint() }})
{%- endmacro %}
