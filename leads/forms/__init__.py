"""Forms of the sales pages (parse input; the rules live in leads.services)."""
