"""Static world data: products, user agents, IP ranges, referrers, campaigns.

IP ranges are /16 blocks that geoip2fast maps to the named country; bot user agents are
ones ua-parser reports with device family 'Spider' (tests check both).
"""

from __future__ import annotations

SITE = "https://shop.example.com"

SOURCES = {"web": "web-js", "mobile": "mobile-app", "server": "backend"}

CATEGORIES = ["apparel", "shoes", "home", "electronics", "beauty", "sports"]
CURRENCIES = ["USD", "USD", "USD", "USD", "USD", "USD", "EUR", "EUR", "GBP", "GBP"]

# (first two octets, country, locale, timezone)
IP_BLOCKS = [
    ((73, 22), "US", "en-US", "America/Chicago"),
    ((24, 5), "US", "en-US", "America/Los_Angeles"),
    ((86, 140), "GB", "en-GB", "Europe/London"),
    ((85, 214), "DE", "de-DE", "Europe/Berlin"),
    ((91, 64), "DE", "de-DE", "Europe/Berlin"),
    ((90, 1), "FR", "fr-FR", "Europe/Paris"),
    ((177, 32), "BR", "pt-BR", "America/Sao_Paulo"),
    ((126, 1), "JP", "ja-JP", "Asia/Tokyo"),
    ((117, 192), "IN", "en-IN", "Asia/Kolkata"),
    ((101, 160), "AU", "en-AU", "Australia/Sydney"),
    ((105, 1), "ZA", "en-ZA", "Africa/Johannesburg"),
]
# Country weights (same order as IP_BLOCKS)
IP_WEIGHTS = [22, 14, 12, 7, 5, 8, 8, 6, 8, 5, 5]

DESKTOP_UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/123.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51",
]
MOBILE_WEB_UAS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/123.0.6312.118 Mobile Safari/537.36",
]
BOT_UAS = [
    (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        (66, 249),
    ),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", (157, 55)),
    ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", (54, 36)),
]
# Mobile app devices: (os, os version, manufacturer, model, user agent of the HTTP client)
APP_DEVICES = [
    ("iOS", "17.4.1", "Apple", "iPhone15,2", "Shop/4.12.0 (iPhone; iOS 17.4.1; Scale/3.00)"),
    ("iOS", "16.7.2", "Apple", "iPhone13,3", "Shop/4.12.0 (iPhone; iOS 16.7.2; Scale/3.00)"),
    (
        "Android",
        "14",
        "Google",
        "Pixel 8",
        "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/UQ1A.240205.004)",
    ),
    (
        "Android",
        "13",
        "samsung",
        "SM-S911B",
        "Dalvik/2.1.0 (Linux; U; Android 13; SM-S911B Build/TP1A.220624.014)",
    ),
]
WEB_LIBRARY = {"name": "analytics.js", "version": "next-1.70.0"}
IOS_LIBRARY = {"name": "analytics-ios", "version": "4.1.8"}
ANDROID_LIBRARY = {"name": "analytics-android", "version": "4.11.3"}
SERVER_LIBRARY = {"name": "analytics-python", "version": "2.3.3"}

# Acquisition: (weight, referrer, campaign or None). Campaign = (source, medium, name).
ACQUISITION = [
    (30, "", None),  # direct
    (22, "https://www.google.com/", None),
    (5, "https://www.bing.com/", None),
    (3, "https://duckduckgo.com/", None),
    (8, "https://www.google.com/", ("google", "cpc", "spring_sale")),
    (6, "https://www.facebook.com/", ("facebook", "social", "spring_sale")),
    (4, "https://t.co/", ("twitter", "social", "launch_week")),
    (3, "https://www.linkedin.com/", None),
    (7, "", ("newsletter", "email", "weekly_digest")),
    (4, "https://mail.google.com/", ("newsletter", "email", "win_back")),
    (4, "https://www.instagram.com/", ("instagram", "social", "influencer_q1")),
]

PAGES = {
    "Home": ("/", "Shop - Home"),
    "Category": ("/c/{category}", "Shop - {Category}"),
    "Search": ("/search", "Shop - Search"),
    "Product": ("/p/{sku}", "Shop - {name}"),
    "Cart": ("/cart", "Shop - Cart"),
    "Checkout": ("/checkout", "Shop - Checkout"),
    "Order Confirmation": ("/checkout/done", "Shop - Thank you"),
    "Sign Up": ("/signup", "Shop - Create account"),
    "Log In": ("/login", "Shop - Log in"),
    "Account": ("/account", "Shop - Your account"),
    "Help": ("/help", "Shop - Help"),
}
SEARCH_TERMS = [
    "running shoes",
    "linen shirt",
    "desk lamp",
    "wireless earbuds",
    "yoga mat",
    "face cream",
    "rain jacket",
    "coffee grinder",
    "sneakers",
    "backpack",
]
ADJECTIVES = ["Classic", "Urban", "Trail", "Soft", "Smart", "Pro", "Essential", "Compact"]
NOUNS = {
    "apparel": ["Shirt", "Jacket", "Hoodie"],
    "shoes": ["Sneaker", "Boot", "Runner"],
    "home": ["Lamp", "Pillow", "Grinder"],
    "electronics": ["Earbuds", "Speaker", "Charger"],
    "beauty": ["Cream", "Serum", "Balm"],
    "sports": ["Yoga Mat", "Bottle", "Backpack"],
}
COUPONS = ["WELCOME10", "SPRING15", "FREESHIP", "VIP20"]
SIGNUP_METHODS = ["email", "email", "google", "apple"]
PLANS = ["free", "free", "free", "plus", "pro"]
FIRST_NAMES = ["Ana", "Ben", "Chloe", "Dev", "Eva", "Femi", "Grace", "Hiro", "Ines", "Jonas"]
LAST_NAMES = ["Silva", "Meyer", "Dubois", "Smith", "Tanaka", "Kumar", "Okafor", "Rossi"]


def products(n: int = 400) -> list[dict]:
    """A fixed catalogue, independent of the seed, so SKUs mean the same in every run."""
    out = []
    for i in range(n):
        category = CATEGORIES[i % len(CATEGORIES)]
        nouns = NOUNS[category]
        name = f"{ADJECTIVES[(i * 7) % len(ADJECTIVES)]} {nouns[(i // 6) % len(nouns)]}"
        price = round(9.0 + ((i * 37) % 180) + 0.99, 2)
        out.append(
            {"sku": f"SKU-{10000 + i * 13:05d}", "category": category, "name": name, "price": price}
        )
    return out


PRODUCTS = products()
