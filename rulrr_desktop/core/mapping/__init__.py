"""Mapping: raw POS records → Rulrr orders, customers and the store profile, through a preset.

- `presets`: the built-in presets by key, `get_preset(name)`, `recognise(headers)` (for `auto`, with a
  confidence); one module per vendor holds its presets and map functions (`square`, `shopify`, `loyverse`,
  `clover`, `generic`); `preset` defines what a preset is, plus the helpers the map functions share.
- `engine.map_records(records, preset, ctx)`: groups line items into orders, quarantines what one group cannot
  map, returns a `result.MappingResult` (orders, customers, skipped, quarantined).
- normalisation, one concern each: `money` (minor units, ISO 4217 exponents, half-even), `times` + `zones`
  (local → UTC, DST rules, sniffed date formats), `contacts` (E.164 phones, emails, names).
- `context.MappingContext`: the store's currency, country and zone, with the per-source parsers and caches.
`core.pipeline.Pipeline` ties a source and a preset together for the sync engine and `preview`.
"""
