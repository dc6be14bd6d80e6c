#include "net/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pl_hostport_split(const char *in, char *host, size_t hostsz, uint16_t *port,
		      uint16_t default_port, char *err, size_t errsz)
{
	const char *h = in, *p = NULL;
	size_t hl;
	if (in[0] == '[') {
		const char *close = strchr(in, ']');
		if (!close) {
			snprintf(err, errsz, "'%s' opens an IPv6 address with '[' but never closes it; write [addr]:port.", in);
			return -EINVAL;
		}
		h = in + 1;
		hl = (size_t)(close - h);
		if (close[1] == ':')
			p = close + 2;
		else if (close[1] != '\0') {
			snprintf(err, errsz, "'%s' has text after ']' that is not ':port'.", in);
			return -EINVAL;
		}
	} else {
		const char *colon = strchr(in, ':');
		if (colon && strchr(colon + 1, ':')) {
			hl = strlen(in); /* a bare IPv6 address, no port */
		} else {
			hl = colon ? (size_t)(colon - in) : strlen(in);
			p = colon ? colon + 1 : NULL;
		}
	}
	if (hl == 0 || hl >= hostsz) {
		snprintf(err, errsz, "'%s' has no host name, or one that is too long.", in);
		return -EINVAL;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = default_port;
	if (p) {
		char *end;
		long v = strtol(p, &end, 10);
		if (*p == '\0' || *end != '\0' || v < 1 || v > 65535) {
			snprintf(err, errsz, "'%s' is not a port number; give one from 1 to 65535.", p);
			return -EINVAL;
		}
		*port = (uint16_t)v;
	}
	return 0;
}

int pl_addr_resolve(const char *host, uint16_t port, int socktype, struct sockaddr_storage *ss,
		    socklen_t *len, char *err, size_t errsz)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = socktype}, *res = NULL;
	char ps[8];
	snprintf(ps, sizeof ps, "%u", port);
	int rc = getaddrinfo(host, ps, &hints, &res);
	if (rc != 0 || !res) {
		snprintf(err, errsz, "Cannot find the host '%s' (%s); check the name or use an IP address.",
			 host, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* The IPv4 address inside sa, if it is IPv4 or IPv4-mapped IPv6. */
static bool v4_of(const struct sockaddr *sa, struct in_addr *a, uint16_t *port)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
		*a = s->sin_addr;
		*port = s->sin_port;
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr)) {
			memcpy(&a->s_addr, s->sin6_addr.s6_addr + 12, 4);
			*port = s->sin6_port;
			return true;
		}
	}
	return false;
}

bool pl_addr_eq(const struct sockaddr *a, const struct sockaddr *b)
{
	struct in_addr a4, b4;
	uint16_t ap, bp;
	bool av4 = v4_of(a, &a4, &ap), bv4 = v4_of(b, &b4, &bp);
	if (av4 || bv4)
		return av4 && bv4 && a4.s_addr == b4.s_addr && ap == bp;
	if (a->sa_family != AF_INET6 || b->sa_family != AF_INET6)
		return false;
	const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a, *y = (const struct sockaddr_in6 *)b;
	return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

uint16_t pl_addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

void pl_addr_set_port(struct sockaddr *sa, uint16_t port)
{
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)sa)->sin_port = htons(port);
	else if (sa->sa_family == AF_INET6)
		((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
}

void pl_addr_host(const struct sockaddr *sa, char *buf, size_t sz)
{
	struct in_addr a4;
	uint16_t port;
	if (v4_of(sa, &a4, &port)) {
		inet_ntop(AF_INET, &a4, buf, (socklen_t)sz);
	} else if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)sz);
	} else {
		snprintf(buf, sz, "?");
	}
}

void pl_addr_fmt(const struct sockaddr *sa, char *buf, size_t sz)
{
	char host[INET6_ADDRSTRLEN];
	struct in_addr a4;
	uint16_t port;
	pl_addr_host(sa, host, sizeof host);
	if (v4_of(sa, &a4, &port) || sa->sa_family != AF_INET6)
		snprintf(buf, sz, "%s:%u", host, pl_addr_port(sa));
	else
		snprintf(buf, sz, "[%s]:%u", host, pl_addr_port(sa));
}

void pl_addr_limit_key(const struct sockaddr *sa, char *buf, size_t sz)
{
	struct in_addr a4;
	uint16_t port;
	if (v4_of(sa, &a4, &port) || sa->sa_family != AF_INET6) {
		pl_addr_host(sa, buf, sz);
		return;
	}
	struct in6_addr a6 = ((const struct sockaddr_in6 *)sa)->sin6_addr;
	memset(a6.s6_addr + 8, 0, 8);
	char host[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, &a6, host, sizeof host);
	snprintf(buf, sz, "%s/64", host);
}
