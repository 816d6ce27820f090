-- Every anonymousId and userId seen (junk placeholders aside), with its one person.
select
    identifier_type,
    identifier,
    person_id,
    {{ utc_timestamp('first_seen_at') }} as first_seen_at,
    {{ utc_timestamp('last_seen_at') }} as last_seen_at
from {{ ref('int_identities_resolved') }}
