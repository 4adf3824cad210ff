"""Masking of personal data in free text (comments), and control-character cleaning."""

from __future__ import annotations

import pytest

from storage.masking import EMAIL_MASK, NIK_MASK, PHONE_MASK, clean_text, mask_personal_data


@pytest.mark.parametrize(
    "nik",
    [
        "3201010101900001",
        "3201 0101 0190 0001",
        "3201-0101-0190-0001",
        "3201.0101.0190.0001",
        "320101 010190 0001",
    ],
)
def test_nik_is_masked(nik: str):
    assert (
        mask_personal_data(f"NIK saya {nik}, tolong dicek.")
        == f"NIK saya {NIK_MASK}, tolong dicek."
    )


def test_nik_at_the_edges_and_on_its_own_line():
    assert mask_personal_data("3201010101900001") == NIK_MASK
    assert (
        mask_personal_data("KK:\n3201010101900002\nterima kasih")
        == f"KK:\n{NIK_MASK}\nterima kasih"
    )


@pytest.mark.parametrize(
    "phone",
    [
        "081234567890",
        "0812-3456-7890",
        "0812 3456 7890",
        "0812.3456.7890",
        "08123456789",
        "0811234567",
        "+6281234567890",
        "+62 812 3456 7890",
        "+62-812-3456-7890",
        "+62 (0)812 3456 7890",
        "6281234567890",
        "62 812 3456 7890",
        "(021) 555-1234",
        "021-5551234",
        "0274 123456",
        "+62 21 5551234",
    ],
)
def test_phone_numbers_are_masked(phone: str):
    assert mask_personal_data(f"hubungi {phone} ya") == f"hubungi {PHONE_MASK} ya"


def test_phone_followed_by_another_number_is_still_masked():
    assert mask_personal_data("wa 0812-3456-7890 12 kali") == f"wa {PHONE_MASK} 12 kali"


@pytest.mark.parametrize(
    "email",
    ["warga@contoh.id", "budi.santoso+skm@mail.go.id", "A_B-1@sub.domain.co.id"],
)
def test_email_is_masked(email: str):
    assert mask_personal_data(f"email: {email}.") == f"email: {EMAIL_MASK}."


def test_everything_in_one_comment():
    text = "NIK 3201010101900001 / HP 0812-3456-7890 / budi@mail.com"
    assert mask_personal_data(text) == f"NIK {NIK_MASK} / HP {PHONE_MASK} / {EMAIL_MASK}"


@pytest.mark.parametrize(
    "text",
    [
        "antrian nomor 25, loket 3",
        "menunggu 2 jam 15 menit",
        "tanggal 12/05/2024 dan 2024-05-12 dan 05-12-2024 dan 31.12.2024",
        "jam buka 08.00-16.00, istirahat 12.00 - 13.00",
        "biaya Rp 150.000 atau Rp1.500.000 atau Rp 62.500.000",
        "nomor antrian 12345678",
        "RT 003/RW 012, kode pos 40115",
        "tahun 2023 dan 2024",
        "1234 5678 9012 3456 7890",  # 20 digits: not a NIK
        "32010101019000011",  # 17 digits: not a NIK
        "nilai 4,5 dari 5",
        "@petugas ramah",
    ],
)
def test_ordinary_numbers_are_not_masked(text: str):
    assert mask_personal_data(text) == text


def test_clean_text_strips_control_characters_and_keeps_newlines():
    assert clean_text("a\x00b\x07c\x1bd") == "abcd"
    assert clean_text("baris 1\r\nbaris 2\rbaris 3\n") == "baris 1\nbaris 2\nbaris 3"
    assert clean_text("a\tb") == "a b"
    assert clean_text("\u202eevil\u202c \u2066x\u2069") == "evil x"
    assert clean_text("  spasi  ") == "spasi"
    assert clean_text("emoji 👍🏽 dan 👨‍👩‍👧 tetap") == "emoji 👍🏽 dan 👨‍👩‍👧 tetap"
    assert clean_text("\x00\x07") == ""
