/*
 * packet.c - link, IP and TCP headers of one frame; see packet.h.
 *
 * A struct cursor is the frame still to read (pointer and length); the
 * cur_* accessors check the length before every read and fail instead of
 * reading past it, in the manner of tcpdump's GET_U_1 and ND_TCHECK_LEN.
 * Nothing here trusts a length field beyond what was captured: the IP
 * total length only ever shortens the view (to drop Ethernet padding).
 */
#include <string.h>

#include <pcap/dlt.h>

#include "capture/packet.h"

#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_IPV6	0x86dd
#define ETHERTYPE_VLAN	0x8100
#define ETHERTYPE_QINQ	0x88a8
#define ETHERTYPE_QINQ1	0x9100
#define VLAN_DEPTH_MAX	4
#define IPPROTO_TCP_NUM	6
#define IPPROTO_ICMP_NUM	1
#define IPPROTO_ICMPV6_NUM	58
#define LINKTYPE_RAW_NUM	101

/* The bytes of a frame not read yet. */
struct cursor {
	const uint8_t *p;
	size_t len;
};

/* Whether n more bytes are there. */
static bool
cur_has(const struct cursor *c, size_t n)
{
	return c->len >= n;
}

/* Byte at off; false when off is outside the cursor. */
static bool
cur_u8(const struct cursor *c, size_t off, uint8_t *v)
{
	if (off >= c->len)
		return false;
	*v = c->p[off];
	return true;
}

/* Big-endian 16 bits at off. */
static bool
cur_be16(const struct cursor *c, size_t off, uint16_t *v)
{
	if (off > c->len || c->len - off < 2)
		return false;
	*v = (uint16_t)(c->p[off] << 8 | c->p[off + 1]);
	return true;
}

/* Big-endian 32 bits at off. */
static bool
cur_be32(const struct cursor *c, size_t off, uint32_t *v)
{
	if (off > c->len || c->len - off < 4)
		return false;
	*v = (uint32_t)c->p[off] << 24 | (uint32_t)c->p[off + 1] << 16 |
	    (uint32_t)c->p[off + 2] << 8 | c->p[off + 3];
	return true;
}

/* Copy n bytes at off into out. */
static bool
cur_copy(const struct cursor *c, size_t off, void *out, size_t n)
{
	if (off > c->len || c->len - off < n)
		return false;
	memcpy(out, c->p + off, n);
	return true;
}

/* Drop n bytes from the front; false (and no change) when fewer are left. */
static bool
cur_skip(struct cursor *c, size_t n)
{
	if (!cur_has(c, n))
		return false;
	c->p += n;
	c->len -= n;
	return true;
}

/*
 * Find the network-layer protocol after the link header of dlt; leaves c
 * at the IP header. Returns 4, 6, 0 for another protocol, -1 when cut.
 */
static int
link_layer(int dlt, struct cursor *c)
{
	uint16_t type;
	uint32_t af, be;
	uint8_t v;

	switch (dlt) {
	case DLT_EN10MB:
		if (!cur_be16(c, 12, &type) || !cur_skip(c, 14))
			return -1;
		for (int depth = 0; type == ETHERTYPE_VLAN ||
		    type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ1; depth++) {
			if (depth == VLAN_DEPTH_MAX)
				return 0;
			if (!cur_be16(c, 2, &type) || !cur_skip(c, 4))
				return -1;
		}
		break;
	case DLT_LINUX_SLL:
		if (!cur_be16(c, 14, &type) || !cur_skip(c, 16))
			return -1;
		break;
	case DLT_LINUX_SLL2:
		if (!cur_be16(c, 0, &type) || !cur_skip(c, 20))
			return -1;
		break;
	case DLT_NULL:
	case DLT_LOOP:
		if (!cur_be32(c, 0, &be) || !cur_copy(c, 0, &af, 4) ||
		    !cur_skip(c, 4))
			return -1;
		if (dlt == DLT_LOOP)	/* network byte order */
			af = be;
		else if (af > 0xffff)	/* host order of another machine */
			af = __builtin_bswap32(af);
		/* AF_INET is 2 everywhere; AF_INET6 is 10, 24, 28 or 30. */
		if (af == 2)
			return 4;
		if (af == 10 || af == 24 || af == 28 || af == 30)
			return 6;
		return 0;
	case DLT_RAW:
	case LINKTYPE_RAW_NUM:
	case DLT_IPV4:
	case DLT_IPV6:
		if (!cur_u8(c, 0, &v))
			return -1;
		return v >> 4 == 4 ? 4 : v >> 4 == 6 ? 6 : 0;
	default:
		return 0;
	}
	if (type == ETHERTYPE_IPV4)
		return 4;
	if (type == ETHERTYPE_IPV6)
		return 6;
	return 0;
}

/* See packet.h. */
bool
packet_dlt_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB: case DLT_LINUX_SLL: case DLT_LINUX_SLL2:
	case DLT_NULL: case DLT_LOOP: case DLT_RAW: case LINKTYPE_RAW_NUM:
	case DLT_IPV4: case DLT_IPV6:
		return true;
	}
	return false;
}

/*
 * IPv4 header at c: fill addresses, leave c at the transport header, cut
 * to the datagram's own length. *proto is the protocol; *wire the
 * transport bytes announced. Returns a packet_kind (PACKET_TCP = go on).
 */
static enum packet_kind
ipv4_layer(struct cursor *c, struct packet *p, uint8_t *proto, size_t *wire)
{
	uint8_t vihl;
	uint16_t total, frag;
	size_t hlen;

	if (!cur_u8(c, 0, &vihl) || !cur_be16(c, 2, &total) ||
	    !cur_be16(c, 6, &frag) || !cur_u8(c, 9, proto) ||
	    !cur_copy(c, 12, p->src, 4) || !cur_copy(c, 16, p->dst, 4))
		return PACKET_TRUNCATED;
	hlen = (size_t)(vihl & 0x0f) * 4;
	if (vihl >> 4 != 4 || hlen < 20 || total < hlen)
		return PACKET_BAD;
	if ((frag & 0x3fff) != 0)	/* MF set or an offset: a fragment */
		return PACKET_OTHER;
	p->family = 4;
	memset(p->src + 4, 0, 12);
	memset(p->dst + 4, 0, 12);
	if (!cur_skip(c, hlen))
		return PACKET_TRUNCATED;
	*wire = total - hlen;
	if (c->len > *wire)	/* link padding */
		c->len = *wire;
	return PACKET_TCP;
}

/* IPv6 header and extension headers; as ipv4_layer. */
static enum packet_kind
ipv6_layer(struct cursor *c, struct packet *p, uint8_t *proto, size_t *wire)
{
	uint8_t v, next, hlen8;
	uint16_t plen;

	if (!cur_u8(c, 0, &v) || !cur_be16(c, 4, &plen) ||
	    !cur_u8(c, 6, &next) || !cur_copy(c, 8, p->src, 16) ||
	    !cur_copy(c, 24, p->dst, 16))
		return PACKET_TRUNCATED;
	if (v >> 4 != 6)
		return PACKET_BAD;
	p->family = 6;
	if (!cur_skip(c, 40))
		return PACKET_TRUNCATED;
	*wire = plen != 0 ? plen : c->len;	/* 0: jumbogram */
	if (c->len > *wire)
		c->len = *wire;
	for (int n = 0; n < 8; n++) {
		size_t skip;

		switch (next) {
		case 0:		/* hop-by-hop */
		case 43:	/* routing */
		case 60:	/* destination options */
			if (!cur_u8(c, 0, &next) || !cur_u8(c, 1, &hlen8))
				return PACKET_TRUNCATED;
			skip = ((size_t)hlen8 + 1) * 8;
			break;
		case 44:	/* fragment */
			return PACKET_OTHER;
		default:
			*proto = next;
			return PACKET_TCP;
		}
		if (!cur_skip(c, skip) || *wire < skip)
			return PACKET_TRUNCATED;
		*wire -= skip;
	}
	return PACKET_OTHER;
}

/* TCP header at c; fills ports, numbers, flags and payload. */
static enum packet_kind
tcp_layer(struct cursor *c, struct packet *p, size_t wire)
{
	uint8_t off;
	size_t hlen;

	if (!cur_be16(c, 0, &p->sport) || !cur_be16(c, 2, &p->dport) ||
	    !cur_be32(c, 4, &p->seq) || !cur_be32(c, 8, &p->ack) ||
	    !cur_u8(c, 12, &off) || !cur_u8(c, 13, &p->flags))
		return PACKET_TRUNCATED;
	hlen = (size_t)(off >> 4) * 4;
	if (hlen < 20 || wire < hlen)
		return PACKET_BAD;
	if (!cur_skip(c, hlen))
		return PACKET_TRUNCATED;
	p->payload = c->p;
	p->len = c->len;
	p->wire_len = wire - hlen;
	return PACKET_TCP;
}

/*
 * ICMP (v4 type 3, v6 type 1) unreachable quoting a TCP segment: decode
 * the quoted IP header and the first 8 bytes of its TCP header.
 */
static enum packet_kind
unreach_layer(struct cursor *c, struct packet *p, bool v6)
{
	uint8_t type, proto;
	size_t wire;
	enum packet_kind k;

	if (!cur_u8(c, 0, &type))
		return PACKET_TRUNCATED;
	if (type != (v6 ? 1 : 3))
		return PACKET_OTHER;
	if (!cur_skip(c, 8))
		return PACKET_TRUNCATED;
	k = v6 ? ipv6_layer(c, p, &proto, &wire) :
	    ipv4_layer(c, p, &proto, &wire);
	if (k != PACKET_TCP)
		return k == PACKET_BAD ? PACKET_OTHER : k;
	if (proto != IPPROTO_TCP_NUM)
		return PACKET_OTHER;
	if (!cur_be16(c, 0, &p->sport) || !cur_be16(c, 2, &p->dport) ||
	    !cur_be32(c, 4, &p->seq))
		return PACKET_TRUNCATED;
	p->ack = 0;
	p->flags = 0;
	p->payload = NULL;
	p->len = p->wire_len = 0;
	return PACKET_UNREACH;
}

/*
 * The usual frame the long way below reads (Ethernet, IPv4 without
 * options nor fragment, TCP, all its header captured), read with one
 * bounds check: true when it was, p filled as tcp_layer fills it; false
 * for anything else, which the long way reads (and says why). A sixth of
 * the capture side's cost per packet on small keep-alive segments was
 * the cursor's checks.
 */
static bool
decode_eth_ipv4_tcp(const uint8_t *frame, size_t caplen, struct packet *p)
{
	const uint8_t *ip = frame + 14, *tcp = frame + 34;
	size_t total, wire, len, hlen;

	if (caplen < 54 || frame[12] != 0x08 || frame[13] != 0x00 ||
	    ip[0] != 0x45 || ip[9] != IPPROTO_TCP_NUM ||
	    ((ip[6] << 8 | ip[7]) & 0x3fff) != 0)
		return false;
	total = (size_t)(ip[2] << 8 | ip[3]);
	if (total < 20)
		return false;
	wire = total - 20;
	len = caplen - 34;
	if (len > wire)		/* link padding */
		len = wire;
	hlen = (size_t)(tcp[12] >> 4) * 4;
	if (hlen < 20 || wire < hlen || len < hlen)
		return false;
	p->family = 4;
	memcpy(p->src, ip + 12, 4);
	memcpy(p->dst, ip + 16, 4);
	memset(p->src + 4, 0, 12);
	memset(p->dst + 4, 0, 12);
	p->sport = (uint16_t)(tcp[0] << 8 | tcp[1]);
	p->dport = (uint16_t)(tcp[2] << 8 | tcp[3]);
	p->seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 |
	    (uint32_t)tcp[6] << 8 | tcp[7];
	p->ack = (uint32_t)tcp[8] << 24 | (uint32_t)tcp[9] << 16 |
	    (uint32_t)tcp[10] << 8 | tcp[11];
	p->flags = tcp[13];
	p->payload = tcp + hlen;
	p->len = len - hlen;
	p->wire_len = wire - hlen;
	return true;
}

/* See packet.h. */
enum packet_kind
packet_decode(int dlt, const uint8_t *frame, size_t caplen, struct packet *p)
{
	struct cursor c = { frame, caplen };
	uint8_t proto = 0;
	size_t wire = 0;
	enum packet_kind k;
	int net;

	if (dlt == DLT_EN10MB && decode_eth_ipv4_tcp(frame, caplen, p))
		return PACKET_TCP;
	net = link_layer(dlt, &c);
	if (net < 0)
		return PACKET_TRUNCATED;
	if (net == 0)
		return PACKET_OTHER;
	k = net == 4 ? ipv4_layer(&c, p, &proto, &wire) :
	    ipv6_layer(&c, p, &proto, &wire);
	if (k != PACKET_TCP)
		return k;
	if (proto == IPPROTO_TCP_NUM)
		return tcp_layer(&c, p, wire);
	if ((net == 4 && proto == IPPROTO_ICMP_NUM) ||
	    (net == 6 && proto == IPPROTO_ICMPV6_NUM)) {
		int64_t ts = p->ts_us;
		k = unreach_layer(&c, p, net == 6);
		p->ts_us = ts;
		return k;
	}
	return PACKET_OTHER;
}
