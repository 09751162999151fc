"""The shop's web entry point."""

from flask import Flask, jsonify

from shop.orders import order_history

app = Flask(__name__)


@app.route("/customers/<int:customer_id>/orders")
def customer_orders(customer_id):
    return jsonify(order_history(customer_id))


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=5000, debug=True)
