/*
 * Round-trip cases for the session and account messages: the handshake (HELLO, WELCOME), the
 * three ways to log in and AUTH_OK, PING/PONG and BYE, password changes, devices and their keys,
 * and the generic answers ERROR and OK. Each at ordinary values and with every string and key full.
 */
#include <string.h>

#include "msg_util.h"

static void b_hello(struct pl_msg *m)
{
	m->type = PL_MSG_HELLO;
	m->u.hello.version = PL_PROTO_VERSION;
	SET(m->u.hello.client, "parley/0.1.0 (Debian 12; x86_64)");
}
static void b_hello_max(struct pl_msg *m)
{
	m->type = PL_MSG_HELLO;
	m->u.hello.version = 0xffff;
	fill_str(m->u.hello.client, PL_VERSION_STR_MAX, "parley-\xc3\xa9");
}
/* n bytes of a key or signature: varied, NULs included. */
static void fill_key(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 37 + seed);
}
static void b_register(struct pl_msg *m)
{
	m->type = PL_MSG_REGISTER;
	SET(m->u.auth.nick, "alice");
	SET(m->u.auth.password, "correct horse battery staple");
	SET(m->u.auth.realname, "Alice Liddell");
	fill_key(m->u.auth.device_key, PL_DEVICE_KEY_LEN, 1);
	SET(m->u.auth.device_name, "laptop");
}
static void b_register_max(struct pl_msg *m)
{
	m->type = PL_MSG_REGISTER;
	fill_str(m->u.auth.nick, PL_NICK_MAX, "Zo\xc3\xab");
	fill_str(m->u.auth.password, PL_PASSWORD_MAX, "p4ss w\xc3\xb6rd!\"#");
	fill_str(m->u.auth.realname, PL_REALNAME_MAX, "Zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac ");
	memset(m->u.auth.device_key, 0xff, PL_DEVICE_KEY_LEN);
	fill_str(m->u.auth.device_name, PL_DEVICE_NAME_MAX, "T\xc3\xa9l\xc3\xa9phone ");
}
static void b_login(struct pl_msg *m)
{
	m->type = PL_MSG_LOGIN;
	SET(m->u.auth.nick, "bob");
	SET(m->u.auth.password, "hunter2hunter2");
	/* device_key all zero: a client with no device identity */
}
static void b_login_max(struct pl_msg *m)
{
	m->type = PL_MSG_LOGIN;
	fill_str(m->u.auth.nick, PL_NICK_MAX, "b");
	fill_str(m->u.auth.password, PL_PASSWORD_MAX, "\xf0\x9f\x94\x91");
	fill_key(m->u.auth.device_key, PL_DEVICE_KEY_LEN, 200);
	fill_str(m->u.auth.device_name, PL_DEVICE_NAME_MAX, "d");
}
static void b_login_key(struct pl_msg *m)
{
	m->type = PL_MSG_LOGIN_KEY;
	SET(m->u.login_key.nick, "alice");
	fill_key(m->u.login_key.device_key, PL_DEVICE_KEY_LEN, 1);
	fill_key(m->u.login_key.sig, PL_SIG_LEN, 99);
}
static void b_login_key_max(struct pl_msg *m)
{
	m->type = PL_MSG_LOGIN_KEY;
	fill_str(m->u.login_key.nick, PL_NICK_MAX, "\xc3\xa5");
	memset(m->u.login_key.device_key, 0xff, PL_DEVICE_KEY_LEN);
	memset(m->u.login_key.sig, 0, PL_SIG_LEN); /* zeros: bytes, not a string */
}
static void b_pong(struct pl_msg *m)
{
	m->type = PL_MSG_PONG;
	m->u.ping.token = 0x0123456789abcdefull;
}
static void b_bye(struct pl_msg *m) { m->type = PL_MSG_BYE; }
static void b_set_password(struct pl_msg *m)
{
	m->type = PL_MSG_SET_PASSWORD;
	SET(m->u.set_password.old_password, "hunter2hunter2");
	SET(m->u.set_password.new_password, "correct horse battery staple");
}
static void b_set_password_max(struct pl_msg *m)
{
	m->type = PL_MSG_SET_PASSWORD;
	fill_str(m->u.set_password.old_password, PL_PASSWORD_MAX, "old\xc3\xa9");
	fill_str(m->u.set_password.new_password, PL_PASSWORD_MAX, "n\xe2\x82\xac w");
}
static void b_devices_get(struct pl_msg *m) { m->type = PL_MSG_DEVICES_GET; }
static void b_device_revoke(struct pl_msg *m)
{
	m->type = PL_MSG_DEVICE_REVOKE;
	fill_key(m->u.device_revoke.key, PL_DEVICE_KEY_LEN, 7);
}
static void b_keys_get(struct pl_msg *m)
{
	m->type = PL_MSG_KEYS_GET;
	SET(m->u.user.nick, "carol");
}
static void b_welcome(struct pl_msg *m)
{
	m->type = PL_MSG_WELCOME;
	m->u.welcome.version = PL_PROTO_VERSION;
	SET(m->u.welcome.server, "parleyd 0.1.0 on chat.example.org");
	fill_key(m->u.welcome.challenge, PL_CHALLENGE_LEN, 11);
}
static void b_welcome_max(struct pl_msg *m)
{
	m->type = PL_MSG_WELCOME;
	m->u.welcome.version = 0xffff;
	fill_str(m->u.welcome.server, PL_SERVER_NAME_MAX, "s\xc3\xb8rver ");
	memset(m->u.welcome.challenge, 0xff, PL_CHALLENGE_LEN);
}
static void b_auth_ok(struct pl_msg *m)
{
	m->type = PL_MSG_AUTH_OK;
	SET(m->u.auth_ok.nick, "alice");
	m->u.auth_ok.session = 0x0000000100000002ull; /* above 2^32, as v2 allows */
	m->u.auth_ok.udp_port = 64738;
	fill_key(m->u.auth_ok.voice_key, PL_VOICE_KEY_LEN, 3);
	m->u.auth_ok.flags = PL_AUTH_DEVICE_ADDED;
	m->u.auth_ok.stun_port = 3478;
}
static void b_auth_ok_max(struct pl_msg *m)
{
	m->type = PL_MSG_AUTH_OK;
	fill_str(m->u.auth_ok.nick, PL_NICK_MAX, "\xe6\x97\xa5");
	m->u.auth_ok.session = UINT64_MAX;
	m->u.auth_ok.udp_port = 65535;
	memset(m->u.auth_ok.voice_key, 0, PL_VOICE_KEY_LEN); /* zeros: the key is bytes, not a string */
	m->u.auth_ok.flags = 0;
	m->u.auth_ok.stun_port = 65535;
}
static void b_ping(struct pl_msg *m)
{
	m->type = PL_MSG_PING;
	m->u.ping.token = UINT64_MAX;
}
static void b_error(struct pl_msg *m)
{
	m->type = PL_MSG_ERROR;
	m->u.error.code = 423; /* PL_ERR_BAD_NICK */
	m->u.error.about = PL_MSG_REGISTER;
	SET(m->u.error.detail, "nickname may not start with '#'");
}
static void b_error_max(struct pl_msg *m)
{
	m->type = PL_MSG_ERROR;
	m->u.error.code = 0xffff;
	m->u.error.about = 0;
	fill_str(m->u.error.detail, PL_DETAIL_MAX, "d\xc3\xa9tail ");
}
static void b_ok(struct pl_msg *m)
{
	m->type = PL_MSG_OK;
	m->u.ok.about = PL_MSG_SET_PASSWORD;
}
static void b_device(struct pl_msg *m)
{
	m->type = PL_MSG_DEVICE;
	SET(m->u.device.nick, "alice");
	fill_key(m->u.device.key, PL_DEVICE_KEY_LEN, 1);
	SET(m->u.device.name, "laptop");
	m->u.device.added_ms = 1700000000000ull;
	m->u.device.last_seen_ms = 1700000900000ull;
	m->u.device.flags = PL_DEVICE_THIS;
}
static void b_device_max(struct pl_msg *m)
{
	m->type = PL_MSG_DEVICE;
	fill_str(m->u.device.nick, PL_NICK_MAX, "\xc3\xb8");
	memset(m->u.device.key, 0, PL_DEVICE_KEY_LEN);
	fill_str(m->u.device.name, PL_DEVICE_NAME_MAX, "phone \xf0\x9f\x93\xb1");
	m->u.device.added_ms = UINT64_MAX;
	m->u.device.last_seen_ms = UINT64_MAX;
	m->u.device.flags = PL_DEVICE_THIS | PL_DEVICE_REVOKED;
}

const struct rt_case msg_auth_cases[] = {
	{"HELLO", b_hello},
	{"HELLO max", b_hello_max},
	{"REGISTER", b_register},
	{"REGISTER max", b_register_max},
	{"LOGIN", b_login},
	{"LOGIN max", b_login_max},
	{"LOGIN_KEY", b_login_key},
	{"LOGIN_KEY max", b_login_key_max},
	{"PONG", b_pong},
	{"BYE", b_bye},
	{"SET_PASSWORD", b_set_password},
	{"SET_PASSWORD max", b_set_password_max},
	{"DEVICES_GET", b_devices_get},
	{"DEVICE_REVOKE", b_device_revoke},
	{"KEYS_GET", b_keys_get},
	{"WELCOME", b_welcome},
	{"WELCOME max", b_welcome_max},
	{"AUTH_OK", b_auth_ok},
	{"AUTH_OK max", b_auth_ok_max},
	{"PING", b_ping},
	{"ERROR", b_error},
	{"ERROR max", b_error_max},
	{"OK", b_ok},
	{"DEVICE", b_device},
	{"DEVICE max", b_device_max},
};
const size_t msg_auth_ncases = sizeof msg_auth_cases / sizeof msg_auth_cases[0];
