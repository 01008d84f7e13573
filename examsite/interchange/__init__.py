"""Bringing questions in from other systems (GIFT, Aiken, QTI 2.1/3.0, CSV, XLSX) as drafts for review.

Flow: upload or files -> `safety` (size, zip, XML hardening) -> a parser per format (plain data,
`file:line` problems) -> `mapping` (what maps cleanly, what needs a choice, what cannot come in)
-> `services.import_items` (one transaction, drafts only). No Flask in the parsers or the mapping.
"""
