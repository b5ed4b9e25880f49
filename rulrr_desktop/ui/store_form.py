"""The store profile form (wizard and settings): name, address, country and currency pickers, validated the
way Rulrr validates them, so the staff fixes a mistake here rather than reading a refusal later.

Country and currency lists come from Qt's locale data (ISO 3166 / ISO 4217), searchable by typing.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtWidgets import QComboBox, QCompleter, QFormLayout, QLabel, QLineEdit, QWidget

from rulrr_desktop.core.model import STORE_REQUIRED


@lru_cache(maxsize=1)
def countries() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(code → country name, code → its currency, currency → English name where Qt knows one)."""
    names: dict[str, str] = {}
    currency: dict[str, str] = {}
    currency_names: dict[str, str] = {}
    for c in QLocale.Country:
        code = QLocale.territoryToCode(c)
        if len(code) != 2 or code in ("ZZ", "XK"):
            continue
        names[code] = QLocale.territoryToString(c)
        iso = QLocale(QLocale.Language.AnyLanguage, c).currencySymbol(QLocale.CurrencySymbolFormat.CurrencyIsoCode)
        if iso:
            currency[code] = iso
            english = QLocale(QLocale.Language.English, c)
            if english.territory() == c and iso not in currency_names:
                currency_names[iso] = english.currencySymbol(QLocale.CurrencySymbolFormat.CurrencyDisplayName)
    return names, currency, currency_names


def searchable_combo(items: list[tuple[str, str]], accessible: str) -> QComboBox:
    """An editable combo of (label, code) that completes on any part of the label."""
    combo = QComboBox()
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.addItem("", "")
    for label, code in items:
        combo.addItem(label, code)
    completer = QCompleter(combo.model(), combo)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    combo.setCompleter(completer)
    combo.setAccessibleName(accessible)
    return combo


def combo_code(combo: QComboBox) -> str:
    """The code of what is typed or chosen ("" when it matches nothing)."""
    text = combo.currentText().strip()
    index = combo.findText(text, Qt.MatchFlag.MatchFixedString)
    if index >= 0:
        return combo.itemData(index) or ""
    upper = text.upper()
    for i in range(combo.count()):
        if combo.itemData(i) == upper:
            return upper
    return ""


def set_combo_code(combo: QComboBox, code: str) -> None:
    index = combo.findData(code.upper()) if code else 0
    combo.setCurrentIndex(max(0, index))


class StoreForm(QWidget):
    """Edits the [store] settings. `values()` → the dict to save; `problems()` → plain sentences."""

    changed = Signal()

    FIELDS = (("storeName", "Store &name", "e.g. Bridge Street Bakery"),
              ("storeAddress", "Street &address", "e.g. 120 Bridge Street"),
              ("storeCity", "&City", ""), ("storeState", "State or re&gion", ""),
              ("storePostalCode", "&Postal code", ""), ("storePhoneNumber", "Store p&hone", "+1 555 201 3344"))

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        names, self._currency_of, currency_names = countries()
        layout = QFormLayout(self)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.edits: dict[str, QLineEdit] = {}
        for key, label, placeholder in self.FIELDS[:2]:
            self._add_edit(layout, key, label, placeholder)
        self.country = searchable_combo(sorted(((f"{n} ({c})", c) for c, n in names.items())), "Country")
        self._add_row(layout, "C&ountry", self.country)
        for key, label, placeholder in self.FIELDS[2:]:
            self._add_edit(layout, key, label, placeholder)
        codes = sorted(set(self._currency_of.values()))
        self.currency = searchable_combo(
            [(f"{c} ({currency_names[c]})" if c in currency_names else c, c) for c in codes], "Currency")
        self._add_row(layout, "C&urrency", self.currency)
        self.timezone = QLineEdit()
        self.timezone.setPlaceholderText("America/New_York (used for times your POS writes without a zone)")
        self.timezone.setAccessibleName("Time zone")
        self._add_row(layout, "&Time zone", self.timezone)
        self.problem_label = QLabel()
        self.problem_label.setObjectName("problem")
        self.problem_label.setWordWrap(True)
        self.problem_label.setAccessibleName("Problems with the store profile")
        layout.addRow(self.problem_label)
        self.country.currentIndexChanged.connect(self._country_changed)
        self.country.editTextChanged.connect(lambda _=None: self.changed.emit())
        self.currency.editTextChanged.connect(lambda _=None: self.changed.emit())

    def _add_row(self, layout: QFormLayout, label: str, field: QWidget) -> None:
        caption = QLabel(label)
        caption.setBuddy(field)
        layout.addRow(caption, field)

    def _add_edit(self, layout: QFormLayout, key: str, label: str, placeholder: str) -> None:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        edit.setAccessibleName(label.replace("&", ""))
        edit.textChanged.connect(lambda _=None: self.changed.emit())
        self.edits[key] = edit
        self._add_row(layout, label, edit)

    def _country_changed(self) -> None:
        code = combo_code(self.country)
        if code and not combo_code(self.currency) and code in self._currency_of:
            set_combo_code(self.currency, self._currency_of[code])

    def set_values(self, values: dict[str, str]) -> None:
        for key, edit in self.edits.items():
            if values.get(key):
                edit.setText(values[key])
        if values.get("storeCurrency"):
            set_combo_code(self.currency, values["storeCurrency"])
        if values.get("storeCountryCode"):
            set_combo_code(self.country, values["storeCountryCode"])
        if values.get("timezone"):
            self.timezone.setText(values["timezone"])

    def values(self) -> dict[str, str]:
        out = {key: edit.text().strip() for key, edit in self.edits.items() if edit.text().strip()}
        country, currency = combo_code(self.country), combo_code(self.currency)
        if country:
            out["storeCountryCode"] = country
        if currency:
            out["storeCurrency"] = currency
        phone = out.get("storePhoneNumber")
        if phone:
            import phonenumbers    # imported here: it costs 0.1 s, and only this field needs it
            try:
                number = phonenumbers.parse(phone, country or None)
                if phonenumbers.is_valid_number(number):
                    out["storePhoneNumber"] = phonenumbers.format_number(number,
                                                                         phonenumbers.PhoneNumberFormat.E164)
            except phonenumbers.NumberParseException:
                pass
        if self.timezone.text().strip():
            out["timezone"] = self.timezone.text().strip()
        return out

    def problems(self) -> list[str]:
        values = self.values()
        words = {"storeName": "the store name", "storeAddress": "the street address",
                 "storeCountryCode": "the country"}
        out = [f"Fill in {words[k]}." for k in STORE_REQUIRED if not values.get(k)]
        if self.country.currentText().strip() and not values.get("storeCountryCode"):
            out.append("Pick the country from the list.")
        if self.currency.currentText().strip() and not values.get("storeCurrency"):
            out.append("Pick the currency from the list.")
        phone = values.get("storePhoneNumber", "")
        if phone and not phone.startswith("+"):
            out.append("The store phone number does not look right: write it with the country code, "
                       "e.g. +1 212 201 3344.")
        tz = values.get("timezone")
        if tz:
            try:
                from zoneinfo import ZoneInfo
                ZoneInfo(tz)
            except Exception:
                out.append(f"“{tz}” is not a time zone: write it like America/New_York or Europe/Paris.")
        return out

    def validate(self) -> bool:
        problems = self.problems()
        self.problem_label.setText(" ".join(problems))
        return not problems
