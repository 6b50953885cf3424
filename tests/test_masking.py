"""Masking of 身份证号 and mobile numbers (``findings.masking``).

A table of the ways a number is written, masked, and of the digit runs that are not
personal numbers, left alone.
"""
from __future__ import annotations

import pytest

from govcheck.engine.findings.masking import fold, mask_text

MASKED = [
    # 18-character IDs, X last, and the old 15 digits
    ("430502199001011234", "430502********1234"),
    ("43050219900101123X", "430502********123X"),
    ("43050219900101123x", "430502********123x"),
    ("身份证号430502199001011234。", "身份证号430502********1234。"),
    ("430502900101123", "430502******123"),
    ("身份证:430502900101123;", "身份证:430502******123;"),
    # IDs with their groups apart
    ("430502 19900101 1234", "430502 ******** 1234"),
    ("430502-19900101-123X", "430502-********-123X"),
    ("430502 1990 0101 1234", "430502 **** **** 1234"),
    ("430502 900101 123", "430502 ****** 123"),
    # full width, kept full width (the display width stays)
    ("４３０５０２１９９００１０１１２３Ｘ", "４３０５０２＊＊＊＊＊＊＊＊１２３Ｘ"),
    ("１３８１２３４５６７８", "１３８＊＊＊＊５６７８"),
    ("１３８－１２３４－５６７８", "１３８－＊＊＊＊－５６７８"),
    ("138\u30001234\u30005678", "138\u3000****\u30005678"),        # ideographic spaces
    # mobiles with separators and country codes
    ("13812345678", "138****5678"),
    ("电话:13812345678,", "电话:138****5678,"),
    ("138-1234-5678", "138-****-5678"),
    ("138 1234 5678", "138 **** 5678"),
    ("138.1234.5678", "138.****.5678"),
    ("138–1234–5678", "138–****–5678"),                                # en dashes
    ("1381234 5678", "138**** 5678"),
    ("+86 13812345678", "+86 138****5678"),
    ("+8613812345678", "+86138****5678"),
    ("+86-138-1234-5678", "+86-138-****-5678"),
    ("＋８６ １３８ １２３４ ５６７８", "＋８６ １３８ ＊＊＊＊ ５６７８"),
    ("8613812345678", "86138****5678"),
    ("0086 13812345678", "0086 138****5678"),
    ("LY13812345678", "LY138****5678"),
    ("2021-09-30 13812345678", "2021-09-30 138****5678"),
    ("联系人 13812345678、13987654321", "联系人 138****5678、139****4321"),
] + [(f"{prefix}12345678", f"{prefix}****5678") for prefix in range(130, 200)]

LEFT_ALONE = [
    "20210930123456789012",                 # a 20-digit 工单号
    "GD2021093013812345678001",             # digits of a mobile inside a longer run
    "4305021990010112345",                  # 19 digits
    "430502199013011234",                   # no 13th month: not an ID
    "138123456789",                         # 12 digits
    "1381234567",                           # 10 digits
    "2021-09-30", "2021-09-30 10:00:00", "2021.09.30", "20210930",
    "13.5", "1,381,234,567.50", "¥13812345.67",
    "留言编号LY202100211", "SY2021000123",
    "12345", "0739-5321234",                 # the hotline, a landline
    *(f"{prefix}12345678" for prefix in range(100, 130)),
]


@pytest.mark.parametrize("raw, masked", MASKED)
def test_masked(raw, masked):
    assert mask_text(raw) == masked


@pytest.mark.parametrize("raw", LEFT_ALONE)
def test_left_alone(raw):
    assert mask_text(raw) == raw


def test_fold_keeps_the_length_and_makes_width_and_dashes_plain():
    assert fold("１３８－１２３４．５６７８\u3000Ｘ—") == "138-1234.5678 X-"
    assert fold("身份证") == "身份证"
