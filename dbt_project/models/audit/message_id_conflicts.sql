-- Message ids sent with different payloads (not collector retries, whose copies differ in
-- receivedAt alone): a client bug reusing ids. Staging keeps the first copy received; this
-- lists the rest. Reads the source because staging has already dropped the copies.
-- A payload is what raw keeps of the message, receivedAt and lineage aside, so every
-- difference counted here can be seen in raw.events. Only ids with several copies are
-- compared: ingestion hashes nothing per line.
with

retried as (

    select message_id
    from {{ source('raw', 'events') }}
    group by message_id
    having count(*) > 1

),

copies as (

    select
        message_id,
        row(
            type, event, name, anonymous_id, user_id, previous_id, group_id,
            timestamp, original_timestamp, sent_at,
            cast(properties as varchar), cast(traits as varchar), cast(context as varchar)
        ) as payload,
        file,
        received_at
    from {{ source('raw', 'events') }}
    where message_id in (select message_id from retried)

)

select
    message_id,
    count(distinct payload) as payload_count,
    count(*) as copy_count,
    min(received_at) as first_received_at,
    max(received_at) as last_received_at,
    {{ sorted_distinct_list('file') }} as files
from copies
group by message_id
having count(distinct payload) > 1
