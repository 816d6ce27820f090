-- Each event with its device (user agent), country (IP), traffic source and GA4 channel.
-- The raw IP is dropped here: only its country and /24 prefix go on.
-- Incremental: the staged rows (re)written since this model's last build.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='event_id',
    on_schema_change='sync_all_columns',
    post_hook=["{{ spoor_record_watermark() }}"],
) }}
{#- Staged columns carried on unchanged: only what the models downstream read (sessions,
    traits, fct_sessions); fct_events takes the other staged columns from stg_raw__events,
    so the wide rows (properties, URLs, context) are written once more, not twice. #}
{%- set passthrough = [
    'event_id', 'event_type', 'event_name', 'anonymous_id', 'user_id', 'occurred_at',
    'traits', 'page_path', 'campaign_source', 'campaign_medium', 'campaign_name', 'source_id',
] %}
-- The wide CTEs (events, hosted, sourced, mediums) are recomputed by each reader, not
-- stored (macro inline_cte): storing 5M wide rows cost more than every join below.
with

events as {{ inline_cte() }} (

    select
        {%- for column in passthrough %}
            {{ column }},
        {%- endfor %}
        page_url,
        page_referrer,
        ip,
        user_agent,
        context_device_type,
        context_os_name,
        context_os_version
    from {{ ref('stg_raw__events') }}
    {%- if is_incremental() %}
    where _built_at > {{ spoor_watermark() }}
    {%- endif %}

),

-- Regular expressions run once per distinct value (URL, IP, traffic source/medium/campaign),
-- not once per event: there are far fewer values than events.
url_hosts as (

    select
        url,
        {{ url_host('url') }} as host
    from (
        select page_referrer as url from events
        union
        select page_url from events
    ) as urls
    where url is not null

),

ip_prefixes as (

    select
        ip,
        {{ ip_prefix('ip') }} as ip_prefix
    from (
        select distinct ip from events
        where ip is not null
    ) as distinct_ips

),

hosted as {{ inline_cte() }} (

    select
        events.*,
        referrers.host as referrer_host,
        pages.host as page_host
    from events
    left join url_hosts as referrers on events.page_referrer = referrers.url
    left join url_hosts as pages on events.page_url = pages.url

),

user_agents as (select * from {{ ref('int_user_agents_parsed') }}),

ips as (select * from {{ ref('int_ips_geolocated') }}),

referrer_domains as (select * from {{ ref('referrer_domains') }}),

sourced as {{ inline_cte() }} (

    select
        *,
        -- An internal link is not a traffic source.
        case when referrer_host <> coalesce(page_host, '') then referrer_host end
            as external_referrer_host,
        lower(coalesce(
            campaign_source,
            case when referrer_host <> coalesce(page_host, '') then referrer_host end
        )) as traffic_source
    from hosted

),

-- The longest seed entry that equals the source or is a parent domain of it.
source_categories as (

    select
        traffic_source,
        category as source_category
    from (
        select
            sources.traffic_source,
            referrer_domains.category,
            row_number() over (
                partition by sources.traffic_source
                order by length(referrer_domains.domain) desc
            ) as match_rank
        from (select distinct traffic_source from sourced) as sources
        inner join referrer_domains
            on
                sources.traffic_source = referrer_domains.domain
                or sources.traffic_source like '%.' || referrer_domains.domain
    ) as matches
    where match_rank = 1

),

mediums as {{ inline_cte() }} (

    select
        sourced.*,
        source_categories.source_category,
        lower(coalesce(
            campaign_medium,
            case
                when campaign_source is not null then '(not set)'
                when external_referrer_host is null then '(none)'
                when source_categories.source_category = 'search' then 'organic'
                when source_categories.source_category = 'email' then 'email'
                else 'referral'
            end
        )) as traffic_medium
    from sourced
    left join source_categories on sourced.traffic_source = source_categories.traffic_source

),

channels as (

    select
        traffic_source,
        traffic_medium,
        campaign,
        source_category,
        {{ channel_grouping('traffic_source', 'traffic_medium', 'campaign', 'source_category') }}
            as channel
    from (
        select distinct
            traffic_source,
            traffic_medium,
            lower(campaign_name) as campaign,
            source_category
        from mediums
    ) as combinations

)

select
    {%- for column in passthrough %}
        mediums.{{ column }},
    {%- endfor %}
    mediums.referrer_host,
    mediums.traffic_source,
    mediums.source_category,
    mediums.traffic_medium,
    ip_prefixes.ip_prefix,
    ips.country_code,
    channels.channel,
    -- Mobile SDKs send no user agent but say what the device is.
    coalesce(user_agents.device_type, case
        when lower(mediums.context_device_type) in ('ios', 'android', 'mobile', 'phone') then 'mobile'
        when lower(mediums.context_device_type) = 'tablet' then 'tablet'
    end) as device_type,
    user_agents.browser_family,
    user_agents.browser_version,
    coalesce(user_agents.os_family, mediums.context_os_name) as os_family,
    coalesce(user_agents.os_version, mediums.context_os_version) as os_version,
    coalesce(user_agents.is_bot, false) as is_bot,
    {{ spoor_built_at() }} as _built_at
from mediums
left join user_agents on mediums.user_agent = user_agents.user_agent
left join ips on mediums.ip = ips.ip
left join ip_prefixes on mediums.ip = ip_prefixes.ip
left join channels
    on
        mediums.traffic_source is not distinct from channels.traffic_source
        and mediums.traffic_medium is not distinct from channels.traffic_medium
        and lower(mediums.campaign_name) is not distinct from channels.campaign
        and mediums.source_category is not distinct from channels.source_category
