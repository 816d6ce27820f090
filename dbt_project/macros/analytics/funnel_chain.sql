{#- The greedy step chain of ordered and strict funnels (docs/design.md "Funnels,
    precisely"), as a recursive CTE over step_index: the number of steps is data.

    `matches`: one row per (funnel_name, step_index, event) matching that step, with
    person_id, event_id, occurred_at, person_seq (the event's 1-based position among all
    the person's events by (occurred_at, event_id)). `funnels`: config.funnels.
    Returns one row per attempt and reached step: funnel_name, person_id, attempt_id (the
    step-1 event), t1, window_end, step_index, event_id, occurred_at. -#}
{% macro spoor_funnel_chain(matches, funnels) -%}
    {{ return(adapter.dispatch('spoor_funnel_chain', 'spoor')(matches, funnels)) }}
{%- endmacro %}

{% macro default__spoor_funnel_chain(matches, funnels) %}
with recursive chain as (
    -- every step-1 event opens an attempt; its window end is inclusive
    select
        m.funnel_name, m.person_id, m.event_id as attempt_id, m.occurred_at as t1,
        {{ spoor_add_seconds('m.occurred_at', 'f.window_seconds') }} as window_end,
        f.funnel_order, f.step_count, 1 as step_index,
        m.event_id, m.occurred_at, m.person_seq,
        [m.event_id] as used_event_ids
    from {{ matches }} as m
    inner join {{ funnels }} as f on m.funnel_name = f.funnel_name
    where m.step_index = 1 and f.funnel_order in ('ordered', 'strict')

    union all

    select
        c.funnel_name, c.person_id, c.attempt_id, c.t1, c.window_end,
        c.funnel_order, c.step_count, c.step_index + 1,
        nxt.event_id, nxt.occurred_at, nxt.person_seq,
        list_append(c.used_event_ids, nxt.event_id)
    from chain as c
    inner join lateral (
        -- step k: the first matching event in order, within the window, not yet used;
        -- strict: only the person's very next event may fill it
        select m.event_id, m.occurred_at, m.person_seq
        from {{ matches }} as m
        where m.funnel_name = c.funnel_name
            and m.person_id = c.person_id
            and m.step_index = c.step_index + 1
            and m.occurred_at <= c.window_end
            and case
                when c.funnel_order = 'strict' then m.person_seq = c.person_seq + 1
                else m.occurred_at >= c.occurred_at
                    and not list_contains(c.used_event_ids, m.event_id)
            end
        order by m.occurred_at, m.event_id
        limit 1
    ) as nxt on true
    where c.step_index < c.step_count
)

select funnel_name, person_id, attempt_id, t1, window_end, step_index, event_id, occurred_at
from chain
{% endmacro %}
