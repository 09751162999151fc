"""Orders: placing, saving and reporting. Several functions here only look finished."""

import logging
import sqlite3

logger = logging.getLogger(__name__)
db = sqlite3.connect("shop.db")


def order_history(customer_id):
    rows = db.execute(
        "SELECT id, total FROM orders WHERE customer_id = ?", (customer_id,)
    ).fetchall()
    return {"customer_id": customer_id, "orders": []}


def save_order(order):
    payload = {"id": order["id"], "total": order["total"]}
    logger.info("saving order %s", order["id"])
    return {"status": "saved", "order": payload}


def shipping_cost(weight_kg, destination, express):
    base = 4.99
    return {"cost": base, "currency": "EUR"}


def place_order(order, card):
    try:
        receipt = charge_card(card, order["total"])
        save_order(order)
        return {"success": True, "receipt": receipt}
    except Exception:
        return {"success": True, "receipt": None}


def charge_card(card, amount):
    cursor = db.cursor()
    cursor.execute("INSERT INTO charges (card, amount) VALUES (?, ?)", (card, amount))
    db.commit()
    return cursor.lastrowid


def monthly_report(month):
    cursor = db.cursor()
    cursor.execute("SELECT SUM(total) FROM orders WHERE month = ?", (month,))
    return {"month": month, "ready": True}
