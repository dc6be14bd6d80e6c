/*
 * pl_load's shared state (bench/pl_load.c, the clients and the run; bench/pl_load_ledger.c, who
 * each client is, what was sent and received, and the report). Nothing outside bench/ uses it.
 */
#ifndef PL_LOAD_H
#define PL_LOAD_H

#include <event2/event.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/msg.h"
#include "net/conn.h"

/* Protocol 2 brought device keys (REGISTER and LOGIN carry one; LOGIN_KEY logs in with it). Built
 * against a tree of protocol 1, for a before-and-after benchmark (bench/run_store_bench.py --ref),
 * pl_load logs in by password only. */
#define LD_V2 (PL_PROTO_VERSION >= 2)

#define LD_MAX_CLIENTS 20000
#define LD_ERR_CODES 1000 /* ERROR codes counted one by one; 0 counts what this end got wrong */
#define LD_PREFIX_MAX 20

enum ld_auth { LD_AUTH_REGISTER, LD_AUTH_PASSWORD, LD_AUTH_KEY };
enum ld_state { LD_IDLE, LD_TLS, LD_HELLO, LD_AUTH, LD_JOIN, LD_READY, LD_FAILED, LD_CLOSED };
enum ld_phase { LD_LOGIN, LD_RUN, LD_DRAIN, LD_CLOSE };

struct ld_opts {
	char host[64];
	uint16_t port;
	unsigned n, room_size, concurrency, window, src_addrs, text_bytes;
	enum ld_auth auth;
	double duration, rate, drain, max_seconds;
	const char *seed, *prefix, *fingerprint, *label;
	bool part_lobby, nagle;
};

/* One SAY, by (sender, tag): tag t is msgs[t - 1]. */
struct ld_sent {
	uint64_t id; /* from SAY_OK, or from the first TEXT when that came first */
	int64_t t_send, t_ack;
	uint32_t got; /* members it reached */
	uint8_t state; /* 0 outstanding, 1 acknowledged, 2 refused with an ERROR */
};

struct ld_run;

struct ld_client {
	struct ld_run *L;
	unsigned idx, room;
	enum ld_state st;
	struct pl_conn *conn;
	struct event *retry;
	bool by_us; /* we closed it */
	char nick[PL_NICK_MAX + 1], room_name[PL_ROOM_MAX + 1], password[40];
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
#if LD_V2
	uint8_t challenge[PL_CHALLENGE_LEN], cert_hash[PL_CERT_HASH_LEN];
#endif
	unsigned busy_retries;
	int64_t t_connect, t_auth;
	int64_t next_send;
	uint32_t outstanding, oldest; /* SAYs without an answer; index of the oldest candidate */
	struct ld_sent *msgs;
	uint64_t *masks; /* per message, which members got it: mask_words words each */
	uint32_t nmsgs, cap;
};

struct ld_run {
	struct ld_opts o;
	struct event_base *base;
	SSL_CTX *tls;
	struct sockaddr_in srv;
	struct ld_client *c;
	struct event *tick, *check, *sigint, *sigterm;
	enum ld_phase phase;
	unsigned next_start, in_login, opened, mask_words;
	struct pl_msg out; /* the message being sent: encoded at once, so one will do */
	int64_t t0, t_first_connect, t_last_auth, t_ready, t_run_start, t_run_end, t_drain_end, t_close;
	/* counts */
	unsigned connected, logins_ok, logins_failed, device_added, ready, join_failed, disconnects, closed;
	unsigned cert_mismatch, busy_retries;
	uint64_t pings, sent, acked, acked_in_run, refused, bad_acks, expected, received, dups, stray,
		mismatched, id_mismatch;
	uint64_t errors[LD_ERR_CODES];
	uint64_t disconnect_in[LD_CLOSED + 1];
};

int64_t ld_mono_ns(void);
/* Members of room k (the last room may be smaller). */
unsigned ld_room_members(const struct ld_run *L, unsigned room);
/* Client c's nick, room, password and device key, from the run seed and its index. */
void ld_identity(struct ld_client *c);

/* A SAY about to be sent: returns its tag (> 0), or 0 when out of memory. */
uint32_t ld_sent(struct ld_client *c, int64_t now);
/* SAY_OK: false when it matches no outstanding SAY. */
bool ld_acked(struct ld_client *c, uint32_t tag, uint64_t id, int64_t now);
/* An ERROR about a SAY: answers the oldest SAY still without an answer. */
void ld_refused(struct ld_client *c);
/* A TEXT received by client r. */
void ld_text(struct ld_client *r, const struct pl_msg *m);

/* The run's JSON object, on stdout. */
void ld_report(struct ld_run *L);

extern const char *const ld_state_names[];

#endif
