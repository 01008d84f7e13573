"""GET /api/v1/reports/pass-rates (administrators)."""
