"""A consultant leaves or goes on leave: departure, bulk reassignment of their book (preview,
then one set-based transaction) and temporary cover."""
