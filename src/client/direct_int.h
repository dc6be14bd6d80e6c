/*
 * direct_int: direct mode's state, shared by its parts: direct.c (the call's state machine over
 * core/dmsg.h), direct_cmd.c (the person's commands, the contacts book, the event loop) and
 * direct_tui.c (the terminal UI, on a terminal).
 * Internal to direct mode; nothing else includes it.
 */
#ifndef PL_DIRECT_INT_H
#define PL_DIRECT_INT_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "client/cbook.h"
#include "client/client.h"
#include "client/direct.h"
#include "client/ui.h"
#include "client/voice.h"
#include "core/dmsg.h"
#include "core/e2e.h"
#include "core/env.h"
#include "core/media.h"
#include "core/ratelimit.h"
#include "net/addr.h"

#define DR_TEXTS 8  /* messages awaiting the peer's acknowledgement */
#define DR_SEEN 32  /* ids of messages received lately, to drop copies sent again */
#define DR_LINE_MAX 8192

enum dstate {
	D_NONE,
	D_CALLING,     /* caller: CALL sent (again with backoff); rang says RINGING came */
	D_RINGING_IN,  /* callee: it rings here */
	D_ANSWERED,    /* callee: ANSWER sent, waiting for the REVEAL */
	D_ACTIVE,
	D_CLOSING,     /* ended: the keys kept a moment for the HANGUP's acknowledgement */
};

struct dtext {
	uint32_t id; /* 0: free */
	unsigned tries;
	uint64_t next_ms;
	char text[PL_DMSG_TEXT_MAX + 1];
};

struct dcall {
	uint8_t state;
	bool outgoing, rang, proven, keyed, confirmed, media, hangup_ours;
	bool by_contact; /* caller: peer is the contact's name the person called */
	uint64_t id, peer_id;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char addr_str[PL_ADDR_STR];
	char peer[PL_DMSG_NAME_MAX + 1];
	struct pl_media_format fmt;
	struct pl_e2e_state hs;
	struct pl_e2e_offer in_offer;
	struct pl_e2e_keys keys;
	uint8_t req[PL_DMSG_REQ_LEN];      /* caller: the CALL, sent again while it rings */
	size_t req_len;
	uint8_t answer[PL_DMSG_REQ_LEN];   /* callee: the ANSWER, sent again for each CALL */
	size_t answer_len;
	uint8_t reveal[PL_DMSG_REQ_LEN];   /* caller: the REVEAL, until the callee confirms */
	size_t reveal_len;
	size_t credit; /* callee: bytes the unproven caller sent and we have not answered */
	unsigned attempt;
	uint64_t since_ms, heard_ms, started_ms, keepalive_ms, closing_since;
	uint8_t ctl_tx[PL_MEDIA_KEY_LEN], ctl_rx[PL_MEDIA_KEY_LEN];
	uint64_t ctl_counter;
	struct pl_replay ctl_win;
	struct dtext texts[DR_TEXTS];
	uint32_t text_next;
	uint32_t seen[DR_SEEN];
	unsigned seen_at;
};

struct dstatus {
	uint64_t id; /* 0: none asked */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char shown[PL_ADDR_STR + PL_DMSG_NAME_MAX];
	uint8_t req[PL_DMSG_REQ_LEN];
	size_t req_len;
	unsigned tries;
};

struct direct {
	const struct pl_client_opts *o;
	const struct pl_env *env;
	struct event_base *base;
	struct pl_ui ui;
	struct pl_voice *voice;
	struct pl_cbook *book; /* NULL: no passphrase, no contacts */
	struct pl_limiter *limiter;
	uint8_t pk[PL_DEVICE_KEY_LEN], sk[PL_DEVICE_SECRET_LEN];
	char name[PL_DMSG_NAME_MAX + 1];
	uint64_t self_id;
	struct dcall call;
	struct dstatus status;
	struct event *retx, *tick, *status_timer, *in_ev;
	bool send_warned, quitting, voice_in_done;
	int exit_code;
	char line[DR_LINE_MAX];
	size_t line_len;
	/* The last call's peer, for /verify after it ended. */
	bool have_last;
	char last_peer[PL_DMSG_NAME_MAX + 1], last_addr[PL_ADDR_STR];
	uint8_t last_key[PL_DEVICE_KEY_LEN];
	/* After a rendezvous (client/rdvc.h): the person met, whose call is answered by itself. */
	bool have_met;
	uint8_t met_key[PL_DEVICE_KEY_LEN];
};

/* direct.c */
bool dr_on_dgram(void *arg, const uint8_t *buf, size_t len, const struct sockaddr *from, socklen_t fromlen);
int dr_call_start(struct direct *d, const struct sockaddr *to, socklen_t tolen, const char *shown, bool contact,
		  const struct pl_media_format *fmt);
void dr_answer(struct direct *d);
void dr_deny(struct direct *d);
void dr_hangup(struct direct *d);
int dr_text(struct direct *d, const char *text);
int dr_status(struct direct *d, const struct sockaddr *to, socklen_t tolen, const char *shown);
void dr_call_end(struct direct *d, uint8_t reason, const char *why);
void dr_send_sealed(struct direct *d, uint8_t type, uint32_t text_id, const char *text);
int dr_key_check(struct direct *d, const char *name, const uint8_t key[PL_DEVICE_KEY_LEN]);
void dr_timers_init(struct direct *d);
void dr_timers_free(struct direct *d);
void dr_quit_call(struct direct *d); /* quitting: a call there is ends now */

/* direct_cmd.c: a line the person typed (a command, or text for the call's peer). */
void dr_line(struct direct *d, char *line, size_t len);

/* direct_tui.c */
int dr_tui_start(struct direct *d, uint16_t port, char *err, size_t errsz);
void dr_tui_call_window(struct direct *d); /* the call's peer gets its window, shown now */
void dr_tui_free(struct direct *d);

#endif
