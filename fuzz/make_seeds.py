#!/usr/bin/env python3
"""make_seeds.py - write the seed corpora under fuzz/corpus/<target>/.

Every seed is synthesised here from scratch (no bytes from real captures).
Deterministic: running it twice writes the same files. Needs only the
Python standard library plus `cryptography` for the inner-layer seeds of
fuzz_envelope (whose keys are the fixed key log inside fuzz_envelope.c).

    python3 fuzz/make_seeds.py            # (re)write fuzz/corpus/*
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")

# ---------------------------------------------------------------- helpers


def be16(v):
    return struct.pack(">H", v)


def be32(v):
    return struct.pack(">I", v)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ipv4(src, dst, proto, payload, ident=1, frag=0, ttl=64, tot=None):
    hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, tot if tot is not None else 20 + len(payload), ident, frag, ttl,
                      proto, 0, ip4(src), ip4(dst))
    hdr = hdr[:10] + be16(csum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6(src16, dst16, nh, payload, plen=None):
    return struct.pack(">IHBB", 0x60000000, len(payload) if plen is None else plen, nh, 64) + src16 + dst16 + payload


def tcp(sp, dp, seq, ack, flags, payload, src, dst, opts=b""):
    off = (20 + len(opts)) // 4
    hdr = struct.pack(">HHIIHHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, (off << 12) | flags, 65535, 0, 0) + opts
    if len(src) == 4:
        pseudo = src + dst + struct.pack(">BBH", 0, 6, len(hdr) + len(payload))
    else:
        pseudo = src + dst + struct.pack(">IxxxB", len(hdr) + len(payload), 6)
    c = csum(pseudo + hdr + payload)
    return hdr[:16] + be16(c) + hdr[18:] + payload


FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16

MAC_C = bytes.fromhex("020000000001")
MAC_S = bytes.fromhex("020000000002")


def eth(payload, et=0x0800, vlans=(), to_server=True):
    d, s = (MAC_S, MAC_C) if to_server else (MAC_C, MAC_S)
    tags = b"".join(be16(tpid) + be16(vid) for tpid, vid in vlans)
    return d + s + tags + be16(et) + payload


def sll(payload, et=0x0800):
    return be16(0) + be16(1) + be16(6) + MAC_C + b"\0\0" + be16(et) + payload


def sll2(payload, et=0x0800):
    return be16(et) + be16(0) + be32(2) + be16(1) + bytes([0, 6]) + MAC_C + b"\0\0" + payload


def null_lo(payload, fam=2):
    return struct.pack("<I", fam) + payload


def pcap(linktype, frames, order="<", nsec=False, snaplen=262144, t0=1700000000):
    magic = 0xA1B23C4D if nsec else 0xA1B2C3D4
    out = struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)
    for i, f in enumerate(frames):
        if isinstance(f, tuple):
            f, orig = f
        else:
            orig = len(f)
        usec = i * 1000
        out += struct.pack(order + "IIII", t0 + usec // 1000000, (usec % 1000000) * (1000 if nsec else 1), len(f),
                           orig) + f
    return out


def pcapng(linktype, frames, t0=1700000000):
    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    # IDB with an if_tsresol option (6 = microseconds) and end of options
    opts = struct.pack("<HHB", 9, 1, 6) + b"\0\0\0" + struct.pack("<HH", 0, 0)
    idb = block(1, struct.pack("<HHI", linktype, 0, 262144) + opts)
    out = shb + idb
    for i, f in enumerate(frames):
        ts = t0 * 1000000 + i * 1000
        out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(f), len(f)) + f)
    return out


class Conv:
    """One TCP connection as IP packets (IPv4 or IPv6)."""

    def __init__(self, cli="10.0.0.1", srv="10.0.0.2", cport=40000, sport=80, v6=False, isn=(1000, 5000)):
        self.v6 = v6
        if v6:
            self.cip = bytes.fromhex("20010db8000000000000000000000001")
            self.sip = bytes.fromhex("20010db8000000000000000000000002")
        else:
            self.cip, self.sip = ip4(cli), ip4(srv)
        self.ca, self.sa = cli, srv
        self.cport, self.sport = cport, sport
        self.seq = [isn[0], isn[1]]
        self.pkts = []  # (dir, ip packet)

    def _ip(self, d, seg):
        src, dst = (self.cip, self.sip) if d == 0 else (self.sip, self.cip)
        if self.v6:
            return ipv6(src, dst, 6, seg)
        return ipv4(self.ca if d == 0 else self.sa, self.sa if d == 0 else self.ca, 6, seg,
                    ident=len(self.pkts) + 1)

    def raw(self, d, flags, payload=b"", seq=None, ack=None):
        src, dst = (self.cip, self.sip) if d == 0 else (self.sip, self.cip)
        sp, dp = (self.cport, self.sport) if d == 0 else (self.sport, self.cport)
        s = self.seq[d] if seq is None else seq
        a = self.seq[1 - d] if ack is None else ack
        seg = tcp(sp, dp, s, a, flags, payload, src, dst)
        self.pkts.append((d, self._ip(d, seg)))
        return seg

    def handshake(self):
        self.raw(0, SYN, ack=0)
        self.seq[0] += 1
        self.raw(1, SYN | ACK)
        self.seq[1] += 1
        self.raw(0, ACK)

    def send(self, d, data, mss=1400):
        for i in range(0, len(data), mss):
            chunk = data[i:i + mss]
            self.raw(d, ACK | PSH, chunk)
            self.seq[d] += len(chunk)

    def close(self):
        self.raw(0, FIN | ACK)
        self.seq[0] += 1
        self.raw(1, FIN | ACK)
        self.seq[1] += 1
        self.raw(0, ACK)

    def frames(self, wrap):
        return [wrap(p, d) for d, p in self.pkts]


# ---------------------------------------------------------------- MMTLS


def rec(rtype, body, ver=4):
    return bytes([rtype, 0xF1, ver]) + be16(len(body)) + body


def client_hello(nsuites=1, tickets=1, keys=2):
    suites = [0x00A8, 0xC02B][:nsuites] if nsuites <= 2 else [0x00A8] * nsuites
    m = b"\x01" + be16(0x04F1) + bytes([len(suites)]) + b"".join(be16(s) for s in suites)
    m += bytes(range(0x20, 0x40)) + be32(1700000000)
    exts = []
    if tickets:
        t = b""
        for i in range(tickets):
            sec = bytes([2]) + be32(604800) + be16(0x1234) + be32(0xCAFEBABE) + be16(12) + bytes([0xA0 + i]) * 12 + \
                be16(24) + bytes([0xB0 + i]) * 24
            t += be32(len(sec)) + sec
        exts.append(be16(0x000F) + bytes([tickets]) + t)
    if keys:
        k = b""
        for i in range(keys):
            sec = be32(i + 1) + be16(65) + b"\x04" + bytes([0x40 + i]) * 64
            k += be32(len(sec)) + sec
        exts.append(be16(0x0010) + bytes([keys]) + k)
    extsec = bytes([len(exts)]) + b"".join(be32(len(e)) + e for e in exts)
    m += be32(len(extsec)) + extsec
    return be32(len(m)) + m


def server_hello():
    m = b"\x02" + be16(0x04F1) + be16(0x00A8) + bytes(range(0x60, 0x80))
    key = be16(0x0011) + be32(1) + be16(65) + b"\x04" + b"\x55" * 64
    extsec = b"\x01" + be32(len(key)) + key
    m += be32(len(extsec)) + extsec
    return be32(len(m)) + m


def appdata(n, fill):
    return rec(0x17, bytes([(fill + i) & 0xFF for i in range(n)]))


def ctl_pack(client, server, segbase, opt):
    """fuzz_mmtls input: client | server | c0 c1 c2 c3."""
    return client + server + be16(len(client)) + bytes([segbase - 1, opt])


def http_req(path, body, host="x", extra=""):
    return ("POST %s HTTP/1.1\r\nHost: %s\r\n%sContent-Length: %d\r\n\r\n" % (path, host, extra, len(body))).encode() \
        + body


def http_resp(body, extra=""):
    return ("HTTP/1.1 200 OK\r\n%sContent-Length: %d\r\n\r\n" % (extra, len(body))).encode() + body


def chunked(body, sizes):
    out, i = b"", 0
    for s in sizes:
        out += b"%x\r\n" % s + body[i:i + s] + b"\r\n"
        i += s
    if i < len(body):
        out += b"%x;ext=1\r\n" % (len(body) - i) + body[i:] + b"\r\n"
    return out + b"0\r\nX-Trailer: 1\r\n\r\n"


CH = rec(0x16, client_hello())
SH = rec(0x16, server_hello())
SL_REQ_RECS = rec(0x19, client_hello(tickets=1, keys=0)) + appdata(40, 1) + rec(0x15, bytes(18))
SL_RESP_RECS = SH + appdata(48, 2) + appdata(20, 3)

# ---------------------------------------------------------------- envelope

CBC_KEY = b"mmlens-cbc-key!!"                  # 16: INNER CBC, iv = key
GCM_KEY = b"mmlens-gcm-192-key!!!!!!"          # 24: INNER hybrid GCM
GCM_IV = b"gcm-iv-12byt"                       # 12
GCM_AAD = bytes(range(0x40, 0x60))             # 32: the line's metadata
GCM_TAIL = b"gcmtail!"
# zlib(9) of a 58-byte protobuf, fixed here so that the seeds never depend
# on the zlib version
ZBODY = bytes.fromhex(
    "78dae362cd48cdc9c91798c624c5939b9b939a57ac9b565a55a5a8a4c0c0c8c4ccc2cac6cec1c9c5cdc3cbc72f2028242c222a262e2129"
    "252d232b270f0077ad09cd")
RAW2 = bytes.fromhex("0a076c6f6e676c6e6b10011a107365636f6e642d6d6573736167652121")  # 29 bytes, not compressed


def varint(v):
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def bizhdr(algo, compress, req, raw_len, comp_len, cookie_len=15, extra=b"\x00\x02"):
    tail = varint(req) + varint(raw_len) + varint(comp_len) + extra
    hl = 3 + 8 + cookie_len + len(tail)
    assert hl < 64
    return bytes([0xBF, (hl << 2) | compress, (algo << 4) | cookie_len]) + be32(0x18001234) + be32(0x01020304) + \
        bytes([0xC0 + i for i in range(cookie_len)]) + tail


def crypto():
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    def cbc(pt):
        p = padding.PKCS7(128).padder()
        pt = p.update(pt) + p.finalize()
        e = Cipher(algorithms.AES(CBC_KEY), modes.CBC(CBC_KEY)).encryptor()
        return e.update(pt) + e.finalize()

    def gcm(pt):
        ct = AESGCM(GCM_KEY).encrypt(GCM_IV, pt, GCM_AAD)
        return ct[:-16], ct[-16:]

    return cbc, gcm


def keylog_lines(ct1, tag):
    return [
        '{"layer":"INNER","encrypt":true,"key":"%s","nonce":"%s","metadata":"","tail":"%s"}'
        % (CBC_KEY.hex(), CBC_KEY.hex(), ct1[-8:].hex()),
        '{"layer":"INNER","encrypt":false,"key":"%s","iv":"%s","metadata":"%s","tail":"%s","tag":"%s"}'
        % (GCM_KEY.hex(), GCM_IV.hex(), GCM_AAD.hex(), GCM_TAIL.hex(), tag.hex()),
    ]


# ---------------------------------------------------------------- targets

seeds = {}


def put(target, name, data):
    assert len(data) < 8192, (target, name, len(data))
    seeds.setdefault(target, {})[name] = data


def gen_capture():
    t = "fuzz_capture"
    # classic pcap, Ethernet, longlink handshake + records
    c = Conv(sport=443)
    c.handshake()
    c.send(0, CH)
    c.send(1, SH + appdata(32, 9))
    c.send(0, appdata(64, 7) + appdata(17, 8))
    c.close()
    put(t, "pcap_eth_longlink", pcap(1, c.frames(lambda p, d: eth(p, to_server=d == 0))))
    # same, big-endian file, 802.1Q + QinQ tags
    put(t, "pcap_be_vlan", pcap(1, c.frames(lambda p, d: eth(p, 0x0800, [(0x88A8, 7), (0x8100, 42)])), order=">"))
    # Linux SLL, shortlink HTTP
    c = Conv(sport=80)
    c.handshake()
    c.send(0, http_req("/mmtls/0011aabb", SL_REQ_RECS))
    c.send(1, http_resp(SL_RESP_RECS))
    c.close()
    put(t, "pcap_sll_shortlink", pcap(113, c.frames(lambda p, d: sll(p))))
    # pcapng SHB+IDB+EPB, Ethernet, IPv6, chunked shortlink response
    c = Conv(v6=True, sport=8080)
    c.handshake()
    c.send(0, http_req("/mmtls/00ff", SL_REQ_RECS))
    c.send(1, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(SL_RESP_RECS, [7, 30]))
    c.close()
    put(t, "pcapng_eth_ipv6_chunked", pcapng(1, c.frames(lambda p, d: eth(p, 0x86DD))))
    # pcapng, SLL2
    c = Conv(sport=5222)
    c.send(0, CH)  # no handshake: picked up mid-connection
    c.send(1, SH)
    put(t, "pcapng_sll2_midstream", pcapng(276, c.frames(lambda p, d: sll2(p))))
    # nanosecond pcap, BSD loopback, plain HTTP with a body to the close
    c = Conv(cli="127.0.0.1", srv="127.0.0.1", cport=50000, sport=80)
    c.handshake()
    c.send(0, b"GET /cgi-bin/micromsg-bin/newgetdns?uin=1 HTTP/1.1\r\nHost: dns.weixin.qq.com\r\n\r\n")
    c.send(1, b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n\r\n<dns><domain name=\"x\"/></dns>")
    c.close()
    put(t, "pcap_nsec_null_http", pcap(0, c.frames(lambda p, d: null_lo(p)), nsec=True))
    # raw IPv4 (228): one TCP segment split into IPv4 fragments, out of order
    seg = tcp(40000, 443, 2000, 3000, ACK | PSH, CH[:120], ip4("10.0.0.1"), ip4("10.0.0.2"))
    f1 = ipv4("10.0.0.1", "10.0.0.2", 6, seg[:64], ident=77, frag=0x2000)
    f2 = ipv4("10.0.0.1", "10.0.0.2", 6, seg[64:], ident=77, frag=64 // 8)
    put(t, "pcap_raw_ipfrag", pcap(228, [f2, f1, f1]))
    # raw IP (101): IPv6 with hop-by-hop and a fragment header, then TCP over IPv6 with dest opts
    s6 = bytes.fromhex("fe800000000000000000000000000001")
    d6 = bytes.fromhex("fe800000000000000000000000000002")
    t6 = tcp(40001, 80, 1, 1, ACK, b"GET / HTTP/1.1\r\n\r\n", s6, d6)
    hbh = bytes([60, 0]) + b"\x01\x04\0\0\0\0"
    dst = bytes([6, 0]) + b"\x01\x04\0\0\0\0"
    fragh = bytes([6, 0, 0, 1]) + be32(9)
    put(t, "pcap_raw_ipv6_ext", pcap(101, [ipv6(s6, d6, 0, hbh + dst + t6), ipv6(s6, d6, 44, fragh + t6)]))
    # non-TCP traffic: UDP, ICMP, ARP, an unknown IP protocol
    udp = struct.pack(">HHHH", 5353, 53, 12, 0) + b"abcd"
    frames = [eth(ipv4("10.0.0.1", "10.0.0.9", 17, udp)), eth(ipv4("10.0.0.1", "10.0.0.9", 1, b"\x08\0\0\0\0\0\0\0")),
              eth(bytes(28), 0x0806), eth(ipv4("10.0.0.1", "10.0.0.9", 132, bytes(12)))]
    put(t, "pcap_non_tcp", pcap(1, frames))
    # reordered, retransmitted and lost segments; snaplen cut
    c = Conv(sport=443)
    c.handshake()
    stream = CH + appdata(200, 1) + appdata(100, 2) + appdata(50, 3)
    chunks = [stream[i:i + 90] for i in range(0, len(stream), 90)]
    seqs, s = [], c.seq[0]
    for ch in chunks:
        seqs.append(s)
        s += len(ch)
    for i in [0, 2, 1, 1, 4, 3, 6, 7]:  # 5 is lost
        c.raw(0, ACK | PSH, chunks[i], seq=seqs[i])
    c.seq[0] = s
    c.raw(1, ACK)
    frames = c.frames(lambda p, d: eth(p))
    frames[3] = (frames[3][:60], len(frames[3]))
    put(t, "pcap_reorder_gap", pcap(1, frames, snaplen=1500))
    # a file that ends in the middle of a packet record
    full = pcap(1, c.frames(lambda p, d: eth(p)))
    put(t, "pcap_truncated", full[:300])
    # unsupported link type, and a bare Ethernet frame (decoded raw only)
    put(t, "pcap_linktype_unknown", pcap(147, [b"\x00" * 40]))
    put(t, "frame_eth_tcp", eth(ipv4("10.0.0.1", "10.0.0.2", 6,
                                     tcp(1234, 80, 1, 1, ACK | PSH, b"POST /mmtls/1 HTTP/1.1\r\n\r\n", ip4("10.0.0.1"),
                                         ip4("10.0.0.2")))))
    # length-prefixed raw IPv4 frame list (run_frames' second half): fragments
    lst = b"\x00" + b"".join(be16(len(f)) + f for f in [f1, f2])
    put(t, "frames_ipfrag_list", lst)
    # port reuse: a second SYN with a new ISN on the same 4-tuple
    c = Conv(sport=443)
    c.handshake()
    c.send(0, CH)
    c.seq = [90000, 7000]
    c.handshake()
    c.send(0, CH)
    c.raw(1, RST)
    put(t, "pcap_port_reuse_rst", pcap(1, c.frames(lambda p, d: eth(p))))


def gen_mmtls():
    t = "fuzz_mmtls"
    cli = CH + appdata(48, 1) + appdata(16, 2) + rec(0x15, bytes(20))
    srv = SH + appdata(64, 3) + appdata(30, 4)
    put(t, "longlink_syn_fin", ctl_pack(cli, srv, 64, 0x11))
    put(t, "longlink_gaps_reorder", ctl_pack(cli, srv, 23, 0x1F))
    put(t, "longlink_tiny_segments", ctl_pack(cli, srv, 1, 0x01))
    put(t, "longlink_idle_rst", ctl_pack(cli, srv, 40, 0x61))
    put(t, "shortlink", ctl_pack(http_req("/mmtls/0011aabb", SL_REQ_RECS), http_resp(SL_RESP_RECS), 50, 0x11))
    put(t, "shortlink_split_head", ctl_pack(http_req("/mmtls/0011aabb", SL_REQ_RECS[:60]), http_resp(b""), 9, 0x01))
    put(t, "shortlink_chunked", ctl_pack(http_req("/mmtls/00ff", SL_REQ_RECS, host="sgshort.wechat.com"),
                                         b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                         + chunked(SL_RESP_RECS, [5, 16, 40]), 200, 0x11))
    two = http_req("/mmtls/01", SL_REQ_RECS[:80]) + http_req("/mmtls/02", appdata(20, 5))
    put(t, "shortlink_keepalive", ctl_pack(two, http_resp(appdata(16, 6)) + http_resp(SH), 120, 0x13))
    put(t, "http_plain_to_close", ctl_pack(
        b"GET /cgi-bin/micromsg-bin/newgetdns?uin=1 HTTP/1.1\r\nHost: dns.weixin.qq.com\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n\r\n<dns/>", 30, 0x11))
    put(t, "http_upgrade", ctl_pack(b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: mmtls\r\nContent-Length: 0\r\n\r\n",
                                    b"HTTP/1.1 101 Switching\r\nUpgrade: mmtls\r\n\r\n", 16, 0x01))
    put(t, "resync_garbage", ctl_pack(CH + b"\x17\xf1\x04\x00" + b"garbage!" * 4 + appdata(20, 1),
                                      b"\x00\x01\x02" + srv, 33, 0x11))
    put(t, "shortlink_gaps", ctl_pack(http_req("/mmtls/0011aabb", SL_REQ_RECS), http_resp(SL_RESP_RECS), 17, 0x17))
    put(t, "http_chunked_gaps", ctl_pack(b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n",
                                         b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                         + chunked(bytes(range(200)), [16, 100]) + b"zz\r\n", 12, 0x1B))
    put(t, "longlink_short_record", ctl_pack(CH + rec(0x17, b"short") + appdata(20, 1), SH + rec(0x19, bytes(3)),
                                             255, 0x11))
    put(t, "clienthello_body", client_hello(nsuites=2, tickets=2, keys=3))
    put(t, "serverhello_record", SH)
    put(t, "records_short_and_alert", rec(0x17, b"short") + rec(0x15, b"\x02\x28") + appdata(16, 0) + b"\x17\xf1\x04")
    put(t, "http_head_only", b"POST /mmtls/0011aabb HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")


def gen_keylog():
    t = "fuzz_keylog"
    o = '{"layer":"OUTER","encrypt":%s,"key":"%s","nonce":"%s","metadata":"%s","tail":"%s"}'
    outer1 = o % ("true", "11" * 16, "22" * 12, "0000000000000001" + "1700000020", "33" * 16)
    outer2 = o % ("false", "44" * 16, "55" * 12, "0000000000000002" + "1700000020", "66" * 8)
    cbc = '{"layer":"INNER","encrypt":true,"key":"%s","nonce":"%s","metadata":"","tail":"%s"}' % (
        "77" * 16, "77" * 16, "88" * 8)
    gcm = '{"layer":"INNER","encrypt":false,"key":"%s","iv":"%s","metadata":"%s","tail":"%s","tag":"%s"}' % (
        "99" * 24, "aa" * 12, "bb" * 32, "cc" * 8, "dd" * 16)
    put(t, "valid", "\n".join([outer1, outer2, cbc, gcm]).encode() + b"\n")
    put(t, "valid_crlf_blank", ("\r\n\r\n  \t\r\n" + outer1 + "\r\n\n" + gcm + "\r\n").encode())
    put(t, "broken_json", b'{"layer":"OUTER","encrypt":true,"key":"11\n{not json}\n[1,2,3]\n"str"\n' + outer2.encode())
    put(t, "wrong_sizes", "\n".join([
        o % ("true", "11" * 15, "22" * 12, "", "33" * 8),           # 15-byte key
        o % ("true", "11" * 16, "22" * 11, "", "33" * 8),           # 11-byte nonce
        o % ("true", "11" * 16, "22" * 12, "", "33" * 7),           # 7-byte tail
        o % ("true", "11" * 16, "22" * 12, "", "33" * 17),          # 17-byte tail
        o % ("true", "111" * 11, "22" * 12, "", "33" * 8),          # odd hex
        o % ("true", "zz" * 16, "22" * 12, "", "33" * 8),           # not hex
        o % ("true", "11" * 24, "22" * 12, "", "33" * 8),           # OUTER with a 24-byte key
        o % ("true", "11" * 16, "22" * 12, "ab" * 65, "33" * 8),    # metadata too long
        '{"layer":"INNER","encrypt":true,"key":"%s","iv":"%s","tail":"%s"}' % ("11" * 24, "22" * 12, "33" * 8),
        '{"layer":"INNER","encrypt":true,"key":"%s","tail":"%s","tag":"%s"}' % ("11" * 32, "33" * 8, "44" * 15),
    ]).encode())
    put(t, "missing_fields", b"\n".join([
        b'{"encrypt":true,"key":"' + b"11" * 16 + b'","tail":"' + b"22" * 8 + b'"}',
        b'{"layer":"MIDDLE","encrypt":true}',
        b'{"layer":"OUTER","encrypt":"yes"}',
        b'{"layer":"OUTER","encrypt":true,"key":16}',
        b'{"layer":"OUTER","encrypt":true,"key":"' + b"11" * 16 + b'","nonce":"' + b"22" * 12 + b'"}',
        b'{"layer":"OUTER","layer":"INNER","encrypt":true}',
        b'{"layer":"OUTER","encrypt":true,"key":"\\u0000' + b"1" * 31 + b'"}',
    ]))
    # many entries sharing one tail, and a grown index
    many = []
    for i in range(70):  # past the first growth of the entry array (64)
        many.append('{"layer":"INNER","encrypt":%s,"key":"%s","tail":"%s"}' % (
            "true" if i % 2 else "false", "%02x" % i * 16, "ee" * 8 if i % 3 == 0 else "%02x" % (i + 7) * 9))
    put(t, "many_same_tail", "\n".join(many).encode())
    put(t, "empty", b"")
    put(t, "only_blank", b"\n\n \r\n\t\n")
    put(t, "no_trailing_newline", cbc.encode())
    put(t, "nul_and_binary", b"\x00\xff\n" + gcm.encode() + b"\n\x00")


def gen_envelope():
    t = "fuzz_envelope"
    cbc, gcm = crypto()
    ct1 = cbc(ZBODY)                 # logged: its tail is in the harness key log
    ct2 = cbc(RAW2)                  # not logged: opened by the remembered session key
    g_ct, g_tag = gcm(ZBODY)
    lines = keylog_lines(ct1, g_tag)
    uri = b"/cgi-bin/micromsg-bin/getcdndns"
    host = b"sgshort.wechat.com"

    def short_req(biz_ct):
        body = be16(len(uri)) + uri + be16(len(host)) + host + be32(len(biz_ct)) + biz_ct
        return be32(len(body)) + body

    h1 = bizhdr(5, 1, 379, 58, len(ZBODY))
    put(t, "short_req_cbc", short_req(h1 + ct1))
    put(t, "short_resp_cbc", h1 + ct1)
    put(t, "short_req_truncated", short_req(h1 + ct1)[:70])
    # hybrid GCM: protobuf with a varint field, a fixed64, and the blob in field 2
    pb = b"\x08\x01" + b"\x11" + bytes(8) + b"\x12" + varint(len(g_ct) + 28) + g_ct + GCM_IV + g_tag + b"\x1d" + bytes(4)
    hg = bizhdr(12, 1, 522, 58, len(ZBODY))
    put(t, "short_req_gcm", short_req(hg + pb))
    put(t, "short_resp_gcm", hg + pb)

    def ll(body, cmd=0x79, seq=0x1A):
        return be32(16 + len(body)) + be16(16) + be16(1) + be32(cmd) + be32(seq) + body

    h2 = bizhdr(5, 2, 138, len(RAW2), len(RAW2))
    put(t, "longlink_cbc_then_session_key", ll(h1 + ct1) + ll(h2 + ct2))
    put(t, "longlink_plain_zlib", ll(ZBODY, cmd=0x18) + ll(b"heartbeat", cmd=6))
    put(t, "longlink_bad_len", be32(8) + be16(16) + bytes(10) + b"\xbf")
    put(t, "biz_nocookie_gcm_empty", bizhdr(13, 2, 1, 0, 0, cookie_len=0, extra=b"\x80\x80\x80") + b"\x0a\x00")
    put(t, "plain_bytes", b"plain bytes, no envelope at all\n")
    put(t, "plain_zlib", ZBODY)
    return lines


def main():
    gen_capture()
    gen_mmtls()
    gen_keylog()
    lines = gen_envelope()
    for target, files in sorted(seeds.items()):
        d = os.path.join(OUT, target)
        os.makedirs(d, exist_ok=True)
        for name, data in sorted(files.items()):
            with open(os.path.join(d, "seed_" + name), "wb") as f:
                f.write(data)
        print("%s: %d seeds" % (target, len(files)))
    # the harness embeds these two lines; they must stay in step
    print("fuzz_envelope key log:")
    for ln in lines:
        print("  " + ln)
    src = open(os.path.join(HERE, "fuzz_envelope.c")).read() if os.path.exists(
        os.path.join(HERE, "fuzz_envelope.c")) else ""
    for ln in lines:
        for part in ln.split('"'):
            if len(part) >= 16 and part not in src:
                print("warning: fuzz_envelope.c does not embed %s (from %s)" % (part, ln), file=sys.stderr)


if __name__ == "__main__":
    main()
