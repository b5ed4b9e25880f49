"""What mapping produces for a set of raw records: orders, customers, how many rows were skipped on purpose
(cancelled, open, voided) and which rows were quarantined, with where and why."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from rulrr_desktop.core.model import Customer, Order


_CUSTOMER_FIELDS = ("customer_id", "first_name", "last_name", "email", "phone_number", "created_at")


@dataclass(frozen=True, slots=True)
class Quarantined:
    where: str          # "items-2026-06-12.csv:17" or "Document:42"
    reason: str         # plain words, for the staff
    order_id: str = ""  # the order it belongs to, when known

    def to_json(self) -> dict[str, str]:
        return {"where": self.where, "reason": self.reason}


@dataclass
class MappingResult:
    """Collects one batch's output. Orders are deduped by id (first seen wins); customers by `Customer.key()`
    (fields missing on the first sighting are filled from later ones)."""

    orders: list[Order] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    skipped: int = 0
    quarantined: list[Quarantined] = field(default_factory=list)
    _order_ids: set[str] = field(default_factory=set, repr=False)
    _customer_index: dict[str, int] = field(default_factory=dict, repr=False)

    def add_order(self, order: Order) -> None:
        if order.order_id in self._order_ids:
            return
        self._order_ids.add(order.order_id)
        self.orders.append(order)
        if order.customer is not None:
            self.add_customer(order.customer)

    def add_customer(self, customer: Customer) -> None:
        key = customer.key()
        if not key:
            return
        at = self._customer_index.get(key)
        if at is None:
            self._customer_index[key] = len(self.customers)
            self.customers.append(customer)
            return
        known = self.customers[at]
        if known is customer or known == customer:
            return
        missing = {name: getattr(customer, name) for name in _CUSTOMER_FIELDS
                   if not getattr(known, name) and getattr(customer, name)}
        if missing:
            self.customers[at] = replace(known, **missing)

    def skip(self, n: int = 1) -> None:
        self.skipped += n

    def quarantine(self, where: str, reason: str, order_id: str = "") -> None:
        self.quarantined.append(Quarantined(where, reason, order_id))
