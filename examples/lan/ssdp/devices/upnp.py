#!/usr/bin/env python3
"""A UPnP device, simulated in Python (standard library only): joins the SSDP group
239.255.255.250 on port 1900 and answers each M-SEARCH whose ST matches it (ssdp:all,
upnp:rootdevice or its device type) by unicast, as TVs and speakers do.

Usage: python3 upnp.py NAME DEVICE-TYPE
"""
import socket
import struct
import sys
import uuid

NAME = sys.argv[1] if len(sys.argv) > 1 else "UPnP device"
TYPE = sys.argv[2] if len(sys.argv) > 2 else "urn:schemas-upnp-org:device:Basic:1"
GROUP, PORT = "239.255.255.250", 1900
UDN = "uuid:" + str(uuid.uuid5(uuid.NAMESPACE_DNS, NAME + ".wxudp.invalid"))

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("", PORT))
sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                struct.pack("4s4s", socket.inet_aton(GROUP), socket.inet_aton("0.0.0.0")))
print(f"{NAME}: joined {GROUP}:{PORT}", flush=True)


def own_address(peer):
    """The address this host answers peer from (a UDP connect sends nothing)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.connect(peer)
    address = probe.getsockname()[0]
    probe.close()
    return address


while True:
    data, peer = sock.recvfrom(4096)
    lines = data.decode("utf-8", "replace").split("\r\n")
    if not lines[0].startswith("M-SEARCH"):
        continue
    headers = {}
    for line in lines[1:]:
        key, sep, value = line.partition(":")
        if sep:
            headers[key.strip().upper()] = value.strip()
    st = headers.get("ST", "")
    if st not in ("ssdp:all", "upnp:rootdevice", TYPE):
        continue
    print(f"M-SEARCH from {peer[0]}:{peer[1]} for {st}", flush=True)
    here = own_address(peer)
    reply = "\r\n".join([
        "HTTP/1.1 200 OK",
        "CACHE-CONTROL: max-age=1800",
        "EXT:",
        f"LOCATION: http://{here}:49152/description.xml",
        "SERVER: Linux/6 UPnP/1.1 wxudp-sim/1.0",
        f"ST: {TYPE if st == TYPE else st}",
        f"USN: {UDN}::{TYPE}",
        f"X-FRIENDLY-NAME: {NAME}",
        "", "",
    ])
    sock.sendto(reply.encode(), peer)
