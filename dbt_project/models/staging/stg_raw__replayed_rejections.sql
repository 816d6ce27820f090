-- The first `spoor replay` creates the raw table; until then this view is empty.
{%- set raw_table = source('raw', 'replayed_rejections') %}
{%- set exists = execute and load_relation(raw_table) is not none %}

with

source as (

    {% if exists %}
        select * from {{ raw_table }}
    {% else %}
        select
            cast(null as varchar) as file,
            cast(null as bigint) as line_number,
            cast(null as varchar) as rejected_load_id,
            cast(null as timestamp with time zone) as replayed_at,
            cast(null as varchar) as _dlt_load_id
        where false
    {% endif %}

),

renamed as (

    select
        file,
        line_number,
        rejected_load_id,
        {{ utc_timestamp('replayed_at') }} as replayed_at,
        _dlt_load_id as load_id
    from source

)

select * from renamed
