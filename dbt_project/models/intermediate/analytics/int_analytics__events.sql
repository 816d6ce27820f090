-- The events funnels, retention and activity read: non-bot (unless spoor__include_bots),
-- with each event's position in its person's history, since strict funnels need "the very
-- next event" and every tie is broken by (occurred_at, event_id).
{#- Breakdowns on `context.*` paths read a `context` JSON. fct_events carries the flattened
    page/campaign/locale columns; when it has no `context` column, rebuild the Segment
    context shape from whichever of those columns exist. -#}
{%- set context_shape = {
    'campaign': {'source': 'campaign_source', 'medium': 'campaign_medium',
                 'name': 'campaign_name', 'term': 'campaign_term', 'content': 'campaign_content'},
    'page': {'url': 'page_url', 'path': 'page_path', 'referrer': 'page_referrer',
             'title': 'page_title', 'search': 'page_search'},
    'app': {'name': 'app_name', 'version': 'app_version'},
    'library': {'name': 'library_name', 'version': 'library_version'},
} %}
{%- set cols = [] %}
{%- if execute %}
    {%- set cols = adapter.get_columns_in_relation(ref('fct_events')) | map(attribute='name') | map('lower') | list %}
{%- endif %}

select
    event_id,
    event_type,
    event_name,
    occurred_at,
    person_id,
    properties,
    {% if 'context' in cols -%}
    context
    {%- else -%}
        json_object(
            {%- for group, fields in context_shape.items() %}
                '{{ group }}', json_object(
                    {%- for key, col in fields.items() if col in cols %}
            '{{ key }}', {{ col }}{{ ',' if not loop.last }}
            {%- endfor %}
                ),
            {%- endfor %}
            'locale', {{ 'locale' if 'locale' in cols else 'null' }},
            'timezone', {{ 'timezone' if 'timezone' in cols else 'null' }}
        )
    {%- endif %} as context,
    row_number() over (partition by person_id order by occurred_at, event_id) as person_seq
from {{ ref('fct_events') }}
where
    person_id is not null
    and {{ spoor_not_bot('is_bot') }}
