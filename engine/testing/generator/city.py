"""The city a log is about (邵阳): its units, the systems that record events, who works when.

Nothing here is drawn: these are the fixed facts every scenario and the grid pick from.
"""
from __future__ import annotations

#: 邵阳's counties, county-level cities, districts and the development zone named in the
#: work-point documents (../shared/seeds), and the 市直 departments they name, each by the one
#: convention of rules/vocabulary.yaml ("单位命名约定"): a government by its place, a
#: department by its city and the short name of the documents' 分工.
COUNTIES = ("邵东市", "武冈市", "新邵县", "邵阳县", "隆回县", "洞口县", "绥宁县", "新宁县",
            "城步县", "大祥区", "双清区", "北塔区", "邵阳经开区")
DEPARTMENTS = tuple("邵阳市" + d for d in (
    "行政审批服务局", "发展改革委", "教育局", "工信局", "公安局", "民政局", "司法局", "财政局",
    "人社局", "自然资源和规划局", "生态环境局", "住建局", "城市管理局", "交通运输局",
    "农业农村局", "商务局", "文旅广体局", "卫生健康委", "应急管理局", "市场监管局", "医保局",
    "税务局", "科技局", "乡村振兴局"))
UNITS = COUNTIES + DEPARTMENTS

#: Systems whose cases citizens open, at any hour of any day.
PUBLIC_SYSTEMS = ("留言板/市长信箱", "12345热线", "好差评系统")
#: Case id prefixes by recording system.
SYSTEM_CODES = {"留言板/市长信箱": "LY", "12345热线": "RX", "审批系统": "SP",
                "电子监察(红黄牌)": "JC", "政务公开平台": "GK", "财政": "CZ", "好差评系统": "PJ",
                "网站管理": "WZ"}
#: How many cases a system produces relative to the others (a city-year's proportions).
VOLUME = {"12345热线": 8.0, "留言板/市长信箱": 6.0, "审批系统": 4.0, "好差评系统": 2.0}

OFFICE_START = 8 * 3600 + 30 * 60       # 08:30
OFFICE_SPAN = 9 * 3600                  # to 17:30
NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周婷", "吴刚",
         "徐丽", "孙浩", "胡军", "朱琳", "高峰", "林雪", "何勇", "郭靖", "马超", "罗敏")


def case_prefix(system: str, year: int) -> str:
    """The start of a case id: the recording system's code and the year (``RX2022``)."""
    return f"{SYSTEM_CODES.get(system, 'SJ')}{year}"
