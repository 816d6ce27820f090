-- One row per message: collector retries (same message_id in several files) collapse to
-- the copy received first; ties go to the earliest file and line, so reruns agree.
-- A table, not a view: four models read it, and parsing the JSON once is most of the cost.
-- Incremental: ranks the copies of the raw messages macro spoor_raw_message_ids_to_reprocess
-- picks, and parses and rewrites only those whose winning copy (file, line) is new or
-- changed; rewritten rows get `_built_at`, which int_events_enriched follows.
{%- set context_paths = [
    'page.url', 'page.path', 'page.referrer', 'page.title', 'page.search',
    'campaign.source', 'campaign.medium', 'campaign.name', 'campaign.term', 'campaign.content',
    'locale', 'timezone', 'library.name', 'library.version', 'app.name', 'app.version',
    'device.id', 'device.type', 'device.manufacturer', 'device.model', 'os.name', 'os.version',
    'screen.width', 'screen.height', 'userAgent', 'ip',
] %}
{%- set page_properties = ['url', 'path', 'referrer', 'title', 'search'] %}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='event_id',
    on_schema_change='sync_all_columns',
    post_hook=["{{ spoor_record_watermark() }}"],
) }}
with

{% if is_incremental() %}
-- The messages to re-read (with all their copies).
to_reread as (
    {{ spoor_raw_message_ids_to_reprocess(this) }}
),

-- Their copies, narrow: the wide columns are read only for the copies to write (to_write).
copies as (
    select message_id, file, line_number, received_at, received_day
    from {{ source('raw', 'events') }}
    where message_id in (select message_id from to_reread)
),
{% endif %}
{%- set copies = 'copies' if is_incremental() else source('raw', 'events') %}

-- Most messages have one copy: only the retried ones are ranked (sorting every row, let
-- alone whole rows, costs far more than counting), and their losing copies dropped.
retried as (

    select message_id
    from {{ copies }}
    group by message_id
    having count(*) > 1

),

losing_copies as (

    select
        message_id,
        file,
        line_number
    from (
        select
            message_id,
            file,
            line_number,
            row_number() over (
                partition by message_id order by received_at, file, line_number
            ) as copy_rank
        from {{ copies }}
        where message_id in (select message_id from retried)
    ) as ranked
    where copy_rank > 1

),

{% if is_incremental() %}
-- The copies not already built as they are (losing copies are dropped below).
to_write as (

    select
        message_id,
        file,
        line_number,
        received_day
    from copies
    where not exists (
        select 1 from {{ this }} as built
        where
            built.event_id = copies.message_id
            and built.file = copies.file
            and built.line_number = copies.line_number
    )

),
{% endif %}

deduplicated as (

    select
        source.*,
        {{ json_record('source.context', context_paths) }} as ctx,
        {{ json_record('source.properties', page_properties) }} as props
    from {{ source('raw', 'events') }} as source
    {%- if is_incremental() %}
    -- received_day in the key lets the scan skip other days' row groups (a join filter)
    inner join to_write
        on
            source.message_id = to_write.message_id
            and source.file = to_write.file
            and source.line_number = to_write.line_number
            and source.received_day = to_write.received_day
    {%- endif %}
    where not exists (
        select 1 from losing_copies as lost
        where
            lost.message_id = source.message_id
            and lost.file = source.file
            and lost.line_number = source.line_number
    )

),

renamed as (

    select
        message_id as event_id,
        type as event_type,
        -- track: the event name; page/screen: the page or screen name.
        case when type = 'track' then event else name end as event_name,
        name as page_name,
        nullif(anonymous_id, '') as anonymous_id,
        nullif(user_id, '') as user_id,
        nullif(previous_id, '') as previous_id,
        group_id,

        -- Contract §1: remove client clock skew when both client times are present.
        case
            when sent_at is not null and original_timestamp is not null
                then received_at - (sent_at - original_timestamp)
            else coalesce(timestamp, received_at)
        end as occurred_at,
        timestamp as client_timestamp_at,
        original_timestamp as original_timestamp_at,
        sent_at,
        received_at,
        received_day as received_date,

        properties,
        traits,

        {%- for field in page_properties %}
            coalesce(
                {{ json_record_text('ctx', 'page.' ~ field) }}, {{ json_record_text('props', field) }}
            ) as page_{{ field }},
        {%- endfor %}
        {{ json_record_text('ctx', 'campaign.source') }} as campaign_source,
        {{ json_record_text('ctx', 'campaign.medium') }} as campaign_medium,
        {{ json_record_text('ctx', 'campaign.name') }} as campaign_name,
        {{ json_record_text('ctx', 'campaign.term') }} as campaign_term,
        {{ json_record_text('ctx', 'campaign.content') }} as campaign_content,
        {{ json_record_text('ctx', 'locale') }} as locale,
        {{ json_record_text('ctx', 'timezone') }} as timezone,
        {{ json_record_text('ctx', 'library.name') }} as library_name,
        {{ json_record_text('ctx', 'library.version') }} as library_version,
        {{ json_record_text('ctx', 'app.name') }} as app_name,
        {{ json_record_text('ctx', 'app.version') }} as app_version,
        {{ json_record_text('ctx', 'device.id') }} as device_id,
        {{ json_record_text('ctx', 'device.type') }} as context_device_type,
        {{ json_record_text('ctx', 'device.manufacturer') }} as device_manufacturer,
        {{ json_record_text('ctx', 'device.model') }} as device_model,
        {{ json_record_text('ctx', 'os.name') }} as context_os_name,
        {{ json_record_text('ctx', 'os.version') }} as context_os_version,
        {{ safe_cast(json_record_text('ctx', 'screen.width'), 'integer') }} as screen_width,
        {{ safe_cast(json_record_text('ctx', 'screen.height'), 'integer') }} as screen_height,
        {{ json_record_text('ctx', 'userAgent') }} as user_agent,
        -- The raw IP stops here: later layers get its country and /24 prefix only.
        {{ json_record_text('ctx', 'ip') }} as ip,

        source_id,
        file,
        line_number,
        _dlt_load_id as load_id,
        {{ spoor_built_at() }} as _built_at

    from deduplicated

)

select * from renamed
