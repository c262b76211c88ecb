"""Value detectors: does a sampled value have the shape of an SSN, an MBI, an ICD-10 code ...

Each detector is a regular expression anchored to a whole line plus an optional validity
check. The engine joins a field's sampled values with newlines and runs ``findall`` once per
detector, so the regex engine does the looping in C; validity checks (SSN area/group/serial,
VIN check digit, LOINC check digit, IP ranges) then run only on the lines that matched. Rule
files refer to detectors by name; the set is code, because a detector is logic, not data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from accord.catalog.classifier.values import (
    valid_ip,
    valid_loinc,
    valid_nanp,
    valid_ssn,
    valid_vin,
)

Validator = Callable[[str], bool]


@dataclass(frozen=True)
class Detector:
    """A whole-value pattern, what to call it in a reason, and an optional validity check.

    ``distinctive`` formats (e-mail, dated values, dashed SSNs) are rarely anything else;
    the others (ICD, LOINC, ZIP shapes) are shared with other codes, so the engine lets their
    value-only evidence yield to a name that points elsewhere.

    ``needs`` lists characters at least one of which must occur in the sample, ``width``
    bounds the length of a matching value, and ``gate`` is a cheap unanchored search: they let
    the engine skip most detectors on most fields. ``lower`` detectors see lower-cased text,
    which is much faster than a case-insensitive regex.
    """

    name: str
    description: str
    pattern: re.Pattern[str]
    validate: Validator | None = None
    valid_note: str = ""
    invalid_note: str = ""
    needs: str = ""
    gate: re.Pattern[str] | None = None
    lower: bool = False
    distinctive: bool = False
    width: tuple[int, int] = (1, 10_000)

    def single(self) -> re.Pattern[str]:
        """The same format for one value on its own (``fullmatch``), used to probe."""
        return re.compile(self.pattern.pattern[1:-1], self.pattern.flags & ~re.MULTILINE)

    def count(self, joined: str) -> tuple[int, int]:
        """(values matching the format, values that also pass the validity check)."""
        if self.gate is not None and self.gate.search(joined) is None:
            return 0, 0
        found = self.pattern.findall(joined)
        if self.validate is None:
            return len(found), len(found)
        check = self.validate
        return len(found), sum(1 for value in found if check(value))


def _lines(body: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(rf"^(?:{body})$", re.MULTILINE | flags)


def _keywords(name: str, description: str, words: str, gate: str = "") -> Detector:
    """Values containing one of ``words`` (lower-case), e.g. a race category.

    The gate has no leading ``\\b``, which would stop the regex engine from skipping ahead to a
    possible first letter; a false hit only costs one full count.
    """
    return Detector(
        name,
        description,
        re.compile(rf"^[^\n]*?\b(?:{words})\b[^\n]*$", re.MULTILINE),
        gate=re.compile(gate or words),
        lower=True,
    )


_MBI_L = "[AC-HJKMNP-RT-Y]"  # letters allowed in an MBI: no S, L, O, I, B, Z
_MBI_A = "[AC-HJKMNP-RT-Y0-9]"
_DIGITS = "0123456789"
_DATE = (  # ISO (with an optional time), US m/d/y, yyyymmdd, mmddyyyy, d-Mon-y; years 1800-2199
    r"(?:1[89]|2[01])\d\d-(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\d|3[01])"
    r"(?:[T ][0-9:.]+(?:Z|[+-][0-9:]+)?)?"
    r"|(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])/(?:1[89]|2[01])?\d\d"
    r"(?: [0-9:]+(?: ?[AaPp][Mm])?)?"
    r"|(?:1[89]|2[01])\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"|(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:1[89]|2[01])\d\d"
    r"|(?:0?[1-9]|[12]\d|3[01])[- ]?(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[- ]?"
    r"(?:1[89]|2[01])?\d\d"
)
_STREET = (
    r"\d{1,6}[a-z]? (?:[nsew]\.? )?[a-z0-9 .'-]{1,40}? (?:st|street|ave|avenue|rd|road|blvd|dr|"
    r"drive|ln|lane|way|ct|court|pl|place|cir|circle|hwy|highway|pkwy|ter|terrace|trl)\.?"
    r"(?:,? (?:apt|unit|ste|suite|#) ?[a-z0-9-]+)?(?:,? [a-z0-9 ,.#-]*)?"
)
_DRUG_ENDINGS = (  # generic-name stems (WHO INN style) and a few common whole names
    "pril|sartan|statin|olol|dipine|formin|gliptin|glutide|prazole|tidine|oxetine|azepam|"
    "azolam|cillin|mycin|floxacin|cycline|azole|vir|mab|nib|triptan|caine|sone|olone|parin|"
    "xaban|profen|codone|lukast|semide|thiazide|tropium|terol|morphine|fentanyl|insulin|"
    "aspirin|acetaminophen"
)
_DOSE_UNITS = "mg|mcg|ml|units?|iu|meq"

DETECTORS: Mapping[str, Detector] = {
    d.name: d
    for d in (
        Detector(
            "ssn",
            "the SSN pattern",
            _lines(r"\d{3}[- ]\d{2}[- ]\d{4}"),
            valid_ssn,
            "with valid area/group/serial",
            "are SSN-formatted but invalid (area 000/666/9xx, group 00 or serial 0000)",
            distinctive=True,
            width=(11, 11),
            needs="- ",
        ),
        Detector(
            "digits9",
            "a 9-digit number (the unformatted SSN shape)",
            _lines(r"\d{9}"),
            valid_ssn,
            "with valid area/group/serial",
            "are 9-digit numbers that are not valid SSNs",
            width=(9, 9),
            needs=_DIGITS,
        ),
        Detector(
            "cin",
            "the Medi-Cal CIN format (8 digits and a letter)",
            _lines(r"\d{8}[A-Z]"),
            width=(9, 9),
            needs=_DIGITS,
        ),
        Detector(
            "mbi",
            "the Medicare MBI format",
            _lines(rf"[1-9]{_MBI_L}{_MBI_A}\d-?{_MBI_L}{_MBI_A}\d-?{_MBI_L}{_MBI_L}\d\d"),
            distinctive=True,
            width=(11, 13),
            needs=_DIGITS,
        ),
        Detector(
            "hicn",
            "the legacy Medicare HICN format",
            _lines(r"\d{9}[A-Z][A-Z0-9]?"),
            width=(10, 11),
            needs=_DIGITS,
        ),
        Detector(
            "email",
            "an e-mail address",
            _lines(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}"),
            distinctive=True,
            width=(5, 254),
            needs="@",
        ),
        Detector(
            "phone",
            "a formatted US telephone number",
            _lines(r"(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?: ?x\d{1,5})?"),
            valid_nanp,
            "with a valid area code and exchange",
            "look like phone numbers but have an invalid area code or exchange",
            distinctive=True,
            width=(12, 24),
            needs=" .-",
        ),
        Detector(
            "url",
            "a web address",
            _lines(r"(?:https?|ftp)://\S+|www\.\S+"),
            distinctive=True,
            width=(5, 4000),
            needs="/w",
        ),
        Detector(
            "ip",
            "an IPv4 or IPv6 address",
            _lines(r"\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}"),
            valid_ip,
            "in valid ranges",
            "have the shape of an IP address but are out of range",
            distinctive=True,
            width=(2, 45),
            needs=".:",
        ),
        Detector(
            "date", "a calendar date", _lines(_DATE), distinctive=True, width=(6, 40), needs=_DIGITS
        ),
        Detector(
            "day_or_month",
            "a day or month number",
            _lines(r"0?[1-9]|[12]\d|3[01]"),
            width=(1, 2),
            needs=_DIGITS,
        ),
        Detector(
            "zip",
            "a 5-digit or ZIP+4 code",
            _lines(r"\d{5}(?:-\d{4})?"),
            width=(5, 10),
            needs=_DIGITS,
        ),
        Detector(
            "street",
            "a street address",
            _lines(_STREET),
            distinctive=True,
            width=(8, 300),
            needs=_DIGITS,
            lower=True,
        ),
        Detector(
            "latlong",
            "a latitude or longitude",
            _lines(r"-?\d{1,3}\.\d{4,}(?:, ?-?\d{1,3}\.\d{4,})?"),
            width=(6, 45),
            needs=".",
        ),
        Detector(
            "vin",
            "the 17-character VIN format",
            _lines(r"[A-HJ-NPR-Z0-9]{17}"),
            valid_vin,
            "with a correct check digit",
            "have the VIN shape but a wrong check digit",
            distinctive=True,
            width=(17, 17),
            needs=_DIGITS,
        ),
        Detector(
            "icd10cm_dotted",
            "the ICD-10-CM code format with its dot",
            _lines(r"[A-Z]\d[0-9AB]\.[0-9A-Z]{1,4}"),
            width=(5, 8),
            needs=_DIGITS,
        ),
        Detector(
            "icd10cm",
            "the ICD-10-CM code format (without a dot, which other codes share)",
            _lines(r"[A-Z]\d[0-9AB](?:\.?[0-9A-Z]{1,4})?"),
            width=(3, 7),
            needs=_DIGITS,
        ),
        Detector(
            "icd9",
            "the ICD-9-CM code format",
            _lines(r"(?:\d{3}|V\d\d)\.\d{1,2}|E\d{3}\.\d"),
            width=(5, 6),
            needs=".",
        ),
        Detector(
            "icd10pcs",
            "the 7-character ICD-10-PCS format",
            _lines(r"(?=[0-9A-HJ-NP-Z]*\d)(?=[0-9A-HJ-NP-Z]*[A-Z])[0-9A-HJ-NP-Z]{7}"),
            width=(7, 7),
            needs=_DIGITS,
        ),
        Detector(
            "cpt",
            "the 5-character CPT format",
            _lines(r"\d{4}[0-9FTU]"),
            width=(5, 5),
            needs=_DIGITS,
        ),
        Detector(
            "hcpcs",
            "the HCPCS Level II format (a letter and 4 digits)",
            _lines(r"[A-V]\d{4}"),
            width=(5, 5),
            needs=_DIGITS,
        ),
        Detector(
            "ndc",
            "an NDC in a dashed format",
            _lines(r"\d{4}-\d{4}-\d{2}|\d{5}-\d{3,4}-\d{1,2}"),
            width=(12, 13),
            needs="-",
        ),
        Detector(
            "loinc",
            "the LOINC code format",
            _lines(r"\d{1,5}-\d"),
            valid_loinc,
            "with a correct check digit",
            "have the LOINC shape but a wrong check digit",
            width=(3, 7),
            needs="-",
        ),
        Detector(
            "lab_result",
            "a measurement with a lab unit",
            _lines(r"[<>]?=? ?-?\d+(?:\.\d+)? ?(?:mg/dl|mmol/l|g/dl|u/l|iu/l|%|k/ul|ng/ml|meq/l)"),
            width=(2, 40),
            needs="%/",
            lower=True,
        ),
        Detector(
            "person_ref",
            "a reference to a person record (Patient/..., Person/...)",
            _lines(r"(?:Patient|Person|RelatedPerson|Member|Client)/[A-Za-z0-9.-]+"),
            distinctive=True,
            width=(6, 200),
            needs="/",
        ),
        # Gates are plain alternations of literals, which the regex engine scans quickly.
        _keywords("drug", "a drug name", rf"[a-z]*(?:{_DRUG_ENDINGS})", rf"(?:{_DRUG_ENDINGS})\b"),
        _keywords(
            "dose",
            "a dose with its unit",
            rf"\d+(?:\.\d+)? ?(?:{_DOSE_UNITS})(?:/(?:ml|hr|kg|dose))?",
            rf"(?:{_DOSE_UNITS})\b",
        ),
        _keywords(
            "race",
            "a race or ethnicity category",
            r"white|black|african american|asian|american indian|alaska native|pacific islander|"
            r"native hawaiian|hispanic|latin[oax]|multiracial|two or more races",
        ),
        _keywords(
            "sogi",
            "a sexual orientation or gender identity category",
            r"lesbian|gay|bisexual|heterosexual|straight|transgender|trans (?:wo)?man|non-?binary|"
            r"genderqueer|queer|questioning|two-spirit",
        ),
        _keywords(
            "immigration",
            "an immigration or citizenship status",
            r"citizen|non-?citizen|naturali[sz]ed|lawful permanent|permanent resident|refugee|"
            r"asylee|undocumented|qualified alien|green card|daca|visa",
        ),
        _keywords(
            "benefits",
            "a public benefit programme",
            r"calfresh|snap|tanf|calworks|ssi|ssdi|wic|medi-cal|medicaid|chip|food stamps|"
            r"section 8|general assistance|liheap",
        ),
        _keywords(
            "image",
            "an image reference or encoded image",
            r"[\w/.-]+\.(?:jpe?g|png|gif|bmp|tiff?|heic)|data:image/\S+|/9j/\S+|ivbor\S+",
            r"\.(?:jpe?g|png|gif|bmp|tiff?|heic)\b|data:image/|/9j/|ivbor",
        ),
    )
}
