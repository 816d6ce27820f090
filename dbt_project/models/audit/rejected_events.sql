-- Every line that was not loaded, with why (contract §3).
select
    file,
    line_number,
    raw_line,
    reasons,
    message,
    received_date as received_day,
    load_id,
    message_id,
    event_type,
    event_name,
    source_id,
    raw_bytes is not null as is_invalid_utf8
from {{ ref('stg_raw__rejected_events') }}
