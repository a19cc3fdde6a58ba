"""Removes entries from a router's firewall address list with Debian's python3-librouteros (an
independent RouterOS API client), as a person at the router would.
Usage: remove_address_list_entry.py HOST PORT USER PASSWORD LIST COMMENT
Prints the number of entries removed.
"""
import sys

import librouteros
from librouteros.query import Key


def main():
    host, port, user, password, name, comment = sys.argv[1:7]
    api = librouteros.connect(host=host, port=int(port), username=user, password=password)
    try:
        entries = api.path("ip", "firewall", "address-list")
        ids = [r[".id"] for r in entries.select(Key(".id"), Key("list"), Key("comment")) if r.get("list") == name and r.get("comment") == comment]
        if ids:
            entries.remove(*ids)
        print(len(ids))
    finally:
        api.close()


main()
