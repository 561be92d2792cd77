"""New-vehicle stock by VIN (issue 15, items 10–13): HQ's vehicles and their allocation to
dealers, the dealer's own stock (ETA, arrival, reservation for a customer order, demo fleet,
courtesy cars), stop-sale from open recall campaigns, delivery with its warranty record, and
stock ageing."""
