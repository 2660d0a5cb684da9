# SPDX-License-Identifier: MIT
# A bare generic netlink client for api_reply_test.lua: it reads (or does
# not read) a long DOSTRING reply the way a client that is not liblunatik
# would, with the socket's default receive buffer or a small one.
#
# usage: python3 reply_client.py MODE STATE BYTES
#   whole    default buffer; prints "ok MESSAGES" when the reply of
#            ('q'):rep(BYTES) came back whole and well-formed
#   abandon  small buffer; sends the request, reads nothing, closes
#   stall    small buffer; reads nothing for 7 s, then prints the errno
#            that ends the reply ("errno 105" for ENOBUFS)
import socket
import struct
import sys
import time

NETLINK_GENERIC = 16
NLMSG_ERROR = 2
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK = 1, 2, 4
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
# include/uapi/linux/lunatik.h
CMD_DOSTRING = 5
ATTR_STATENAME, ATTR_CODE, ATTR_RESULTS, ATTR_ERROR = 1, 4, 8, 9
VALUE_STRING, VALUE_STRING_CONT = 4, 5
REPLY_PART_MAXSIZE = 60 * 1024

mode, state, size = sys.argv[1], sys.argv[2], int(sys.argv[3])


def attr(kind, payload):
    body = struct.pack('HH', 4 + len(payload), kind) + payload
    return body + b'\0' * (-len(body) % 4)


def message(kind, cmd, flags, seq, attrs):
    payload = struct.pack('BBH', cmd, 1, 0) + attrs
    return struct.pack('IHHII', 16 + len(payload), kind, flags, seq, 0) + payload


def attrs_of(data):
    at = 0
    while at + 4 <= len(data):
        length, kind = struct.unpack_from('HH', data, at)
        yield kind & 0x3fff, data[at + 4:at + length]
        at += (length + 3) & ~3


def messages(sock):
    data = sock.recv(1 << 20)
    at = 0
    while at + 16 <= len(data):
        length, kind, flags, seq, _ = struct.unpack_from('IHHII', data, at)
        yield kind, flags, seq, data[at + 16:at + length]
        at += (length + 3) & ~3


sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
if mode != 'whole':
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
sock.bind((0, 0))
sock.send(message(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_REQUEST | NLM_F_ACK,
                  1, attr(CTRL_ATTR_FAMILY_NAME, b'lunatik\0')))
family = None
while family is None:
    for kind, _, _, body in messages(sock):
        if kind == GENL_ID_CTRL:
            for a, p in attrs_of(body[4:]):
                if a == CTRL_ATTR_FAMILY_ID:
                    family = struct.unpack('H', p[:2])[0]
        elif kind == NLMSG_ERROR and struct.unpack_from('i', body)[0]:
            sys.exit('no lunatik family')

code = ("return ('q'):rep(%d)" % size).encode()
sock.send(message(family, CMD_DOSTRING, NLM_F_REQUEST | NLM_F_ACK, 2,
                  attr(ATTR_STATENAME, state.encode() + b'\0') +
                  attr(ATTR_CODE, code)))
if mode == 'abandon':
    time.sleep(1)
    sock.close()
    print('ok')
    sys.exit(0)
if mode == 'stall':
    time.sleep(7)

values, count, flags_seen = [], 0, set()
while True:
    for kind, flags, seq, body in messages(sock):
        if seq != 2:
            continue
        if kind == NLMSG_ERROR:
            error = -struct.unpack_from('i', body)[0]
            if mode == 'stall':
                print('errno %d after %d messages' % (error, count))
                sys.exit(0)
            if error:
                sys.exit('errno %d' % error)
            text = values[0] if len(values) == 1 else None
            if text != b'q' * size:
                sys.exit('reply not whole: %r' % [len(v) for v in values])
            if count > 1 and flags_seen != {NLM_F_MULTI}:
                sys.exit('flags of a long reply: %r' % flags_seen)
            print('ok %d' % count)
            sys.exit(0)
        count += 1
        flags_seen.add(flags)
        if len(body) - 4 > REPLY_PART_MAXSIZE:
            sys.exit('message of %d bytes' % len(body))
        for a, p in attrs_of(body[4:]):
            if a == ATTR_RESULTS:
                for v, piece in attrs_of(p):
                    if v == VALUE_STRING:
                        values.append(piece)
                    elif v == VALUE_STRING_CONT and values:
                        values[-1] += piece
                    else:
                        sys.exit('unexpected value type %d' % v)
