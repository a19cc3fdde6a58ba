"""Reads a router's firewall address list with Debian's python3-librouteros (an independent
RouterOS API client). Usage: read_address_list.py HOST PORT USER PASSWORD LIST
Prints a JSON list of {address, comment, list} for the entries of LIST.
"""
import json
import sys

import librouteros
from librouteros.query import Key


def main():
    host, port, user, password, name = sys.argv[1:6]
    api = librouteros.connect(host=host, port=int(port), username=user, password=password)
    try:
        entries = api.path("ip", "firewall", "address-list")
        rows = entries.select(Key("list"), Key("address"), Key("comment")).where(Key("list") == name)
        print(json.dumps([{"list": r.get("list"), "address": r.get("address"), "comment": r.get("comment")} for r in rows]))
    finally:
        api.close()


main()
