"""The cost offer from the service's tariff table (services/*.yaml `tariff:`). Pure."""
from __future__ import annotations

from pipelines.write.words import number_to_words_id

UNITS = {"hari-auditor": "hari-auditor", "peserta": "orang", "": "paket"}


def offer(tariff: list[dict], participants: int = 0) -> dict:
    """Items with quantity and amount, the total, and the total in Indonesian words.
    A component priced per participant is multiplied by the number of participants."""
    items = []
    for component in tariff or []:
        per = component.get("per", "")
        quantity = participants if per == "peserta" else int(component.get("quantity", 1))
        unit_amount = int(component["amount"])
        items.append({"id": component["id"], "label": component["label"], "quantity": quantity,
                      "unit": UNITS.get(per, per), "unit_amount": unit_amount,
                      "amount": unit_amount * quantity})
    total = sum(i["amount"] for i in items)
    return {"lines": items, "total": total, "total_words": number_to_words_id(total)}
