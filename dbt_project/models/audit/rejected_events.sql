-- Every line that was not loaded, with why (contract §3). Lines that `spoor replay`
-- later loaded (after a tracking-plan fix) are no longer here.
select
    rejected.file,
    rejected.line_number,
    rejected.raw_line,
    rejected.reasons,
    rejected.message,
    rejected.received_date as received_day,
    rejected.load_id,
    rejected.message_id,
    rejected.event_type,
    rejected.event_name,
    rejected.source_id,
    rejected.raw_bytes is not null as is_invalid_utf8
from {{ ref('stg_raw__rejected_events') }} as rejected
where not exists (
    select 1
    from {{ ref('stg_raw__replayed_rejections') }} as replayed
    where replayed.file = rejected.file and replayed.line_number = rejected.line_number
)
