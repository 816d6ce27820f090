-- Message ids sent with different payloads (not collector retries, which share a
-- payload_hash): a client bug reusing ids. Staging keeps the first copy received; this
-- lists the rest. Reads the source because staging has already dropped the copies.
with

copies as (

    select
        message_id,
        payload_hash,
        file,
        line_number,
        received_at
    from {{ source('raw', 'events') }}

)

select
    message_id,
    count(distinct payload_hash) as payload_count,
    count(*) as copy_count,
    min(received_at) as first_received_at,
    max(received_at) as last_received_at,
    {{ sorted_distinct_list('file') }} as files
from copies
group by message_id
having count(distinct payload_hash) > 1
