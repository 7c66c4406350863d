"""The words of the public lookup pages in Vietnamese, English and Chinese.

Vietnamese and English go through gettext (English source strings marked with gettext_noop,
looked up when a page is drawn). The project has no Chinese catalogue, so Chinese lives here
in `ZH`.
"""

from functools import lru_cache

from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _

LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English"), ("zh", "中文")]
LANGUAGE_CODES = [code for code, _name in LANGUAGES]

TEXT = {
    "title": _("Traceability stamp"),
    "lookup_title": _("Check a stamp or a code"),
    "status_genuine": _("Genuine stamp"),
    "status_genuine_help": _("This stamp was issued by the authority's traceability service."),
    "status_recalled": _("Recalled"),
    "status_recalled_help": _("This lot has been recalled. Do not eat or sell it."),
    "status_revoked": _("Code revoked"),
    "status_revoked_help": _("A planting-area or packing-house code of this lot has been revoked."),
    "status_suspended": _("Code suspended"),
    "status_suspended_help": _("A planting-area or packing-house code of this lot is suspended."),
    "status_voided": _("Stamp voided"),
    "status_voided_help": _("This stamp was cancelled by its packing house (a damaged label)."),
    "status_copy": _("Suspected copy"),
    "status_copy_help": _(
        "This stamp has been scanned in too many places or too far apart: it may be a copy."
    ),
    "status_forged": _("Not genuine"),
    "status_forged_help": _(
        "The code's signature does not match: this stamp was not issued by the service."
    ),
    "status_unknown": _("Unknown stamp"),
    "status_unknown_help": _("No stamp with this serial number is known."),
    "status_malformed": _("Unreadable code"),
    "status_malformed_help": _(
        "This is not a complete stamp code. Scan it again, or type the serial number below."
    ),
    "product": _("Product"),
    "variety": _("Variety"),
    "lot": _("Lot"),
    "serial": _("Serial number"),
    "planting_area": _("Planting area code"),
    "place": _("Commune, province"),
    "harvest_date": _("Harvest date"),
    "pack_date": _("Packing date"),
    "packing_house": _("Packing house"),
    "inspection": _("Phytosanitary inspection"),
    "no_inspection": _("No inspection recorded"),
    "certificates": _("Certificates"),
    "no_certificates": _("None recorded"),
    "chain": _("From farm to box"),
    "first_scan": _("First scanned"),
    "first_scan_here": _("This is the first scan of this stamp."),
    "near": _("near"),
    "place_unknown": _("place not shared"),
    "scans": _("Scans so far"),
    "visitors": _("Visitors so far (each counted once a day)"),
    "shipped_to": _("Shipped to"),
    "share_place": _("Share my approximate place"),
    "share_place_help": _(
        "Helps find copied stamps. Only a rough place (about 10 km) is kept, never your address."
    ),
    "place_thanks": _("Thank you: your approximate place was recorded."),
    "map": _("Map of the planting area (approximate)"),
    "map_no_script": _("The map needs JavaScript; the area lies within:"),
    "check_serial": _("Check a serial number"),
    "check_code": _("Check a planting-area or packing-house code"),
    "check": _("Check"),
    "code": _("Code"),
    "code_status": _("Status"),
    "markets": _("Markets"),
    "approved_markets": _("Approved by the importing country"),
    "code_not_found": _("No published code matches."),
    "too_many": _("Too many requests"),
    "too_many_help": _("Please wait a minute and try again."),
    "language": _("Language"),
    "service": _("AgriTrace public lookup"),
    "recall_reason": _("Reason"),
    "code_issued": _("Issued"),
    "code_suspended": _("Suspended"),
    "code_revoked": _("Revoked"),
    "step_commissioning": _("Harvested"),
    "step_harvesting": _("Harvested"),
    "step_packing": _("Packed"),
    "step_creating_class_instance": _("Processed"),
    "step_inspecting": _("Inspected"),
    "step_shipping": _("Shipped"),
    "step_receiving": _("Received"),
    "step_storing": _("Stored"),
    "step_transporting": _("Transported"),
    "step_holding": _("Held"),
    "step_loading": _("Loaded"),
    "step_departing": _("Departed"),
    "step_arriving": _("Arrived"),
    "step_sampling": _("Sampled"),
    "step_other": _("Other step"),
    "disp_conformant": _("passed"),
    "disp_non_conformant": _("failed"),
}

ZH = {
    "title": "溯源标签",
    "lookup_title": "查询标签或编码",
    "status_genuine": "正品标签",
    "status_genuine_help": "此标签由主管部门的溯源服务签发。",
    "status_recalled": "已召回",
    "status_recalled_help": "该批次已被召回，请勿食用或销售。",
    "status_revoked": "编码已撤销",
    "status_revoked_help": "该批次的种植区或包装厂编码已被撤销。",
    "status_suspended": "编码已暂停",
    "status_suspended_help": "该批次的种植区或包装厂编码已被暂停。",
    "status_voided": "标签已作废",
    "status_voided_help": "此标签已被包装厂作废（标签损坏）。",
    "status_copy": "疑似复制",
    "status_copy_help": "此标签在过多地点或相距过远的地点被扫描，可能是复制品。",
    "status_forged": "非正品",
    "status_forged_help": "编码签名不符：此标签并非由本服务签发。",
    "status_unknown": "未知标签",
    "status_unknown_help": "查无此序列号的标签。",
    "status_malformed": "无法识别的编码",
    "status_malformed_help": "这不是完整的标签编码。请重新扫描，或在下方输入序列号。",
    "product": "产品",
    "variety": "品种",
    "lot": "批次",
    "serial": "序列号",
    "planting_area": "种植区编码",
    "place": "乡镇、省份",
    "harvest_date": "采收日期",
    "pack_date": "包装日期",
    "packing_house": "包装厂",
    "inspection": "植物检疫",
    "no_inspection": "无检疫记录",
    "certificates": "认证",
    "no_certificates": "无记录",
    "chain": "从果园到包装箱",
    "first_scan": "首次扫描",
    "first_scan_here": "这是此标签的首次扫描。",
    "near": "附近",
    "place_unknown": "未提供位置",
    "scans": "已扫描次数",
    "visitors": "访问人数（每人每天计一次）",
    "shipped_to": "发往",
    "share_place": "分享我的大致位置",
    "share_place_help": "有助于发现复制标签。仅保存大致位置（约10公里），绝不保存您的地址。",
    "place_thanks": "谢谢：已记录您的大致位置。",
    "map": "种植区地图（大致范围）",
    "map_no_script": "地图需要JavaScript；种植区位于：",
    "check_serial": "查询序列号",
    "check_code": "查询种植区或包装厂编码",
    "check": "查询",
    "code": "编码",
    "code_status": "状态",
    "markets": "市场",
    "approved_markets": "进口国已批准",
    "code_not_found": "没有匹配的已公布编码。",
    "too_many": "请求过多",
    "too_many_help": "请稍候一分钟再试。",
    "language": "语言",
    "service": "AgriTrace 公共查询",
    "recall_reason": "原因",
    "code_issued": "有效",
    "code_suspended": "已暂停",
    "code_revoked": "已撤销",
    "step_commissioning": "采收",
    "step_harvesting": "采收",
    "step_packing": "包装",
    "step_creating_class_instance": "加工",
    "step_inspecting": "检验",
    "step_shipping": "发运",
    "step_receiving": "接收",
    "step_storing": "储存",
    "step_transporting": "运输",
    "step_holding": "暂扣",
    "step_loading": "装载",
    "step_departing": "启运",
    "step_arriving": "到达",
    "step_sampling": "抽样",
    "step_other": "其他环节",
    "disp_conformant": "合格",
    "disp_non_conformant": "不合格",
}

CROPS_ZH = {
    "durian": "榴莲",
    "coffee": "咖啡",
    "rice": "大米",
    "mango": "芒果",
    "dragon-fruit": "火龙果",
    "passion-fruit": "百香果",
    "banana": "香蕉",
    "pepper": "胡椒",
    "tea": "茶叶",
    "dried-tea": "干茶",
    "milled-rice": "大米",
}

#: Vietnamese for strings added since the catalogue was last translated: used only while
#: the catalogue has no entry (the translation pass moves them into the .po file).
VI_PENDING = {
    "visitors": "Số người đã xem (mỗi người tính một lần mỗi ngày)",
    "shipped_to": "Nơi lô hàng được gửi đến",
    "step_creating_class_instance": "Chế biến",
}

#: The markets' names in Chinese (registry.Market codes), for the "shipped to" line.
COUNTRIES_ZH = {
    "AU": "澳大利亚",
    "CN": "中国",
    "EU": "欧盟",
    "JP": "日本",
    "KR": "韩国",
    "NZ": "新西兰",
    "US": "美国",
    "VN": "越南国内",
}


def texts(lang: str) -> dict[str, str]:
    """Every string of the public pages in one language (a copy: the caller may add to it)."""
    return dict(_texts(lang))


@lru_cache(maxsize=8)
def _texts(lang: str) -> dict[str, str]:
    """Translated once per language and process: the catalogues do not change while the
    service runs, and every scan draws these ~80 strings."""
    if lang == "zh":
        return {k: ZH.get(k) or v for k, v in TEXT.items()}
    with translation.override(lang):
        words = {key: gettext(source) for key, source in TEXT.items()}
    if lang == "vi":  # strings added after the last translation pass
        words.update({k: v for k, v in VI_PENDING.items() if words.get(k) == TEXT[k]})
    return words
