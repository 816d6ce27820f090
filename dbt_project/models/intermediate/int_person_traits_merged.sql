-- Each person's latest traits: per trait key, the value from the latest identify call of
-- any of the person's identifiers. Emails and phone numbers are replaced by their salted
-- hash (macro hash_pii) before they leave this model.
with

identifies as (

    select
        event_id,
        occurred_at,
        person_id,
        traits
    from {{ ref('int_events_identified') }}
    where event_type = 'identify' and person_id is not null and traits is not null

),

entries as (

    select
        identifies.person_id,
        identifies.occurred_at,
        identifies.event_id,
        entries.key as trait_key,
        entries.value as trait_value,
        row_number() over (
            partition by identifies.person_id, entries.key
            order by identifies.occurred_at desc, identifies.event_id desc
        ) as recency_rank
    from identifies, {{ json_entries('identifies.traits') }} as entries

),

protected as (

    select
        person_id,
        trait_key,
        case
            when
                lower(trait_key) like '%email%' or lower(trait_key) like '%phone%'
                or lower(trait_key) in ('mobile', 'tel')
                then {{ to_json_text(hash_pii(json_text('trait_value', ''))) }}
            else trait_value
        end as trait_value
    from entries
    where recency_rank = 1

)

select
    person_id,
    {{ json_object_agg('trait_key', 'trait_value') }} as traits
from protected
group by person_id
