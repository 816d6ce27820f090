-- Every loaded file with its line accounting (contract §3: lines = valid + rejected).
select
    file,
    bytes,
    lines,
    valid,
    rejected,
    loaded_at,
    source_id,
    received_date as received_day,
    status,
    detail,
    load_id
from {{ ref('stg_raw__file_manifest') }}
