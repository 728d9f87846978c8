"""Where cities are, for "nearest auditor first" suggestions.

A small fixed table, not a geocoder: the Chinese cities the demo data and most clients use
(Chinese and English names) and a few major foreign ones. An unknown city has no coordinates;
callers sort it last. Distances are great-circle (haversine) kilometres, which is enough to
rank auditors by travel.
"""

import math

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
    (("香港", "Hong Kong"), (22.3193, 114.1694)),
    (("台北", "Taipei"), (25.0330, 121.5654)),
    (("新加坡", "Singapore"), (1.3521, 103.8198)),
    (("东京", "Tokyo"), (35.6762, 139.6503)),
    (("首尔", "Seoul"), (37.5665, 126.9780)),
    (("伦敦", "London"), (51.5074, -0.1278)),
    (("法兰克福", "Frankfurt", "Frankfurt am Main"), (50.1109, 8.6821)),
    (("慕尼黑", "Munich", "München"), (48.1351, 11.5820)),
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


def coordinates(city: str) -> tuple[float, float] | None:
    """(latitude, longitude) of ``city``, or None when it is not in the table."""
    return COORDINATES.get(_key(city))


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
