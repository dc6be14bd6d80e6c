/*
 * addr: socket addresses for IPv4 and IPv6: parsing "host:port" / "[v6]:port", comparing, and
 * printing them for logs and people.
 */
#ifndef PL_ADDR_H
#define PL_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PL_ADDR_STR 64

/* Splits "host:port", "[v6addr]:port" or "host" (port = default_port) without resolving.
 * Returns 0 or -EINVAL with a sentence in err. */
int pl_hostport_split(const char *in, char *host, size_t hostsz, uint16_t *port,
		      uint16_t default_port, char *err, size_t errsz);

/* Resolves host (name or literal) for a socket of the given type; first result wins. */
int pl_addr_resolve(const char *host, uint16_t port, int socktype, struct sockaddr_storage *ss,
		    socklen_t *len, char *err, size_t errsz);

/* Same family, address and port (IPv4-mapped IPv6 equals the plain IPv4). */
bool pl_addr_eq(const struct sockaddr *a, const struct sockaddr *b);
uint16_t pl_addr_port(const struct sockaddr *sa);
void pl_addr_set_port(struct sockaddr *sa, uint16_t port);
/* "127.0.0.1:7787" or "[::1]:7787" ("?" for an unknown family). */
void pl_addr_fmt(const struct sockaddr *sa, char *buf, size_t sz);
/* The address without the port ("127.0.0.1"). */
void pl_addr_host(const struct sockaddr *sa, char *buf, size_t sz);
/* The key that per-address limits count under: an IPv4 address ("192.0.2.7", IPv4-mapped IPv6
 * included), or an IPv6 address's /64 ("2001:db8:1:2::/64"), since one subscriber is usually given
 * a whole /64 and could otherwise sidestep every per-address limit. */
void pl_addr_limit_key(const struct sockaddr *sa, char *buf, size_t sz);

#endif
