#!/usr/bin/env python3
"""Prints, for each input line, what glibc makes of it as a numeric host, tab-separated:
getaddrinfo(AI_NUMERICHOST, AF_INET), getaddrinfo(AI_NUMERICHOST, AF_UNSPEC) and inet_aton; '-' where glibc refuses.
The differential test compares the operator's verdict with these."""
import socket
import sys


def numeric(host, family):
    try:
        # bytes go to glibc as they are (a str would first be IDNA-encoded by Python, which folds full-width digits)
        infos = socket.getaddrinfo(host.encode("utf-8"), None, family, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
        return infos[0][4][0]
    except (socket.gaierror, UnicodeError, ValueError):
        return "-"


def aton(host):
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except (OSError, UnicodeError, ValueError):
        return "-"


for line in sys.stdin.buffer.read().decode("utf-8").split("\n")[:-1]:
    print(numeric(line, socket.AF_INET), numeric(line, socket.AF_UNSPEC), aton(line), sep="\t")
