/*
 * packet.h - one captured frame decoded down to its TCP segment.
 *
 * packet_decode() walks the link header (Ethernet with VLAN tags, Linux
 * cooked SLL and SLL2, BSD loopback/null, raw IP), the IPv4 or IPv6 header
 * (with IPv6 extension headers) and the TCP header, and hands back the
 * addresses, ports, sequence numbers, flags and a pointer to the payload
 * inside the caller's frame. Every byte is read through bounds-checked
 * accessors (like tcpdump's GET_U_1 / ND_TCHECK), so a frame cut by the
 * snap length or a lying length field cannot make it read past caplen.
 * An ICMP or ICMPv6 "destination unreachable" that quotes a TCP segment is
 * decoded too: the quoted segment's addresses tell whose SYN it answers.
 */
#ifndef GW_PACKET_H
#define GW_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* TCP header flags. */
#define PKT_FIN	0x01
#define PKT_SYN	0x02
#define PKT_RST	0x04
#define PKT_PSH	0x08
#define PKT_ACK	0x10

enum packet_kind {
	PACKET_TCP,		/* a TCP segment: every field below is set */
	PACKET_UNREACH,		/* ICMP unreachable quoting a TCP segment: the
				 * addresses, ports and seq are the quoted
				 * segment's (the sender of the SYN is src) */
	PACKET_OTHER,		/* not TCP, or a fragment: skipped */
	PACKET_TRUNCATED,	/* cut before the end of the TCP header */
	PACKET_BAD		/* headers that contradict themselves */
};

struct packet {
	int64_t ts_us;		/* capture time, µs since the epoch */
	uint8_t family;		/* 4 or 6 */
	uint8_t src[16], dst[16];	/* IPv4 uses the first 4 bytes, the
					 * other 12 are zero (tcp.c compares
					 * all 16) */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;		/* PKT_* */
	const uint8_t *payload;	/* inside the frame given to packet_decode */
	size_t len;		/* payload bytes captured */
	size_t wire_len;	/* payload bytes the IP header announced;
				 * > len when the snap length cut the frame */
};

/*
 * Decode frame (caplen bytes captured) of link type dlt (a DLT_* of
 * libpcap). Returns the kind; p is filled for PACKET_TCP and
 * PACKET_UNREACH. Never reads outside frame[0..caplen).
 */
enum packet_kind packet_decode(int dlt, const uint8_t *frame, size_t caplen,
    struct packet *p);

/* Whether packet_decode knows link type dlt. */
bool packet_dlt_supported(int dlt);

#endif
