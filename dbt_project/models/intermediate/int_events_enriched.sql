-- Each event with its device (user agent), country (IP), traffic source and GA4 channel.
-- The raw IP is dropped here: only its country and /24 prefix go on.
-- Incremental: re-reads the raw messages macro spoor_raw_message_ids_to_reprocess picks
-- and rewrites those whose winning copy (file, line) is new or changed.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='event_id',
    on_schema_change='sync_all_columns',
    post_hook=["{{ spoor_record_watermark() }}"],
) }}
with

events as (

    select
        staged.*,
        {{ url_host('staged.page_referrer') }} as referrer_host,
        {{ url_host('staged.page_url') }} as page_host
    from {{ ref('stg_raw__events') }} as staged
    {%- if is_incremental() %}
    where
        staged.event_id in ({{ spoor_raw_message_ids_to_reprocess(this) }})
        and not exists (
            select 1 from {{ this }} as built
            where
                built.event_id = staged.event_id
                and built.file = staged.file
                and built.line_number = staged.line_number
        )
    {%- endif %}

),

user_agents as (select * from {{ ref('int_user_agents_parsed') }}),

ips as (select * from {{ ref('int_ips_geolocated') }}),

referrer_domains as (select * from {{ ref('referrer_domains') }}),

sourced as (

    select
        *,
        -- An internal link is not a traffic source.
        case when referrer_host <> coalesce(page_host, '') then referrer_host end
            as external_referrer_host,
        lower(coalesce(
            campaign_source,
            case when referrer_host <> coalesce(page_host, '') then referrer_host end
        )) as traffic_source
    from events

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

mediums as (

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

)

select
    mediums.* exclude (ip, page_host, external_referrer_host),
    {{ ip_prefix('mediums.ip') }} as ip_prefix,
    ips.country_code,
    {{ channel_grouping('traffic_source', 'traffic_medium', 'lower(campaign_name)',
                        'source_category') }} as channel,
    -- Mobile SDKs send no user agent but say what the device is.
    coalesce(user_agents.device_type, case
        when lower(context_device_type) in ('ios', 'android', 'mobile', 'phone') then 'mobile'
        when lower(context_device_type) = 'tablet' then 'tablet'
    end) as device_type,
    user_agents.browser_family,
    user_agents.browser_version,
    coalesce(user_agents.os_family, context_os_name) as os_family,
    coalesce(user_agents.os_version, context_os_version) as os_version,
    coalesce(user_agents.is_bot, false) as is_bot,
    {{ spoor_built_at() }} as _built_at
from mediums
left join user_agents on mediums.user_agent = user_agents.user_agent
left join ips on mediums.ip = ips.ip
