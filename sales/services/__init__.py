"""Test drives, quotes, orders and deliveries: every write with a business rule.

One module per concern: `demo_fleet`, `test_drives`, `pricing`, `quotes`, `orders`, with what they
share in `common`. Callers import from `sales.services` (re-exported below) or from the module.

Keyword-only functions. Bad input raises django.core.exceptions.ValidationError with a clear
message (a dict keyed by field where one field is at fault) and changes nothing: each service runs
inside one transaction (a savepoint inside a request's transaction).

The funnel moves as a side effect of this work: booking / checking out a test drive, sending a
quote, placing an order and delivering call the lead services of the funnel (leads.services) to
complete HQ playbook steps, advance the stage and finally close the lead as won. A stage the HQ
playbook does not let the lead enter yet never blocks the sale itself: the missing steps come back
as `notes` of the `Outcome`, for the page to show.
"""

from .common import CENT, ZERO, Outcome, advance_lead, complete_steps, format_slot, money
from .demo_fleet import (
    create_demo_vehicle,
    set_demo_vehicle_active,
    validate_vin,
    vehicle_label,
)
from .orders import (
    CHECKLIST_ITEMS,
    cancel_order,
    checklist_items,
    checklist_missing,
    create_order,
    deliver_order,
    delivery_blockers,
    order_balance,
    order_number,
    order_paid,
    order_trade_in,
    record_payment,
    set_checklist,
    update_order,
    vehicle_blockers,
)
from .pricing import (
    MAX_ANNUAL_RATE,
    MAX_TERM_MONTHS,
    PricedLine,
    Pricing,
    QuoteSpec,
    discount_threshold,
    monthly_payment,
    price_list_on,
    price_quote,
    price_version_on,
)
from .quotes import (
    accept_quote,
    check_quote,
    create_quote,
    decide_discount,
    decline_quote,
    quote_not_valid,
    quote_number,
    send_quote,
    update_quote,
)
from .stock import (
    release_stock_vehicle,
    request_vehicle_for_order,
    reserve_stock_vehicle,
)
from .test_drives import (
    ACTIVE_BOOKING_STATUSES,
    DOUBLE_BOOKING_CONSTRAINT,
    FEEDBACK_MAX,
    book_test_drive,
    cancel_test_drive,
    check_in_test_drive,
    check_out_test_drive,
    clashing_bookings,
    licence_country,
)

__all__ = [
    "ACTIVE_BOOKING_STATUSES",
    "CENT",
    "CHECKLIST_ITEMS",
    "DOUBLE_BOOKING_CONSTRAINT",
    "FEEDBACK_MAX",
    "MAX_ANNUAL_RATE",
    "MAX_TERM_MONTHS",
    "Outcome",
    "PricedLine",
    "Pricing",
    "QuoteSpec",
    "ZERO",
    "accept_quote",
    "advance_lead",
    "book_test_drive",
    "cancel_test_drive",
    "check_in_test_drive",
    "check_out_test_drive",
    "check_quote",
    "checklist_items",
    "checklist_missing",
    "clashing_bookings",
    "complete_steps",
    "create_demo_vehicle",
    "cancel_order",
    "create_order",
    "create_quote",
    "decide_discount",
    "decline_quote",
    "deliver_order",
    "delivery_blockers",
    "discount_threshold",
    "format_slot",
    "licence_country",
    "money",
    "monthly_payment",
    "order_balance",
    "order_number",
    "order_paid",
    "order_trade_in",
    "price_list_on",
    "price_version_on",
    "price_quote",
    "quote_not_valid",
    "quote_number",
    "record_payment",
    "release_stock_vehicle",
    "request_vehicle_for_order",
    "reserve_stock_vehicle",
    "send_quote",
    "set_checklist",
    "set_demo_vehicle_active",
    "update_order",
    "update_quote",
    "validate_vin",
    "vehicle_blockers",
    "vehicle_label",
]
