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

{#- DuckDB: the same greedy chain without a per-attempt search. Each match gets its rank
    among the person's matches of its step by (occurred_at, event_id) (`match_rank`) and
    the rank of the first match at its instant (`tie_rank`); an ASOF join, outside the
    recursion, gives every match of step k the tie_rank of the first instant >= its own
    among step k + 1's matches (`next_tie_rank`: where the search for step k + 1 starts).
    - Ordered funnels where no event matches two steps (`direct_chain`): step k's
      event is that first candidate; following the pointer is an equi-join per step.
    - Ordered funnels where an event matches two steps (`searched_chain`): the
      candidates from the pointer on, in order, skipping the events the attempt used.
      Those are at most k-1 (at or before t(k-1)), so the first k candidates hold the
      first unused one: a bounded equi-join, not a scan of every later match.
    - Strict funnels (`strict_chain`, no recursion): step k can only be the person's
      (k-1)-th event after step 1's, so each step is one equi-join on person_seq and an
      attempt reaches the steps before its first gap. -#}
{% macro duckdb__spoor_funnel_chain(matches, funnels) %}
with recursive
ranked as (
    select
        m.funnel_name,
        m.step_index,
        m.person_id,
        m.event_id,
        m.occurred_at,
        row_number() over (
            partition by m.funnel_name, m.step_index, m.person_id
            order by m.occurred_at, m.event_id
        ) as match_rank,
        rank() over (
            partition by m.funnel_name, m.step_index, m.person_id order by m.occurred_at
        ) as tie_rank
    from {{ matches }} as m
    inner join {{ funnels }} as f on m.funnel_name = f.funnel_name
    where f.funnel_order = 'ordered'
),

ranked_next as (
    select
        r.*,
        n.tie_rank as next_tie_rank
    from ranked as r
    asof left join ranked as n
        on
            r.funnel_name = n.funnel_name
            and r.person_id = n.person_id
            and r.step_index + 1 = n.step_index
            and n.occurred_at >= r.occurred_at
),

-- funnels where some event matches two steps: the same type and name, or a page/screen
-- step with no name, or one with more filters
overlapping as (
    select distinct funnel_name
    from (
        select funnel_name from ranked
        group by funnel_name, person_id, event_id
        having count(*) > 1
    ) as repeated
),

-- every step-1 event opens an attempt (the chains' columns); its window end is inclusive
opens as (
    select
        m.funnel_name,
        m.person_id,
        m.event_id as attempt_id,
        m.occurred_at as t1,
        {{ spoor_add_seconds('m.occurred_at', 'f.window_seconds') }} as window_end,
        f.step_count,
        m.step_index,
        m.event_id,
        m.occurred_at,
        m.next_tie_rank,
        m.funnel_name in (select funnel_name from overlapping) as is_overlapping
    from ranked_next as m
    inner join {{ funnels }} as f on m.funnel_name = f.funnel_name
    where m.step_index = 1
),

direct_chain as (
    select * exclude (is_overlapping) from opens
    where not is_overlapping

    union all

    select
        c.funnel_name,
        c.person_id,
        c.attempt_id,
        c.t1,
        c.window_end,
        c.step_count,
        m.step_index,
        m.event_id,
        m.occurred_at,
        m.next_tie_rank
    from direct_chain as c
    inner join ranked_next as m
        on
            c.funnel_name = m.funnel_name
            and c.person_id = m.person_id
            and c.step_index + 1 = m.step_index
            and c.next_tie_rank = m.match_rank
    where c.step_index < c.step_count and m.occurred_at <= c.window_end
),

searched_chain as (
    select
        * exclude (is_overlapping),
        [event_id] as used_event_ids
    from opens
    where is_overlapping

    union all

    select
        c.funnel_name,
        c.person_id,
        c.attempt_id,
        c.t1,
        c.window_end,
        c.step_count,
        c.step_index + 1,
        m.event_id,
        m.occurred_at,
        m.next_tie_rank,
        list_append(c.used_event_ids, m.event_id)
    from (
        -- the first k candidates for step k = c.step_index + 1
        select
            *,
            unnest(range(next_tie_rank, next_tie_rank + step_index + 1)) as candidate_rank
        from searched_chain
        where step_index < step_count and next_tie_rank is not null
    ) as c
    inner join ranked_next as m
        on
            c.funnel_name = m.funnel_name
            and c.person_id = m.person_id
            and c.step_index + 1 = m.step_index
            and c.candidate_rank = m.match_rank
    where
        m.occurred_at <= c.window_end
        and not list_contains(c.used_event_ids, m.event_id)
    qualify row_number() over (partition by c.funnel_name, c.attempt_id order by m.match_rank) = 1
),

strict_steps as (
    select
        m.funnel_name,
        m.person_id,
        m.event_id as attempt_id,
        m.occurred_at as t1,
        {{ spoor_add_seconds('m.occurred_at', 'f.window_seconds') }} as window_end,
        m.person_seq,
        unnest(range(1, f.step_count + 1)) as step_index
    from {{ matches }} as m
    inner join {{ funnels }} as f on m.funnel_name = f.funnel_name
    where m.step_index = 1 and f.funnel_order = 'strict'
),

strict_chain as (
    select
        s.funnel_name,
        s.person_id,
        s.attempt_id,
        s.t1,
        s.window_end,
        s.step_index,
        m.event_id,
        m.occurred_at
    from strict_steps as s
    inner join {{ matches }} as m
        on
            s.funnel_name = m.funnel_name
            and s.person_id = m.person_id
            and s.step_index = m.step_index
            and s.person_seq + s.step_index - 1 = m.person_seq
    where m.occurred_at <= s.window_end
    -- steps 1..k all present: the running count of the attempt's steps is k
    qualify s.step_index = count(*) over (
        partition by s.funnel_name, s.attempt_id order by s.step_index rows unbounded preceding
    )
)

{%- for chain in ['direct_chain', 'searched_chain', 'strict_chain'] %}
select funnel_name, person_id, attempt_id, t1, window_end, step_index, event_id, occurred_at
from {{ chain }}
{{ 'union all' if not loop.last }}
{%- endfor %}
{% endmacro %}

{#- Unordered funnels: every event matching any step opens an attempt at t1; of the events
    in [t1, window end] before the first exclusion after t1, the attempt takes in order
    each one that can fill a step of its own (docs/design.md). `exclusions`:
    int_analytics__funnel_exclusion_matches. Returns one row per attempt and event taken:
    funnel_name, person_id, attempt_id, t1, window_end, matched_step (orders ties),
    event_id, occurred_at.
    The default version takes each step's first matching event, which is the same only
    when no event matches two steps. -#}
{% macro spoor_funnel_unordered_steps(matches, funnels, exclusions) -%}
    {{ return(adapter.dispatch('spoor_funnel_unordered_steps', 'spoor')(matches, funnels, exclusions)) }}
{%- endmacro %}

{% macro default__spoor_funnel_unordered_steps(matches, funnels, exclusions) %}
with opens as (
    select distinct
        m.funnel_name,
        m.person_id,
        m.event_id as attempt_id,
        m.occurred_at as t1,
        {{ spoor_add_seconds('m.occurred_at', 'f.window_seconds') }} as window_end
    from {{ matches }} as m
    inner join {{ funnels }} as f on m.funnel_name = f.funnel_name
    where f.funnel_order = 'unordered'
),

first_exclusion as (
    select
        o.funnel_name,
        o.attempt_id,
        min(x.occurred_at) as excluded_at
    from opens as o
    inner join {{ exclusions }} as x
        on
            o.funnel_name = x.funnel_name
            and o.person_id = x.person_id
            and x.occurred_at > o.t1
            and x.occurred_at <= o.window_end
    group by o.funnel_name, o.attempt_id
)

select
    o.funnel_name,
    o.person_id,
    o.attempt_id,
    o.t1,
    o.window_end,
    m.step_index as matched_step,
    {{ value_at_min('m.event_id', ['m.occurred_at', 'm.event_id']) }} as event_id,
    min(m.occurred_at) as occurred_at
from opens as o
inner join {{ matches }} as m
    on
        o.funnel_name = m.funnel_name
        and o.person_id = m.person_id
        and m.occurred_at between o.t1 and o.window_end
left join first_exclusion as x
    on o.funnel_name = x.funnel_name and o.attempt_id = x.attempt_id
where x.excluded_at is null or m.occurred_at < x.excluded_at
group by o.funnel_name, o.person_id, o.attempt_id, o.t1, o.window_end, m.step_index
{% endmacro %}

{#- DuckDB: no attempt is joined with all its window. Each event gets the bit mask of the
    steps it matches (`step_mask`) and its rank among the person's events of that mask.
    Per attempt and mask of its person, an ASOF join finds the first instant >= t1; the
    events of that mask from there on are the attempt's candidates, cut at the window end
    and at the first exclusion after t1 (an ASOF join too).
    - Funnels where no event matches two steps: a mask is one step, and its first
      candidate fills it.
    - Funnels where an event matches two steps (`greedy`): one event fills one step. The
      attempt takes, in (occurred_at, event_id) order, each candidate that can fill a step
      of its own next to those taken: Hall's condition on the masks, over every set of
      steps. Of the events sharing a mask only the first step_count can be taken (a later
      one could replace none that an earlier one could not), so those are the candidates. -#}
{% macro duckdb__spoor_funnel_unordered_steps(matches, funnels, exclusions) %}
with recursive
masked as (
    select
        m.funnel_name,
        m.person_id,
        m.event_id,
        m.occurred_at,
        bit_or(1 << (m.step_index - 1)) as step_mask
    from {{ matches }} as m
    inner join {{ funnels }} as f on m.funnel_name = f.funnel_name
    where f.funnel_order = 'unordered'
    group by m.funnel_name, m.person_id, m.event_id, m.occurred_at
),

overlapping as (
    select distinct funnel_name from masked
    where bit_count(step_mask) > 1
),

mask_ranked as (
    select
        *,
        row_number() over (
            partition by funnel_name, person_id, step_mask order by occurred_at, event_id
        ) as mask_rank,
        rank() over (partition by funnel_name, person_id, step_mask order by occurred_at) as tie_rank
    from masked
),

-- every event matching a step opens an attempt
opens as (
    select
        m.funnel_name,
        m.person_id,
        m.event_id as attempt_id,
        m.occurred_at as t1,
        {{ spoor_add_seconds('m.occurred_at', 'f.window_seconds') }} as window_end,
        f.step_count,
        m.funnel_name in (select funnel_name from overlapping) as is_overlapping
    from masked as m
    inner join {{ funnels }} as f on m.funnel_name = f.funnel_name
),

first_exclusion as (
    select
        o.funnel_name,
        o.attempt_id,
        x.occurred_at as excluded_at
    from (
        -- only funnels with exclusions: the ASOF join sorts all of its left side
        select * from opens
        where funnel_name in (select x.funnel_name from {{ exclusions }} as x)
    ) as o
    asof inner join {{ exclusions }} as x
        on
            o.funnel_name = x.funnel_name
            and o.person_id = x.person_id
            and x.occurred_at > o.t1
    where x.occurred_at <= o.window_end
),

-- per attempt and step_mask of its person, the rank of the first instant >= t1
mask_firsts as (
    select
        o.*,
        r.tie_rank
    from (
        select
            o.*,
            p.step_mask
        from opens as o
        inner join (select distinct funnel_name, person_id, step_mask from masked) as p
            on o.funnel_name = p.funnel_name and o.person_id = p.person_id
    ) as o
    asof inner join mask_ranked as r
        on
            o.funnel_name = r.funnel_name
            and o.person_id = r.person_id
            and o.step_mask = r.step_mask
            and r.occurred_at >= o.t1
),

-- two readers below: recomputed, not stored (macro inline_cte)
candidates as {{ inline_cte() }} (
    select
        c.funnel_name,
        c.person_id,
        c.attempt_id,
        c.t1,
        c.window_end,
        c.step_count,
        c.is_overlapping,
        r.step_mask,
        r.event_id,
        r.occurred_at
    from (
        select
            *,
            unnest(range(tie_rank, tie_rank + if(is_overlapping, step_count, 1))) as candidate_rank
        from mask_firsts
    ) as c
    inner join mask_ranked as r
        on
            c.funnel_name = r.funnel_name
            and c.person_id = r.person_id
            and c.step_mask = r.step_mask
            and c.candidate_rank = r.mask_rank
    left join first_exclusion as x
        on c.funnel_name = x.funnel_name and c.attempt_id = x.attempt_id
    where
        r.occurred_at <= c.window_end
        and (x.excluded_at is null or r.occurred_at < x.excluded_at)
),

greedy_candidates as (
    select
        *,
        row_number() over (
            partition by funnel_name, attempt_id order by occurred_at, event_id
        ) as seq
    from candidates
    where is_overlapping
),

-- taken: the (step_mask, seq) of the events the attempt took so far
greedy as (
    select
        funnel_name,
        attempt_id,
        step_count,
        seq,
        [{'step_mask': step_mask, 'seq': seq}] as taken
    from greedy_candidates
    where seq = 1

    union all

    select
        g.funnel_name,
        g.attempt_id,
        g.step_count,
        c.seq,
        case
            -- every set of steps holding the new event's steps has room for the events
            -- whose steps all lie in it
            when list_bool_and(list_transform(
                range(1, 1 << g.step_count),
                lambda steps: (steps & c.step_mask) != c.step_mask
                or len(list_filter(g.taken, lambda t: (t.step_mask & steps) = t.step_mask))
                < bit_count(steps)
            ))
                then list_append(g.taken, {'step_mask': c.step_mask, 'seq': c.seq})
            else g.taken
        end
    from greedy as g
    inner join greedy_candidates as c
        on g.funnel_name = c.funnel_name and g.attempt_id = c.attempt_id and c.seq = g.seq + 1
    where len(g.taken) < g.step_count
),

greedy_taken as (
    select
        funnel_name,
        attempt_id,
        unnest(taken).seq as seq
    from (
        -- an attempt's last state: every candidate seen, or every step filled
        select * from greedy
        qualify seq = max(seq) over (partition by funnel_name, attempt_id)
    ) as last_state
)

-- matched_step orders an instant's events: the step mask, or the greedy order
select
    funnel_name,
    person_id,
    attempt_id,
    t1,
    window_end,
    step_mask as matched_step,
    event_id,
    occurred_at
from candidates
where not is_overlapping

union all

select
    c.funnel_name,
    c.person_id,
    c.attempt_id,
    c.t1,
    c.window_end,
    c.seq as matched_step,
    c.event_id,
    c.occurred_at
from greedy_candidates as c
inner join greedy_taken as g
    on c.funnel_name = g.funnel_name and c.attempt_id = g.attempt_id and c.seq = g.seq
{% endmacro %}
