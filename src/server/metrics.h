/*
 * metrics: parleyd's counters, and a Prometheus endpoint (text exposition format 0.0.4) on a local
 * HTTP port when `metrics_listen` is set, served by libevent's evhttp on the event loop.
 *
 * The counters here belong to the event-loop thread: code there bumps them directly (no atomics,
 * no locks). What other threads count they publish themselves, without cost per packet or write:
 * the relay copies its counters into atomics once per wake-up (server/relay.h), the store thread
 * keeps its commit histogram under the lock it takes once per commit anyway (store/storeq.h).
 * Gauges (connections, rooms, the worker queue) are read when scraped.
 */
#ifndef PL_METRICS_H
#define PL_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct pl_server;

/* parleyd_logins_total{result=...} */
enum pl_login_result {
	PL_LOGIN_PASSWORD_OK, /* a password login (LOGIN) */
	PL_LOGIN_KEY_OK,      /* a device-key login (LOGIN_KEY) */
	PL_LOGIN_REGISTERED,  /* an account made and logged in (REGISTER) */
	PL_LOGIN_FAILED,      /* a wrong password, or no such account */
	PL_LOGIN_KEY_FAILED,  /* a key not registered, revoked, or a signature that does not check */
	PL_LOGIN_LIMITED,     /* refused by a guessing or registration limiter (439, 454) */
	PL_LOGIN_BUSY,        /* the password workers' queue was full (447) */
	PL_LOGIN_BANNED,      /* the account is banned (455) */
	PL_LOGIN_N
};

/* parleyd_refusals_total{budget=...}: work refused to protect the server. */
enum pl_refusal {
	PL_REFUSED_REQUEST,        /* a frame past the request budget (438) */
	PL_REFUSED_MESSAGE,        /* a SAY past the message budget (438) */
	PL_REFUSED_OUTPUT,         /* a client dropped for leaving more than output_max unread */
	PL_REFUSED_ADMIT_TOTAL,    /* a connection turned away at accept: max_connections */
	PL_REFUSED_ADMIT_ADDRESS,  /* ... max_connections_per_ip */
	PL_REFUSED_ADMIT_BANNED,   /* ... an address ban */
	PL_REFUSED_LOGIN_LIMITER,  /* a password login past a guessing budget (439) */
	PL_REFUSED_REGISTER_LIMITER, /* a registration past its budget (454) */
	PL_REFUSED_N
};

struct pl_metrics {
	uint64_t logins[PL_LOGIN_N];
	uint64_t refused[PL_REFUSED_N];
	uint64_t messages; /* messages stored (SAYs and notices) */
	uint64_t reloads;  /* SIGHUPs handled */
	uint64_t start_ms; /* wall clock at start */
	struct pl_server *srv;
	struct evhttp *http;
	uint16_t port; /* the HTTP port bound (metrics_listen's port 0 picks one), 0 when off */
};

/* The counters, and the HTTP endpoint when listen is not empty ("127.0.0.1:9787", "[::1]:9787").
 * Binds the port at once, so a port in use fails the start before anything is written. Returns 0
 * or -errno with a sentence in err. */
int pl_metrics_alloc(struct pl_metrics **mp, struct pl_server *srv, const char *listen, char *err, size_t errsz);
void pl_metrics_free(struct pl_metrics *m);

static inline void pl_metrics_login(struct pl_metrics *m, enum pl_login_result r)
{
	m->logins[r]++;
}

static inline void pl_metrics_refused(struct pl_metrics *m, enum pl_refusal r)
{
	m->refused[r]++;
}

/* The exposition text, as served on /metrics (for tests and the admin socket). */
struct evbuffer;
void pl_metrics_render(struct pl_metrics *m, struct evbuffer *out);

#endif
