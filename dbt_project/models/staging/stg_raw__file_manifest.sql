with

source as (

    select * from {{ source('raw', 'file_manifest') }}

),

renamed as (

    select
        file,
        source_id,
        received_day as received_date,
        bytes,
        lines,
        valid,
        rejected,
        status,
        detail,
        loaded_at,
        _dlt_load_id as load_id
    from source

)

select * from renamed
