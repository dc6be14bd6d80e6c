/*
 * vmeter: what the person sees of live voice, apart from the numbers of /stats: a level meter of
 * their own microphone with the state of what is sent (mute, deafen, push-to-talk, voice
 * activation), and who is talking right now, by name.
 *
 * The voice engine knows talkers by session id (the relay's name for a sender); the names come
 * from the room member lists and calls (JOINED, PARTED, USERLIST, call peers), kept here in a small
 * table. Pure: no clock, socket or UI; the client feeds it and shows what it answers.
 */
#ifndef PL_CLIENT_VMETER_H
#define PL_CLIENT_VMETER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/vstats.h"
#include "core/names.h"

#define PL_VMETER_NAMES 512 /* sessions named at once; more are shown by number */
#define PL_VMETER_CELLS 8   /* the meter's width */

struct pl_vmeter {
	struct {
		uint64_t session;
		char nick[PL_NICK_MAX + 1];
	} names[PL_VMETER_NAMES];
	unsigned n;
	/* the talking set last reported (sorted names) */
	char talking[PL_VOICE_TALKERS][PL_NICK_MAX + 1];
	unsigned ntalking;
};

void pl_vmeter_init(struct pl_vmeter *m);
/* A session and its nick (a member seen, a call's peer); a session already named is renamed. */
void pl_vmeter_name(struct pl_vmeter *m, uint64_t session, const char *nick);
void pl_vmeter_unname(struct pl_vmeter *m, uint64_t session);
const char *pl_vmeter_nick(const struct pl_vmeter *m, uint64_t session);

/* "mic [=====   ] vad", "mic [==      ] sending", "muted", "deafened", "ptt: /ptt to talk": the
 * level of the microphone after processing (-60 dBFS and below empty, 0 full) and what is done
 * with it. */
void pl_vmeter_format(const struct pl_voice_stats *st, char *out, size_t sz);

/* Takes the engine's talkers now (st->talking), named and sorted; true when the set differs from
 * the one reported last (then m->talking holds the new one). Unnamed sessions show as "#" and the
 * session's low digits. */
bool pl_vmeter_talking(struct pl_vmeter *m, const struct pl_voice_stats *st);

#endif
