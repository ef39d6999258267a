/* A tiny polled IPv4 host over virtio-net for the test guests (net.c,
 * netnode.c): Ethernet, ARP (with a small cache), IPv4, ICMP echo both
 * ways, a DHCP client, UDP, and an echo service on UDP port 7 that
 * upper-cases the payload. No interrupts: whoever waits calls net_poll. */
#ifndef VIRTTY_GUEST_NETLIB_H
#define VIRTTY_GUEST_NETLIB_H

#include <stddef.h>
#include <stdint.h>

#include "guest_virtio.h"

#define NET_HDR	      12 /* struct virtio_net_hdr with num_buffers */
#define NET_ECHO_PORT 7

/* The device, for drivers that poke at it directly (net.c's 'g'). */
extern struct virtio_dev net_dev;
extern struct virtq net_rxq, net_txq;
extern uint8_t net_tx_buf[NET_HDR + 1600];

/* Configuration: the MAC is read from the device, the rest set by the
 * caller or by net_dhcp. An address of all zeroes is "none". */
extern uint8_t net_mac[6], net_ip[4], net_router[4];
extern unsigned int net_prefix; /* 0..32 */
extern uint32_t net_rx_count, net_tx_count;

/* Open the device, negotiate, post every RX buffer. 0 or -1. */
int net_setup(void);
/* Handle every received frame (ARP, ICMP echo requests, UDP echo...). */
void net_poll(void);
/* Put one Ethernet frame on the wire. 0 or -1. */
int net_send(const uint8_t *frame, size_t len);

/* DISCOVER/OFFER/REQUEST/ACK (three tries): fills net_ip, net_prefix and
 * net_router; server gets the DHCP server's address. 0 or -1. */
int net_dhcp(uint8_t server[4]);

/* The MAC of ip's next hop (ip itself on the local subnet, else the
 * router), asking by ARP if it is not cached. 0 or -1 (no route, no answer). */
int net_resolve(const uint8_t ip[4], uint8_t mac[6]);
/* ICMP echo to ip, wait for the reply with this sequence number. 0 or -1. */
int net_ping(const uint8_t ip[4], uint16_t seq);
/* A UDP datagram from sport to ip:dport. 0 or -1 (no next hop). */
int net_udp_send(const uint8_t ip[4], uint16_t sport, uint16_t dport, const void *data, size_t len);
/* Send as net_udp_send, then wait for a datagram from ip:dport to sport.
 * 0 or -1. */
int net_udp_probe(const uint8_t ip[4], uint16_t sport, uint16_t dport, const void *data,
		  size_t len);

/* "10.0.2.15" into ip; returns the character after it, NULL if malformed. */
const char *net_parse_ip(const char *s, uint8_t ip[4]);

#endif
