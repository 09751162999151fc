"""Inventory: code that does what it says, so the demo shows the scanner staying quiet too."""

import json
from pathlib import Path

STOCK_FILE = Path("stock.json")


def load_stock():
    if not STOCK_FILE.exists():
        return {}
    return json.loads(STOCK_FILE.read_text())


def save_stock(stock):
    STOCK_FILE.write_text(json.dumps(stock, indent=2))
    return {"status": "saved", "items": len(stock)}


def reserve(stock, sku, quantity):
    available = stock.get(sku, 0)
    if available < quantity:
        raise ValueError(f"only {available} of {sku} left")
    stock[sku] = available - quantity
    return stock[sku]
