"""Public facts about Shanghai as data: the shape the synthetic city is drawn from.

Populations are the 7th national census (1 November 2020). Shares and distributions that the census
bulletin does not publish at this grain (household sizes, migrant shares per district, surnames) are
plausible approximations, tuned so that the city-wide figures match the published ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

CENSUS_TOTAL = 24_870_895
CENTRAL_TOTAL = 6_683_712  # 中心城区: Huangpu, Xuhui, Changning, Jing'an, Putuo, Hongkou, Yangpu
PUDONG_TOTAL = 5_681_512
SUBURBAN_TOTAL = 12_505_671  # 郊区: Minhang, Baoshan, Jiading, Jinshan, Songjiang, Qingpu, Fengxian, Chongming

# Ages are counted on the day the west block started (and the campaign's reference day).
REFERENCE_DATE = date(2022, 4, 1)


@dataclass(frozen=True, slots=True)
class District:
    code: str
    name: str
    name_en: str
    group: str  # "central", "pudong" or "suburban", as the census bulletin groups them
    population: int
    lat: float
    lon: float
    radius_km: float  # about sqrt(land area / pi): how far its places scatter from the centre
    subdistricts: int  # 街道
    towns: int  # 镇 and 乡
    migrant_weight: float  # relative share registered elsewhere; rescaled to the city's 42.1%
    block: str  # "east" or "west" of the Huangpu


# The district figures as remembered from the district bulletins add up to 42 more than the published
# central-city total and 2 fewer than the suburban total; Yangpu was lowered by 42 and Minhang raised by 2
# so that the three group totals and the city total match the published ones exactly.
DISTRICTS: tuple[District, ...] = (
    District("310101", "黄浦区", "Huangpu", "central", 662_030, 31.2317, 121.4846, 2.5, 10, 0, 0.55, "west"),
    District("310104", "徐汇区", "Xuhui", "central", 1_113_078, 31.1885, 121.4365, 4.2, 12, 1, 0.65, "west"),
    District("310105", "长宁区", "Changning", "central", 693_051, 31.2204, 121.4245, 3.5, 9, 1, 0.65, "west"),
    District("310106", "静安区", "Jing'an", "central", 975_707, 31.2486, 121.4555, 3.4, 13, 1, 0.6, "west"),
    District("310107", "普陀区", "Putuo", "central", 1_239_842, 31.2494, 121.3970, 4.2, 8, 2, 0.7, "west"),
    District("310109", "虹口区", "Hongkou", "central", 757_498, 31.2646, 121.5050, 2.7, 8, 0, 0.55, "west"),
    District("310110", "杨浦区", "Yangpu", "central", 1_242_506, 31.2833, 121.5260, 4.4, 12, 0, 0.65, "west"),
    District("310112", "闵行区", "Minhang", "suburban", 2_653_491, 31.1130, 121.3817, 10.9, 4, 9, 1.2, "west"),
    District("310113", "宝山区", "Baoshan", "suburban", 2_235_218, 31.4050, 121.4890, 9.3, 3, 9, 1.05, "west"),
    District("310114", "嘉定区", "Jiading", "suburban", 1_834_258, 31.3747, 121.2654, 12.2, 3, 7, 1.3, "west"),
    District("310115", "浦东新区", "Pudong", "pudong", 5_681_512, 31.2215, 121.5447, 19.6, 12, 24, 1.0, "east"),
    District("310116", "金山区", "Jinshan", "suburban", 822_776, 30.7419, 121.3422, 13.7, 1, 9, 0.7, "east"),
    District("310117", "松江区", "Songjiang", "suburban", 1_909_713, 31.0323, 121.2277, 13.9, 6, 11, 1.4, "west"),
    District("310118", "青浦区", "Qingpu", "suburban", 1_271_424, 31.1497, 121.1244, 14.6, 3, 8, 1.35, "west"),
    District("310120", "奉贤区", "Fengxian", "suburban", 1_140_872, 30.9179, 121.4740, 14.8, 3, 8, 1.15, "east"),
    District("310151", "崇明区", "Chongming", "suburban", 637_919, 31.6228, 121.3973, 19.4, 0, 18, 0.35, "west"),
)

CITY_CODE = "310000"
CITY_NAME = "上海市"
CITY_NAME_EN = "Shanghai"
CITY_LAT, CITY_LON = 31.2304, 121.4737


@dataclass(frozen=True, slots=True)
class BlockFact:
    code: str
    name: str
    name_en: str
    start_date: date
    end_date: date


# The two batches announced on 27 March 2022, with the end dates of the original plan.
BLOCKS: tuple[BlockFact, ...] = (
    BlockFact("east", "浦东及浦南", "Pudong and south of the Huangpu", date(2022, 3, 28), date(2022, 4, 1)),
    BlockFact("west", "浦西", "Puxi", date(2022, 4, 1), date(2022, 4, 5)),
)

# About 6,000 residents' and village committees for the full city: one per ~4,145 residents.
PERSONS_PER_COMMITTEE = 4_145
VILLAGE_SHARE_IN_TOWNS = 0.4  # share of a town's committees that are village committees (村委会)

MALE_SHARE = 0.518  # census: 51.8 %
REGISTERED_ELSEWHERE_SHARE = 0.421  # census: 外省市来沪常住人口 42.1 %
FOREIGN_SHARE = 0.005  # passports and permanent-residence cards (approximate)
HMT_SHARE = 0.003  # Hong Kong, Macao and Taiwan residents (approximate)
# The census counts ~10 % in collective households (many are 1-3 person work units); here collective
# households are the dormitories and care homes a door-knocking team meets: ~7 % of persons, 4-40 each.
COLLECTIVE_SHARE = 0.07
COLLECTIVE_SIZE = (4, 40)

# Family household sizes 1..6 with mean 2.32, the census average.
FAMILY_SIZE_SHARES = (0.27, 0.35, 0.245, 0.08, 0.035, 0.02)

# Census age bands (share of persons, percent): 0-14 9.8, 15-59 66.8, 60+ 23.4 of which 65+ 16.3.
# Within each band the relative weights per year of age are a plausible shape (few births recently,
# a bulge of working-age migrants, a thinning tail to 100).
AGE_BANDS: tuple[tuple[int, int, float], ...] = ((0, 14, 9.8), (15, 59, 66.8), (60, 64, 7.1), (65, 100, 16.3))
MAX_AGE = 100


def age_weight(age: int) -> float:
    """Relative weight of one year of age inside its census band (see AGE_BANDS)."""
    if age < 15:
        return (0.8, 0.85, 0.9)[age] if age < 3 else 1.0
    if age < 60:
        return (0.6, 0.9, 1.2, 1.35, 1.2, 1.0, 0.95, 1.0, 1.0)[(age - 15) // 5]
    if age < 65:
        return 1.0
    # Five-year groups 65-69 ... 95-100 carry 5.6, 4.5, 2.5, 1.7, 1.3, 0.55, 0.15 percent.
    group = min((age - 65) // 5, 6)
    return (5.6, 4.5, 2.5, 1.7, 1.3, 0.55, 0.15 * 5 / 6)[group]


DOOR_BEDRIDDEN_SHARE_60 = 0.005  # of persons 60+
DOOR_DISABLED_SHARE = 0.015
DOOR_ISOLATION_SHARE = 0.002
VERY_OLD_AGE = 85
# "infant" means under one year: those cannot stand in a queue and are swabbed at home.
INFANT_AGE = 1

# Share of persons with a mobile phone by age; children under 12 have none.
PHONE_SHARE_BY_AGE: tuple[tuple[int, float], ...] = ((12, 0.0), (18, 0.6), (70, 0.97), (85, 0.8), (200, 0.5))
MOBILE_PREFIXES = (
    *range(130, 140),
    *range(150, 154),
    *range(155, 160),
    166,
    *range(175, 179),
    *range(180, 190),
    191,
    198,
    199,
)

# Where the 42 % registered elsewhere come from: district-level region codes, weighted roughly by the
# provinces that send most people to Shanghai (Anhui, Jiangsu, Henan, Sichuan, Jiangxi, Zhejiang, ...).
OTHER_REGIONS: tuple[tuple[str, float], ...] = (
    ("340104", 8),
    ("340102", 5),
    ("341202", 6),
    ("340302", 4),
    ("341502", 4),
    ("320102", 4),
    ("320583", 3),
    ("320902", 3),
    ("321302", 3),
    ("320311", 3),
    ("410102", 3),
    ("411502", 3),
    ("411302", 3),
    ("510104", 3),
    ("511102", 2),
    ("360102", 3),
    ("361102", 3),
    ("330106", 3),
    ("330203", 2),
    ("331002", 1),
    ("420102", 2),
    ("421102", 2),
    ("370102", 2),
    ("371302", 2),
    ("350102", 2),
    ("350582", 1),
    ("430102", 2),
    ("500103", 1),
    ("130102", 1),
    ("140105", 1),
    ("210102", 1),
    ("220102", 1),
    ("230102", 1),
    ("440104", 1),
    ("450102", 1),
    ("520102", 1),
    ("530102", 1),
    ("610102", 1),
    ("620102", 1),
    ("110101", 1),
    ("120101", 1),
)

# Surnames with rough national frequencies (percent), plus rare compound surnames.
SURNAMES: tuple[tuple[str, float], ...] = tuple(
    (s, float(w))
    for s, w in zip(
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任"
        "卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万钱戴严莫孔向常汤",
        (
            [
                7.1,
                7.0,
                6.8,
                5.4,
                4.6,
                3.1,
                2.5,
                2.3,
                2.0,
                2.0,
                1.5,
                1.5,
                1.4,
                1.3,
                1.3,
                1.2,
                1.2,
                1.1,
                1.1,
                1.1,
            ]
            + [1.0, 1.0]
            + [0.8] * 3
            + [0.7] * 6
            + [0.6] * 5
            + [0.5] * 12
            + [0.4] * 12
            + [0.3] * 20
            + [0.2] * 19
        ),
        strict=True,
    )
) + (("欧阳", 0.04), ("司马", 0.01), ("上官", 0.01), ("诸葛", 0.01), ("东方", 0.005), ("皇甫", 0.005))

GIVEN_MALE = (
    "伟刚勇毅俊峰强军平东文辉力明永健志兴良海山波宁福龙国胜学祥才武"
    "新利清飞彬杰涛成康星光天达安林博诚磊民浩亮斌栋鹏泽晨宇轩睿航铭昊"
)
GIVEN_FEMALE = (
    "秀娟英华慧美娜静淑惠玉萍红玲芬芳燕春兰凤洁梅琳云雪荣霞艳佳嘉琼珍莉桂晶妍倩婷颖怡丹蓉琴薇梦岚馨悦欣晓丽雯萱雨婕瑶涵"
)
TWO_CHARACTER_GIVEN_SHARE = 0.75

FOREIGN_SURNAMES = [
    "SMITH",
    "JOHNSON",
    "BROWN",
    "MILLER",
    "WILSON",
    "TAYLOR",
    "MARTIN",
    "DUBOIS",
    "MULLER",
    "SCHMIDT",
    "ROSSI",
    "GARCIA",
    "TANAKA",
    "SATO",
    "SUZUKI",
    "KIM",
    "LEE",
    "PARK",
    "NGUYEN",
    "TAN",
]
FOREIGN_GIVEN = [
    "JOHN",
    "MARY",
    "DAVID",
    "ANNA",
    "PETER",
    "EMMA",
    "THOMAS",
    "SOPHIE",
    "LUCA",
    "MARIE",
    "CARLOS",
    "YUKI",
    "HIROSHI",
    "MINJI",
    "JIHOON",
]
FOREIGN_PR_COUNTRIES = ("USA", "JPN", "KOR", "FRA", "DEU", "GBR", "CAN", "AUS", "SGP", "ITA")
PASSPORT_PREFIXES = ("P", "M", "TK", "X", "E", "K")

# Characters for generated place names, with their pinyin for the English names.
PLACE_SYLLABLES: tuple[tuple[str, str], ...] = tuple(
    zip(
        "华新江桥泾浦川安康宁平阳山湖塘港金东西南北中兴昌明光春秋枫松柳梅兰龙虹丰盛泰和嘉福德永长乐庆林云翠星月清源汇盈祥瑞锦",
        [
            "Hua",
            "Xin",
            "Jiang",
            "Qiao",
            "Jing",
            "Pu",
            "Chuan",
            "An",
            "Kang",
            "Ning",
            "Ping",
            "Yang",
            "Shan",
            "Hu",
            "Tang",
            "Gang",
            "Jin",
            "Dong",
            "Xi",
            "Nan",
            "Bei",
            "Zhong",
            "Xing",
            "Chang",
            "Ming",
            "Guang",
            "Chun",
            "Qiu",
            "Feng",
            "Song",
            "Liu",
            "Mei",
            "Lan",
            "Long",
            "Hong",
            "Feng",
            "Sheng",
            "Tai",
            "He",
            "Jia",
            "Fu",
            "De",
            "Yong",
            "Chang",
            "Le",
            "Qing",
            "Lin",
            "Yun",
            "Cui",
            "Xing",
            "Yue",
            "Qing",
            "Yuan",
            "Hui",
            "Ying",
            "Xiang",
            "Rui",
            "Jin",
        ],
        strict=True,
    )
)
