"""The sales funnel's figures (the cohort of the leads opened in a period, the period's stage
entries) read from the KPI facts: the selector, the funnel page and its API. Analytics that read
the facts live with them; leads/ does not import reports/ (tests/test_leads_reports_layer.py)."""
