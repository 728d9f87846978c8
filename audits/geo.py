"""Where cities are, for "nearest auditor first" suggestions.

A small fixed table, not a geocoder: the Chinese cities the demo data and most clients use
(Chinese and English names) and a few major foreign ones. An unknown city has no coordinates;
callers sort it last. Distances are great-circle (haversine) kilometres, which is enough to
rank auditors by travel.

A city is found as people write it, not only as the table spells it: "杭州", "杭州市",
"浙江省杭州市", "浙江省杭州市西湖区" and "Hangzhou, Zhejiang" are all Hangzhou (an exact name
first, else the longest known name inside the text: a Chinese name anywhere, a Latin one as a
whole word). That is why the team page said "unknown" for cities written with their province
or district, and for the demo's German clients in Berlin and Hamburg, which were missing.
"""

import math
import re

# (latitude, longitude) in degrees; each city under its Chinese and English names.
_CITIES = (
    (("北京", "Beijing", "Peking"), (39.9042, 116.4074)),
    (("上海", "Shanghai"), (31.2304, 121.4737)),
    (("深圳", "Shenzhen"), (22.5431, 114.0579)),
    (("杭州", "Hangzhou"), (30.2741, 120.1551)),
    (("成都", "Chengdu"), (30.5728, 104.0668)),
    (("广州", "Guangzhou", "Canton"), (23.1291, 113.2644)),
    (("南京", "Nanjing"), (32.0603, 118.7969)),
    (("武汉", "Wuhan"), (30.5928, 114.3055)),
    (("西安", "Xi'an", "Xian"), (34.3416, 108.9398)),
    (("苏州", "Suzhou"), (31.2990, 120.5853)),
    (("天津", "Tianjin"), (39.3434, 117.3616)),
    (("重庆", "Chongqing"), (29.4316, 106.9123)),
    (("长沙", "Changsha"), (28.2282, 112.9388)),
    (("郑州", "Zhengzhou"), (34.7466, 113.6254)),
    (("济南", "Jinan"), (36.6512, 117.1201)),
    (("青岛", "Qingdao"), (36.0671, 120.3826)),
    (("大连", "Dalian"), (38.9140, 121.6147)),
    (("沈阳", "Shenyang"), (41.8057, 123.4315)),
    (("厦门", "Xiamen"), (24.4798, 118.0894)),
    (("合肥", "Hefei"), (31.8206, 117.2272)),
    (("宁波", "Ningbo"), (29.8683, 121.5440)),
    (("无锡", "Wuxi"), (31.4912, 120.3119)),
    (("东莞", "Dongguan"), (23.0207, 113.7518)),
    (("佛山", "Foshan"), (23.0215, 113.1214)),
    (("珠海", "Zhuhai"), (22.2710, 113.5767)),
    (("福州", "Fuzhou"), (26.0745, 119.2965)),
    (("南昌", "Nanchang"), (28.6820, 115.8579)),
    (("昆明", "Kunming"), (25.0389, 102.7183)),
    (("贵阳", "Guiyang"), (26.6470, 106.6302)),
    (("南宁", "Nanning"), (22.8170, 108.3665)),
    (("海口", "Haikou"), (20.0440, 110.1999)),
    (("石家庄", "Shijiazhuang"), (38.0428, 114.5149)),
    (("太原", "Taiyuan"), (37.8706, 112.5489)),
    (("呼和浩特", "Hohhot"), (40.8426, 111.7492)),
    (("长春", "Changchun"), (43.8171, 125.3235)),
    (("哈尔滨", "Harbin"), (45.8038, 126.5349)),
    (("兰州", "Lanzhou"), (36.0611, 103.8343)),
    (("西宁", "Xining"), (36.6171, 101.7782)),
    (("银川", "Yinchuan"), (38.4872, 106.2309)),
    (("乌鲁木齐", "Urumqi", "Ürümqi"), (43.8256, 87.6168)),
    (("拉萨", "Lhasa"), (29.6525, 91.1721)),
    (("澳门", "Macau", "Macao"), (22.1987, 113.5439)),
    (("香港", "Hong Kong"), (22.3193, 114.1694)),
    (("台北", "Taipei"), (25.0330, 121.5654)),
    (("新加坡", "Singapore"), (1.3521, 103.8198)),
    (("东京", "Tokyo"), (35.6762, 139.6503)),
    (("首尔", "Seoul"), (37.5665, 126.9780)),
    (("伦敦", "London"), (51.5074, -0.1278)),
    (("法兰克福", "Frankfurt", "Frankfurt am Main"), (50.1109, 8.6821)),
    (("慕尼黑", "Munich", "München"), (48.1351, 11.5820)),
    (("柏林", "Berlin"), (52.5200, 13.4050)),
    (("汉堡", "Hamburg"), (53.5511, 9.9937)),
    (("巴黎", "Paris"), (48.8566, 2.3522)),
    (("纽约", "New York"), (40.7128, -74.0060)),
    (("旧金山", "San Francisco"), (37.7749, -122.4194)),
    (("悉尼", "Sydney"), (-33.8688, 151.2093)),
)


def _key(name: str) -> str:
    """Compare names loosely: case, spaces, apostrophes and a trailing 市 / "City" ignored."""
    key = (name or "").strip().casefold().replace("'", "").replace("\u2019", "").replace(" ", "")
    for suffix in ("市", "city"):
        if key.endswith(suffix) and len(key) > len(suffix):
            key = key[: -len(suffix)]
    return key


COORDINATES: dict[str, tuple[float, float]] = {
    _key(name): point for names, point in _CITIES for name in names
}

EARTH_RADIUS_KM = 6371.0


_CJK = re.compile(r"[\u3400-\u9fff]")
# Every name of the table for finding one inside a longer text, longest first: Chinese names
# as written, Latin ones casefolded with single spaces ("frankfurt am main").
_CHINESE = sorted((n for names, _p in _CITIES for n in names if _CJK.search(n)), key=len)[::-1]
_LATIN = sorted(
    (
        " ".join(n.casefold().replace("'", "").split())
        for names, _p in _CITIES
        for n in names
        if not _CJK.search(n)
    ),
    key=len,
    reverse=True,
)


def _find(text: str) -> str | None:
    """The key of the longest city of the table named inside ``text`` (a Chinese name
    anywhere: "浙江省杭州市西湖区"; a Latin one as whole words: "Hangzhou, Zhejiang", "10117
    Berlin", not "Parish"), or None."""
    text = text or ""
    squeezed = "".join(text.split())
    for name in _CHINESE:
        if name in squeezed:
            return _key(name)
    words = " ".join(re.sub(r"[^\w]+", " ", text.casefold().replace("'", "")).split())
    for name in _LATIN:
        if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", words):
            return _key(name)
    return None


def coordinates(city: str) -> tuple[float, float] | None:
    """(latitude, longitude) of ``city`` as people write it ("杭州", "浙江省杭州市西湖区",
    "Hangzhou, Zhejiang"), or None when no city of the table is named in it."""
    point = COORDINATES.get(_key(city))
    if point is not None:
        return point
    found = _find(city)
    return COORDINATES.get(found) if found else None


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points, in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def distance_km(from_city: str, to_city: str) -> float | None:
    """Kilometres between two cities; 0 for the same city (even one not in the table), None
    when either is unknown."""
    if _key(from_city) and _key(from_city) == _key(to_city):
        return 0.0
    a, b = coordinates(from_city), coordinates(to_city)
    if a is None or b is None:
        return None
    return haversine_km(a, b)


__all__ = ["COORDINATES", "coordinates", "distance_km", "haversine_km"]
