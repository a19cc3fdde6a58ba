"""Reads or sets a router's PPP secret with Debian's python3-librouteros (an independent RouterOS
API client).
Usage: ppp_secret.py HOST PORT USER PASSWORD NAME                 prints {name, profile, comment} or null
       ppp_secret.py HOST PORT USER PASSWORD NAME PROFILE         sets the secret's profile as staff would;
                                                                  prints "ok" or the router's trap message
"""
import json
import sys

import librouteros
from librouteros.exceptions import TrapError
from librouteros.query import Key


def main():
    host, port, user, password, name = sys.argv[1:6]
    api = librouteros.connect(host=host, port=int(port), username=user, password=password)
    try:
        secrets = api.path("ppp", "secret")
        rows = [r for r in secrets.select(Key(".id"), Key("name"), Key("profile"), Key("comment")) if r.get("name") == name]
        if len(sys.argv) > 6:
            try:
                secrets.update(**{".id": rows[0][".id"], "profile": sys.argv[6]})
                print(json.dumps("ok"))
            except TrapError as err:
                print(json.dumps(err.message))
            return
        print(json.dumps({"name": rows[0].get("name"), "profile": rows[0].get("profile"), "comment": rows[0].get("comment", "")} if rows else None))
    finally:
        api.close()


main()
