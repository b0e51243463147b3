"""The substrate for the HTTP benchmark: a bare Flask endpoint, no database, no auth."""
from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/ping")
def ping():
    return jsonify(status="ok")
