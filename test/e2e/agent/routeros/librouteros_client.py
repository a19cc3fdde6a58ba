"""Drives Debian's python3-librouteros (an independent RouterOS API client) against a router.

Usage: librouteros_client.py HOST PORT USER PASSWORD SCENARIO
Prints one JSON object with what librouteros saw. Scenarios: session, badlogin, utf8.
"""
import json
import sys

import librouteros
from librouteros.exceptions import TrapError, MultiTrapError


def session(api):
    out = {"login": "ok"}
    out["identity"] = list(api("/system/identity/print"))
    out["ppp_active"] = list(api.path("ppp", "active"))
    out["interfaces"] = list(api.path("interface"))
    # librouteros skips reply words it does not know, so a 7.18 `!empty` must not disturb it.
    out["hotspot_active"] = list(api.path("ip", "hotspot", "active"))
    addresses = api.path("ip", "firewall", "address-list")
    new_id = addresses.add(list="suspended", address="10.0.0.77", comment="octet test")
    out["added_id"] = new_id
    try:
        addresses.add(list="suspended", address="10.0.0.77")
        out["duplicate"] = None
    except TrapError as e:
        out["duplicate"] = {"message": e.message, "category": e.category}
    out["after_add"] = [dict(e) for e in addresses if e["list"] == "suspended"]
    selected = addresses.select("address").where(librouteros.query.Key("list") == "suspended")
    out["query_select"] = list(selected)
    addresses.remove(new_id)
    out["after_remove"] = [dict(e) for e in addresses if e["list"] == "suspended"]
    try:
        list(api("/system/routerboard/getall"))
        out["unknown_menu"] = None
    except (TrapError, MultiTrapError) as e:
        out["unknown_menu"] = str(e)
    return out


def utf8(api):
    """Reads text as a RouterOS 7 client does (librouteros with encoding="utf-8").

    Reading only: librouteros 3 writes a word's length in characters, not bytes, so it cannot
    send non-ASCII text correctly (protocol.py encodeWord).
    """
    return {"secrets": [dict(e) for e in api.path("ppp", "secret")]}


def main():
    host, port, user, password, scenario = sys.argv[1:6]
    if scenario == "utf8":
        api = librouteros.connect(host=host, username=user, password=password, port=int(port), timeout=10, encoding="utf-8")
        try:
            print(json.dumps(utf8(api), default=str))
        finally:
            api.close()
        return
    if scenario == "badlogin":
        try:
            librouteros.connect(host=host, username=user, password=password, port=int(port), timeout=10)
            print(json.dumps({"login": "ok"}))
        except TrapError as e:
            print(json.dumps({"login": "refused", "error": type(e).__name__, "message": e.message, "category": e.category}))
        return
    api = librouteros.connect(host=host, username=user, password=password, port=int(port), timeout=10)
    try:
        print(json.dumps(session(api), default=str))
    finally:
        api.close()


if __name__ == "__main__":
    main()
