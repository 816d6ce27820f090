-- One row per message: collector retries (same message_id in several files) collapse to
-- the copy received first; ties go to the earliest file and line, so reruns agree.
with

source as (

    select * from {{ source('raw', 'events') }}

),

deduplicated as (

    select
        *,
        row_number() over (
            partition by message_id order by received_at, file, line_number
        ) as copy_rank
    from source

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

        coalesce({{ json_text('context', 'page.url') }}, {{ json_text('properties', 'url') }}) as page_url,
        coalesce({{ json_text('context', 'page.path') }}, {{ json_text('properties', 'path') }}) as page_path,
        coalesce({{ json_text('context', 'page.referrer') }}, {{ json_text('properties', 'referrer') }}) as page_referrer,
        coalesce({{ json_text('context', 'page.title') }}, {{ json_text('properties', 'title') }}) as page_title,
        coalesce({{ json_text('context', 'page.search') }}, {{ json_text('properties', 'search') }}) as page_search,
        {{ json_text('context', 'campaign.source') }} as campaign_source,
        {{ json_text('context', 'campaign.medium') }} as campaign_medium,
        {{ json_text('context', 'campaign.name') }} as campaign_name,
        {{ json_text('context', 'campaign.term') }} as campaign_term,
        {{ json_text('context', 'campaign.content') }} as campaign_content,
        {{ json_text('context', 'locale') }} as locale,
        {{ json_text('context', 'timezone') }} as timezone,
        {{ json_text('context', 'library.name') }} as library_name,
        {{ json_text('context', 'library.version') }} as library_version,
        {{ json_text('context', 'app.name') }} as app_name,
        {{ json_text('context', 'app.version') }} as app_version,
        {{ json_text('context', 'device.id') }} as device_id,
        {{ json_text('context', 'device.type') }} as context_device_type,
        {{ json_text('context', 'device.manufacturer') }} as device_manufacturer,
        {{ json_text('context', 'device.model') }} as device_model,
        {{ json_text('context', 'os.name') }} as context_os_name,
        {{ json_text('context', 'os.version') }} as context_os_version,
        try_cast({{ json_text('context', 'screen.width') }} as integer) as screen_width,
        try_cast({{ json_text('context', 'screen.height') }} as integer) as screen_height,
        {{ json_text('context', 'userAgent') }} as user_agent,
        -- The raw IP stops here: later layers get its country and /24 prefix only.
        {{ json_text('context', 'ip') }} as ip,

        payload_hash,
        source_id,
        file,
        line_number,
        _dlt_load_id as load_id

    from deduplicated
    where copy_rank = 1

)

select * from renamed
