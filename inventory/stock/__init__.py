"""The dealer's parts store: balances, the movements ledger, reservations, counter sales (issue 15)."""
