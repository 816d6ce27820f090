-- One row per person: identifiers, activity, first-touch acquisition, latest traits.
with

identities as (select * from {{ ref('int_identities_resolved') }}),

events as (
    select * from {{ ref('fct_events') }}
    where person_id is not null
),

sessions as (select * from {{ ref('fct_sessions') }}),

traits as (select * from {{ ref('int_person_traits_merged') }}),

identifiers as (

    select
        person_id,
        {{ sorted_distinct_list("case when identifier_type = 'user_id' then identifier end") }}
            as user_ids,
        {{ sorted_distinct_list("case when identifier_type = 'anonymous_id' then identifier end") }}
            as anonymous_ids
    from identities
    group by person_id

),

activity as (

    select
        person_id,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at,
        count(*) as event_count,
        bool_and(is_bot) as is_bot
    from events
    group by person_id

),

session_counts as (

    select
        person_id,
        count(*) as session_count
    from sessions
    group by person_id

),

-- First touch: the person's first session (bot-only persons have none).
first_sessions as (

    select * from (
        select
            *,
            row_number() over (partition by person_id order by started_at, session_id)
                as session_rank
        from sessions
    ) as ranked
    where session_rank = 1

)

select
    identifiers.person_id,
    identifiers.user_ids,
    identifiers.anonymous_ids,
    activity.first_seen_at,
    activity.last_seen_at,
    coalesce(session_counts.session_count, 0) as session_count,
    coalesce(activity.event_count, 0) as event_count,
    first_sessions.channel as first_touch_channel,
    first_sessions.campaign_source as first_touch_campaign_source,
    first_sessions.campaign_medium as first_touch_campaign_medium,
    first_sessions.campaign_name as first_touch_campaign_name,
    first_sessions.referrer_host as first_touch_referrer_host,
    coalesce(activity.is_bot, false) as is_bot,
    traits.traits
from identifiers
left join activity on identifiers.person_id = activity.person_id
left join session_counts on identifiers.person_id = session_counts.person_id
left join first_sessions on identifiers.person_id = first_sessions.person_id
left join traits on identifiers.person_id = traits.person_id
