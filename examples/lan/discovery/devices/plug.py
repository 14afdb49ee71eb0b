#!/usr/bin/env python3
"""A smart plug, simulated in Python (standard library only): answers the discovery
probes that arrive on UDP port 4210, broadcast or not, with its name and kind.

Usage: python3 plug.py [NAME]
"""
import json
import socket
import sys

NAME = sys.argv[1] if len(sys.argv) > 1 else "Smart plug"
PORT = 4210

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("", PORT))
print(f"{NAME}: listening on {PORT}", flush=True)
while True:
    data, peer = sock.recvfrom(2048)
    try:
        probe = json.loads(data)
    except ValueError:
        continue
    if not isinstance(probe, dict) or probe.get("cmd") != "discover":
        continue
    print(f"probe from {peer[0]}:{peer[1]}", flush=True)
    reply = {"cmd": "here", "name": NAME, "kind": "plug"}
    sock.sendto(json.dumps(reply).encode(), peer)
