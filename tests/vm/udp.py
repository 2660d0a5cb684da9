# SPDX-License-Identifier: MIT
# UDP traffic on loopback for the netfilter tests: binds a receiver on each
# PORT, sends COUNT datagrams of SIZE bytes to each (a send the kernel
# refuses counts as an error, as a dropped packet does on LOCAL_OUT), then
# prints one line per port: "PORT sent=N errors=N received=N".
#
# usage: python3 udp.py COUNT SIZE PORT...
import socket
import sys

count, size = int(sys.argv[1]), int(sys.argv[2])
ports = [int(p) for p in sys.argv[3:]]
receivers = {}
for port in ports:
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    r.bind(('127.0.0.1', port))
    r.settimeout(0.5)
    receivers[port] = r
sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload = b'x' * size
for port in ports:
    errors = 0
    for _ in range(count):
        try:
            sender.sendto(payload, ('127.0.0.1', port))
        except OSError:
            errors += 1
    received = 0
    try:
        while received < count:
            receivers[port].recv(65536)
            received += 1
    except socket.timeout:
        pass
    print('%d sent=%d errors=%d received=%d' % (port, count, errors,
                                               received))
