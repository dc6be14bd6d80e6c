#include "server/metrics.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/addr.h"
#include "server/relay.h"
#include "server/room.h"
#include "server/server.h"
#include "server/session.h"
#include "server/worker.h"
#include "store/storeq.h"

static const char *const login_labels[PL_LOGIN_N] = {
	"password_ok", "key_ok", "registered", "failed", "key_failed", "limited", "busy", "banned",
};
static const char *const refusal_labels[PL_REFUSED_N] = {
	"request", "message", "output", "admission_total", "admission_per_address", "admission_banned",
	"login_limiter", "register_limiter",
};

static void head(struct evbuffer *o, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(struct evbuffer *o, const char *name, const char *type, const char *help, uint64_t v)
{
	head(o, name, type, help);
	evbuffer_add_printf(o, "%s %" PRIu64 "\n", name, v);
}

void pl_metrics_render(struct pl_metrics *m, struct evbuffer *o)
{
	struct pl_server *srv = m->srv;
	unsigned logged_in = 0, rooms = 0;
	for (struct pl_session *s = srv->all; s; s = s->all_next)
		logged_in += s->state == PL_SESS_READY;
	for (struct pl_room *r = srv->rooms; r; r = r->next)
		rooms++;

	one(o, "parleyd_start_time_seconds", "gauge", "When parleyd started, in seconds since the epoch.",
	    m->start_ms / 1000);
	one(o, "parleyd_connections", "gauge", "TLS connections open, logged in or not.", srv->nsessions);
	one(o, "parleyd_sessions", "gauge", "Connections logged in.", logged_in);
	one(o, "parleyd_connections_max", "gauge", "Connections admitted at most (max_connections).",
	    srv->max_sessions);
	head(o, "parleyd_logins_total", "counter", "Login attempts by result.");
	for (int i = 0; i < PL_LOGIN_N; i++)
		evbuffer_add_printf(o, "parleyd_logins_total{result=\"%s\"} %" PRIu64 "\n", login_labels[i], m->logins[i]);
	one(o, "parleyd_messages_stored_total", "counter", "Chat messages stored (and delivered or kept waiting).",
	    m->messages);
	one(o, "parleyd_rooms", "gauge", "Chat rooms that exist, #Lobby included.", rooms);
	one(o, "parleyd_calls", "gauge", "Calls ringing or in progress (server/call.c keeps the count).", srv->ncalls);
	head(o, "parleyd_refusals_total", "counter",
	     "Work refused to protect the server, by budget: requests and messages over their rate, clients "
	     "dropped for unread output, connections turned away at accept, logins and registrations over "
	     "their limiters.");
	for (int i = 0; i < PL_REFUSED_N; i++)
		evbuffer_add_printf(o, "parleyd_refusals_total{budget=\"%s\"} %" PRIu64 "\n", refusal_labels[i],
				    m->refused[i]);
	one(o, "parleyd_config_reloads_total", "counter", "Config reloads (SIGHUP).", m->reloads);

	if (srv->worker) {
		one(o, "parleyd_worker_queue_length", "gauge", "Password checks waiting for a worker thread.",
		    pl_worker_queued(srv->worker));
		one(o, "parleyd_worker_queue_max", "gauge", "Password checks that may wait (worker_queue).",
		    srv->cfg->worker_queue);
	}

	if (srv->relay) {
		struct pl_relay_counters rc;
		pl_relay_counters(srv->relay, &rc);
		head(o, "parleyd_relay_packets_total", "counter", "Voice datagrams received (in) and sent (out), STUN included.");
		evbuffer_add_printf(o, "parleyd_relay_packets_total{direction=\"in\"} %" PRIu64 "\n"
				    "parleyd_relay_packets_total{direction=\"out\"} %" PRIu64 "\n", rc.rx_packets, rc.tx_packets);
		head(o, "parleyd_relay_bytes_total", "counter", "Voice bytes received (in) and sent (out), UDP payloads, STUN included.");
		evbuffer_add_printf(o, "parleyd_relay_bytes_total{direction=\"in\"} %" PRIu64 "\n"
				    "parleyd_relay_bytes_total{direction=\"out\"} %" PRIu64 "\n", rc.rx_bytes, rc.tx_bytes);
		one(o, "parleyd_relay_forwarded_total", "counter", "Voice datagrams forwarded to room members.",
		    rc.forwarded);
		one(o, "parleyd_relay_challenges_total", "counter", "CHALLENGEs sent to prove a voice address.",
		    rc.challenges);
		head(o, "parleyd_relay_drops_total", "counter", "Voice datagrams dropped, by reason.");
		for (unsigned k = 0; k < PL_RELAY_DROP_N; k++)
			evbuffer_add_printf(o, "parleyd_relay_drops_total{reason=\"%s\"} %" PRIu64 "\n",
					    pl_relay_drop_label(k), rc.drops[k]);
		one(o, "parleyd_stun_answered_total", "counter", "STUN Binding requests answered (voice and STUN ports).",
		    rc.stun.answered);
		head(o, "parleyd_stun_refused_total", "counter", "STUN datagrams not answered, by reason.");
		for (unsigned k = 0; k < PL_STUND_REFUSAL_N; k++)
			evbuffer_add_printf(o, "parleyd_stun_refused_total{reason=\"%s\"} %" PRIu64 "\n",
					    pl_stund_refusal_label(k), rc.stun.refused[k]);
	}

	if (srv->writes) {
		struct pl_storeq_stats st;
		pl_storeq_stats(srv->writes, &st);
		one(o, "parleyd_store_writes_total", "counter", "Durable writes committed (or failed).", st.writes);
		one(o, "parleyd_store_failed_commits_total", "counter", "Commits that failed.", st.failed_commits);
		one(o, "parleyd_store_queue_length", "gauge", "Writes waiting for the store thread.", st.queued);
		head(o, "parleyd_store_commit_seconds", "histogram",
		     "Time per commit of a group of writes (one fsync), in seconds.");
		unsigned long long cum = 0;
		for (int b = 0; b < PL_STOREQ_BUCKETS; b++) {
			cum += st.commit_hist[b];
			evbuffer_add_printf(o, "parleyd_store_commit_seconds_bucket{le=\"%g\"} %llu\n",
					    pl_storeq_bucket_ms[b] / 1000.0, cum);
		}
		cum += st.commit_hist[PL_STOREQ_BUCKETS];
		evbuffer_add_printf(o, "parleyd_store_commit_seconds_bucket{le=\"+Inf\"} %llu\n"
				    "parleyd_store_commit_seconds_sum %.6f\n"
				    "parleyd_store_commit_seconds_count %llu\n", cum, st.commit_ms_sum / 1000.0, st.commits);
	}
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct pl_metrics *m = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	struct evbuffer *body = evbuffer_new();
	if (!body) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	if (path && (strcmp(path, "/metrics") == 0 || strcmp(path, "/") == 0)) {
		pl_metrics_render(m, body);
		evhttp_add_header(h, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
		evhttp_send_reply(req, HTTP_OK, "OK", body);
	} else {
		evbuffer_add_printf(body, "parleyd serves its metrics on /metrics.\n");
		evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
		evhttp_send_reply(req, HTTP_NOTFOUND, "Not Found", body);
	}
	evbuffer_free(body);
}

/* "127.0.0.1:9787" or "[::1]:9787"; port 0 lets the kernel pick one. */
static int split(const char *in, char *host, size_t sz, uint16_t *port)
{
	const char *colon = strrchr(in, ':');
	if (!colon || colon == in)
		return -EINVAL;
	const char *h = in, *he = colon;
	if (in[0] == '[') {
		if (colon[-1] != ']')
			return -EINVAL;
		h++;
		he--;
	}
	if (he <= h || (size_t)(he - h) >= sz)
		return -EINVAL;
	memcpy(host, h, (size_t)(he - h));
	host[he - h] = '\0';
	char *end;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || p > 65535)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

int pl_metrics_alloc(struct pl_metrics **mp, struct pl_server *srv, const char *listen, char *err, size_t errsz)
{
	struct pl_metrics *m = calloc(1, sizeof *m);
	if (!m)
		return -ENOMEM;
	m->srv = srv;
	m->start_ms = pl_env_wall_ms(srv->env);
	if (!listen[0]) {
		*mp = m;
		return 0;
	}
	char host[256];
	uint16_t port;
	if (split(listen, host, sizeof host, &port) < 0) {
		snprintf(err, errsz, "metrics_listen needs ADDRESS:PORT (127.0.0.1:9787, [::1]:9787; port 0 picks one), "
			 "not '%s'.", listen);
		free(m);
		return -EINVAL;
	}
	m->http = evhttp_new(srv->base);
	if (!m->http) {
		free(m);
		snprintf(err, errsz, "Out of memory.");
		return -ENOMEM;
	}
	/* A scrape is one small GET: nothing else is accepted, and a slow peer is dropped. */
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET);
	evhttp_set_max_headers_size(m->http, 8192);
	evhttp_set_max_body_size(m->http, 0);
	evhttp_set_timeout(m->http, 10);
	evhttp_set_gencb(m->http, on_request, m);
	struct evhttp_bound_socket *bound = evhttp_bind_socket_with_handle(m->http, host, port);
	if (!bound) {
		int e = errno;
		snprintf(err, errsz, "Cannot serve metrics on %s (%s); choose another metrics_listen, or leave it empty "
			 "for no metrics.", listen, e ? strerror(e) : "cannot bind");
		evhttp_free(m->http);
		free(m);
		return e ? -e : -EADDRINUSE;
	}
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&ss, &len) == 0)
		m->port = pl_addr_port((struct sockaddr *)&ss);
	*mp = m;
	return 0;
}

void pl_metrics_free(struct pl_metrics *m)
{
	if (!m)
		return;
	if (m->http)
		evhttp_free(m->http);
	free(m);
}
