{#- Primary-key test over several columns (no dbt_utils: the hub is out of reach).
    Nulls count as values, so a null key part is a failure only via not_null tests. -#}
{% test analytics_unique_key(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
