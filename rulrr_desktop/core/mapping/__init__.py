"""Mapping: raw POS records → Rulrr orders, customers and the store profile, through a preset.

`presets.get_preset(name)` / `presets.recognise(headers)` pick the preset; `engine.map_records(records, preset,
ctx)` maps a batch into a `MappingResult` (orders, customers, skipped, quarantined). Normalisation lives in one
module per concern: `money`, `times` (+ `zones`), `contacts`.
"""
