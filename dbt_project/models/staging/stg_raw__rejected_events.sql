with

source as (

    select * from {{ source('raw', 'rejected_events') }}

),

renamed as (

    select
        file,
        line_number,
        raw_line,
        raw_bytes,
        -- dlt stores the list as JSON; analysts get a list of codes (contract §3).
        {{ json_text_list('reasons') }} as reasons,
        message,
        message_id,
        type as event_type,
        event as event_name,
        source_id,
        received_day as received_date,
        _dlt_load_id as load_id
    from source

)

select * from renamed
