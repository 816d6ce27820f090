-- Each event with its person: the person of its userId when present (and not junk),
-- else of its anonymousId. Events from before a merge belong to the merged person too,
-- because the person comes from the finished graph, not from the order of arrival.
-- A view: always the current graph; the incremental models downstream store what they need
-- (fct_events calls the same macro with its filter, macros/identified_events.sql).
{{ config(materialized='view') }}
{{ spoor_identified_events() }}
