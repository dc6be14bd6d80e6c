/*
 * Round-trip cases for the call messages (protocol 3), their media keys and their ICE candidates
 * (CALL_CAND, CALL_PEER_CAND): every call message at ordinary values and with every string, list
 * and opaque field full.
 */
#include <string.h>

#include "msg_util.h"

static void pattern(uint8_t *p, size_t n, uint8_t start)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(start + i);
}

static void fmt_pcm(struct pl_media_format *f)
{
	f->codec = PL_CODEC_PCM;
	f->rate = 16000;
	f->channels = 2;
	f->format = PL_SF_F32;
	f->chunk = 160;
}

static void b_call_start(struct pl_msg *m)
{
	m->type = PL_MSG_CALL_START;
	SET(m->u.call.nick, "bob");
	pl_mformat_default(&m->u.call.fmt);
}
static void b_call_start_group(struct pl_msg *m)
{
	m->type = PL_MSG_CALL_START;
	m->u.call.group = 0xffffffffu;
	fmt_pcm(&m->u.call.fmt);
}
static void b_call_ring(struct pl_msg *m)
{
	m->type = PL_MSG_CALL_RING;
	m->u.call.id = 0x8000000000000001ull;
	pattern(m->u.call.hs, sizeof m->u.call.hs, 7);
}
static void b_call_answer(struct pl_msg *m)
{
	m->type = PL_MSG_CALL_ANSWER;
	m->u.call.id = 42;
	m->u.call.action = PL_CALL_COUNTER;
	fmt_pcm(&m->u.call.fmt);
	pattern(m->u.call.hs, sizeof m->u.call.hs, 200);
}
static void b_call_confirm(struct pl_msg *m)
{
	m->type = PL_MSG_CALL_CONFIRM;
	m->u.call.id = 43;
	m->u.call.action = PL_CALL_DROP;
	pattern(m->u.call.reveal, sizeof m->u.call.reveal, 1);
}
static void b_call_hangup(struct pl_msg *m)
{
	m->type = PL_MSG_CALL_HANGUP;
	m->u.call.id = UINT64_MAX;
}
static void b_media_keys(struct pl_msg *m)
{
	m->type = PL_MSG_MEDIA_KEYS;
	m->u.mkey.scope = PL_SCOPE_CALL;
	m->u.mkey.call = 99;
	m->u.mkey.key_id = 255;
	m->u.mkey.count = 2;
	for (int i = 0; i < 2; i++) {
		m->u.mkey.keys[i].to = 1000u + (uint64_t)i;
		pattern(m->u.mkey.keys[i].sealed, PL_SKEY_LEN, (uint8_t)(i * 50));
	}
}
static void b_media_keys_max(struct pl_msg *m)
{
	m->type = PL_MSG_MEDIA_KEYS;
	m->u.mkey.scope = PL_SCOPE_ROOM;
	fill_str(m->u.mkey.room, PL_ROOM_MAX, "#");
	m->u.mkey.count = PL_MEDIA_KEYS_MAX;
	for (int i = 0; i < PL_MEDIA_KEYS_MAX; i++) {
		m->u.mkey.keys[i].to = UINT64_MAX - (uint64_t)i;
		pattern(m->u.mkey.keys[i].sealed, PL_SKEY_LEN, (uint8_t)i);
	}
}
static void b_call_state(struct pl_msg *m)
{
	m->type = PL_MSG_CALL_STATE;
	m->u.call.id = 5;
	m->u.call.state = PL_CALL_ENDED;
	m->u.call.reason = PL_CALL_OFFLINE;
	fill_str(m->u.call.nick, PL_NICK_MAX, "z");
	pl_mformat_default(&m->u.call.fmt);
}
static void b_call_incoming(struct pl_msg *m)
{
	m->type = PL_MSG_CALL_INCOMING;
	m->u.call.id = 6;
	SET(m->u.call.nick, "alice");
	m->u.call.session = 0x1234567890abcdefull;
	m->u.call.group = 3;
	fmt_pcm(&m->u.call.fmt);
	pattern(m->u.call.hs, sizeof m->u.call.hs, 9);
}
static void b_call_answered(struct pl_msg *m)
{
	m->type = PL_MSG_CALL_ANSWERED;
	m->u.call.id = 7;
	fill_str(m->u.call.nick, PL_NICK_MAX, "b");
	m->u.call.session = 77;
	m->u.call.action = PL_CALL_DENY;
	pl_mformat_default(&m->u.call.fmt);
	pattern(m->u.call.hs, sizeof m->u.call.hs, 90);
}
static void b_call_confirmed(struct pl_msg *m)
{
	m->type = PL_MSG_CALL_CONFIRMED;
	m->u.call.id = 8;
	m->u.call.action = PL_CALL_PROCEED;
	pattern(m->u.call.reveal, sizeof m->u.call.reveal, 33);
}
static void b_call_member(struct pl_msg *m)
{
	m->type = PL_MSG_CALL_MEMBER;
	m->u.call.id = 9;
	SET(m->u.call.nick, "carol");
	m->u.call.session = 10;
	pattern(m->u.call.device, sizeof m->u.call.device, 60);
	m->u.call.joined = 1;
}
static void b_media_key(struct pl_msg *m)
{
	m->type = PL_MSG_MEDIA_KEY;
	m->u.mkey.scope = PL_SCOPE_ROOM;
	SET(m->u.mkey.room, "#Lobby");
	m->u.mkey.from = 11;
	m->u.mkey.key_id = 3;
	pattern(m->u.mkey.keys[0].sealed, PL_SKEY_LEN, 120);
}

static void b_call_cand(struct pl_msg *m)
{
	m->type = PL_MSG_CALL_CAND;
	m->u.cand.id = 0x1122334455667788ull;
	m->u.cand.len = 5;
	memcpy(m->u.cand.desc, (const uint8_t[]){1, 0, 4, 0x61, 0x62}, 5);
}
static void b_call_cand_max(struct pl_msg *m)
{
	m->type = PL_MSG_CALL_CAND;
	m->u.cand.id = UINT64_MAX;
	m->u.cand.len = PL_CALL_CAND_MAX;
	memset(m->u.cand.desc, 0xa5, PL_CALL_CAND_MAX);
}
static void b_call_peer_cand(struct pl_msg *m)
{
	b_call_cand(m);
	m->type = PL_MSG_CALL_PEER_CAND;
	m->u.cand.session = 0x100000002ull;
}

const struct rt_case msg_call_cases[] = {
	{"CALL_START", b_call_start},
	{"CALL_START group", b_call_start_group},
	{"CALL_RING", b_call_ring},
	{"CALL_ANSWER counter", b_call_answer},
	{"CALL_CONFIRM drop", b_call_confirm},
	{"CALL_HANGUP", b_call_hangup},
	{"MEDIA_KEYS", b_media_keys},
	{"MEDIA_KEYS max", b_media_keys_max},
	{"CALL_STATE", b_call_state},
	{"CALL_INCOMING", b_call_incoming},
	{"CALL_ANSWERED deny max", b_call_answered},
	{"CALL_CONFIRMED", b_call_confirmed},
	{"CALL_MEMBER", b_call_member},
	{"MEDIA_KEY", b_media_key},
	{"CALL_CAND", b_call_cand},
	{"CALL_CAND max", b_call_cand_max},
	{"CALL_PEER_CAND", b_call_peer_cand},
};
const size_t msg_call_ncases = sizeof msg_call_cases / sizeof msg_call_cases[0];
