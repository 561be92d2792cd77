"""The concurrency tests work on committed data (the racers' connections must see it): every
test here is transactional, the database is emptied after it. tests/concurrency/_race.py holds
the harness."""
