{#- GA4's default channel grouping (support.google.com/analytics/answer/9756891),
    evaluated in GA4's order. `source`/`medium`/`campaign` are lower-cased; the source
    category (search/social/video/email/shopping) comes from the referrer_domains seed. -#}
{% macro channel_grouping(source, medium, campaign, source_category) -%}
    {%- set paid = regex_matches(medium, '^(.*cp.*|ppc|retargeting|paid.*)$') -%}
    {%- set shop_campaign = regex_matches(campaign, '^(.*(([^a-df-z]|^)shop|shopping).*)$') -%}
    case
        when coalesce({{ source }}, '(direct)') = '(direct)'
            and coalesce({{ medium }}, '(none)') in ('(none)', '(not set)') then 'Direct'
        when {{ campaign }} like '%cross-network%' then 'Cross-network'
        when ({{ source_category }} = 'shopping' or {{ shop_campaign }}) and {{ paid }}
            then 'Paid Shopping'
        when {{ source_category }} = 'search' and {{ paid }} then 'Paid Search'
        when {{ source_category }} = 'social' and {{ paid }} then 'Paid Social'
        when {{ source_category }} = 'video' and {{ paid }} then 'Paid Video'
        when {{ medium }} in ('display', 'banner', 'expandable', 'interstitial', 'cpm')
            then 'Display'
        when {{ paid }} then 'Paid Other'
        when {{ source_category }} = 'shopping' or {{ shop_campaign }} then 'Organic Shopping'
        when {{ source_category }} = 'social'
            or {{ medium }} in ('social', 'social-network', 'social-media', 'sm',
                                'social network', 'social media') then 'Organic Social'
        when {{ source_category }} = 'video' or {{ medium }} like '%video%' then 'Organic Video'
        when {{ source_category }} = 'search' or {{ medium }} = 'organic' then 'Organic Search'
        when {{ medium }} in ('referral', 'app', 'link') then 'Referral'
        when {{ source_category }} = 'email'
            or {{ source }} in ('email', 'e-mail', 'e_mail', 'e mail')
            or {{ medium }} in ('email', 'e-mail', 'e_mail', 'e mail') then 'Email'
        when {{ medium }} = 'affiliate' then 'Affiliates'
        when {{ medium }} = 'audio' then 'Audio'
        when {{ source }} = 'sms' or {{ medium }} = 'sms' then 'SMS'
        when {{ medium }} like '%push' or {{ medium }} like '%mobile%'
            or {{ medium }} like '%notification%' or {{ source }} = 'firebase'
            then 'Mobile Push Notifications'
        else 'Unassigned'
    end
{%- endmacro %}
