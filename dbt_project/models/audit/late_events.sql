-- Events received more than a session timeout after they happened (late data), with how
-- an incremental run stitches them: 'lookback' when they happened within
-- spoor__lookback_days of the day they were received (inside the window a run re-reads),
-- else 'beyond_lookback' (re-stitched because their (person, device) group is rebuilt
-- whole). Every one of them is still in marts.fct_events; this only counts them.
select
    event_id,
    occurred_at,
    received_at,
    received_date,
    received_at - occurred_at as lateness,
    case
        when cast(occurred_at as date) >= {{ add_days('received_date', -(var('spoor__lookback_days', 3) | int)) }}
            then 'lookback'
        else 'beyond_lookback'
    end as handled_by,
    person_id,
    session_id,
    source_id,
    file
from {{ ref('fct_events') }}
where {{ seconds_between('occurred_at', 'received_at') }} > {{ (var('spoor__session_timeout_minutes') | int) * 60 }}
