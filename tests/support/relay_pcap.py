#!/usr/bin/env python3
"""A TCP relay that records what it relays as a pcap file, for tests that need a capture where
capturing on loopback takes privileges they do not have (CAP_NET_RAW).

usage: relay_pcap.py UPSTREAM_PORT PCAP_FILE

Listens on 127.0.0.1 on a port the kernel picks and prints that port on stdout, accepts one
connection, relays it both ways to 127.0.0.1:UPSTREAM_PORT until both sides have closed, then
writes the bytes as they passed, in order, as one TCP connection (handshake, data, FIN both ways)
with synthetic IPv4 and TCP headers (LINKTYPE_RAW; TCP checksums left 0, which Wireshark does
not check by default). Exits 1 if no connection came within 30 s or upstream refused.
"""
import select
import socket
import struct
import sys
import time

TIMEOUT_S = 30
SEGMENT_MAX = 16000  # payload per packet: an IPv4 packet holds at most 65535 bytes
CLIENT_IP = bytes([127, 0, 0, 1])
SERVER_IP = bytes([127, 0, 0, 1])
SYN, FIN, PSH, ACK = 0x02, 0x01, 0x08, 0x10


def relay(client, server):
    """Relays until both directions ended; returns [(time, from_client, bytes)]."""
    events = []
    peer = {client: server, server: client}
    open_ends = {client, server}
    deadline = time.monotonic() + TIMEOUT_S
    while open_ends and time.monotonic() < deadline:
        readable, _, _ = select.select(list(open_ends), [], [], 1)
        for sock in readable:
            data = sock.recv(65536)
            if not data:
                open_ends.discard(sock)
                peer[sock].shutdown(socket.SHUT_WR)
                continue
            peer[sock].sendall(data)
            events.append((time.time(), sock is client, data))
    return events


def checksum(header):
    total = sum(struct.unpack("!%dH" % (len(header) // 2), header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


class Capture:
    """One TCP connection's packets, client and server sequence numbers tracked."""

    def __init__(self, client_port, server_port):
        self.ports = (client_port, server_port)
        self.seq = {True: 1000, False: 5000}  # next sequence number, by "from the client"
        self.packets = []

    def packet(self, when, from_client, flags, payload=b""):
        src, dst = (CLIENT_IP, SERVER_IP) if from_client else (SERVER_IP, CLIENT_IP)
        sport, dport = self.ports if from_client else self.ports[::-1]
        ack = self.seq[not from_client] if flags & ACK else 0
        tcp = struct.pack("!HHIIBBHHH", sport, dport, self.seq[from_client], ack, 5 << 4, flags, 65535, 0, 0)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        self.packets.append((when, ip + tcp + payload))
        self.seq[from_client] += len(payload) + (1 if flags & (SYN | FIN) else 0)

    def write(self, path):
        with open(path, "wb") as out:
            out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
            for when, data in self.packets:
                usec = int(when * 1e6)
                out.write(struct.pack("<IIII", usec // 1000000, usec % 1000000, len(data), len(data)))
                out.write(data)


def main():
    upstream_port, pcap_path = int(sys.argv[1]), sys.argv[2]
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(TIMEOUT_S)
    print(listener.getsockname()[1], flush=True)
    try:
        client, addr = listener.accept()
        server = socket.create_connection(("127.0.0.1", upstream_port), timeout=TIMEOUT_S)
    except OSError as e:
        print("relay_pcap: %s" % e, file=sys.stderr)
        return 1
    start = time.time()
    events = relay(client, server)
    capture = Capture(addr[1], upstream_port)
    capture.packet(start, True, SYN)
    capture.packet(start, False, SYN | ACK)
    capture.packet(start, True, ACK)
    for when, from_client, data in events:
        for i in range(0, len(data), SEGMENT_MAX):
            capture.packet(when, from_client, PSH | ACK, data[i:i + SEGMENT_MAX])
    end = time.time()
    capture.packet(end, True, FIN | ACK)
    capture.packet(end, False, FIN | ACK)
    capture.packet(end, True, ACK)
    capture.write(pcap_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
