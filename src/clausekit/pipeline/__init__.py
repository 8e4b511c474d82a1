"""Pipeline stages, in the order data flows through them."""
