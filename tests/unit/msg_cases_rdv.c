/*
 * Round-trip cases for the rendezvous messages (issue 9), kept apart like msg_cases_call.c: each
 * at ordinary values and with every string and the opaque data full or empty.
 */
#include <string.h>

#include "msg_util.h"

static void b_rdv_open(struct pl_msg *m)
{
	m->type = PL_MSG_RDV_OPEN;
	SET(m->u.rdv.addrs, "192.168.1.20:40000 [fd00::20]:40000");
}
static void b_rdv_open_max(struct pl_msg *m)
{
	m->type = PL_MSG_RDV_OPEN;
	fill_str(m->u.rdv.addrs, PL_RDV_ADDRS_MAX, "1");
}
static void b_rdv_join(struct pl_msg *m)
{
	m->type = PL_MSG_RDV_JOIN;
	SET(m->u.rdv.code, "7-castle-river");
	SET(m->u.rdv.addrs, "10.0.0.5:51000");
}
static void b_rdv_join_max(struct pl_msg *m)
{
	m->type = PL_MSG_RDV_JOIN;
	fill_str(m->u.rdv.code, PL_RDV_CODE_MAX, "c");
	fill_str(m->u.rdv.addrs, PL_RDV_ADDRS_MAX, "a");
}
static void b_rdv_send(struct pl_msg *m)
{
	m->type = PL_MSG_RDV_SEND;
	m->u.rdv.data_len = 33;
	for (int i = 0; i < 33; i++)
		m->u.rdv.data[i] = (uint8_t)(i * 7);
}
static void b_rdv_send_max(struct pl_msg *m)
{
	m->type = PL_MSG_RDV_SEND;
	m->u.rdv.data_len = PL_RDV_DATA_MAX;
	memset(m->u.rdv.data, 0, PL_RDV_DATA_MAX);
}
static void b_rdv_code(struct pl_msg *m)
{
	m->type = PL_MSG_RDV_CODE;
	SET(m->u.rdv.code, "99-umbrella-zipper");
	for (int i = 0; i < PL_RDV_TOKEN_LEN; i++)
		m->u.rdv.token[i] = (uint8_t)(0xf0 + i);
	m->u.rdv.udp_port = 64738;
	m->u.rdv.ttl_s = 300;
}
static void b_rdv_peer(struct pl_msg *m)
{
	m->type = PL_MSG_RDV_PEER;
	m->u.rdv.role = PL_RDV_JOINER;
	SET(m->u.rdv.pub, "[2001:db8::1]:61000");
	SET(m->u.rdv.addrs, "192.168.20.2:5000");
}
static void b_rdv_peer_max(struct pl_msg *m)
{
	m->type = PL_MSG_RDV_PEER;
	m->u.rdv.role = PL_RDV_OPENER;
	fill_str(m->u.rdv.pub, PL_RDV_PUBLIC_MAX, "p");
	fill_str(m->u.rdv.addrs, PL_RDV_ADDRS_MAX, "\xc3\xa9");
}
static void b_rdv_data(struct pl_msg *m)
{
	m->type = PL_MSG_RDV_DATA;
	m->u.rdv.data_len = 0;
}
static void b_rdv_relay(struct pl_msg *m) { m->type = PL_MSG_RDV_RELAY; }
static void b_rdv_relayed(struct pl_msg *m) { m->type = PL_MSG_RDV_RELAYED; }

const struct rt_case msg_rdv_cases[] = {
	{"RDV_OPEN", b_rdv_open},
	{"RDV_OPEN max", b_rdv_open_max},
	{"RDV_JOIN", b_rdv_join},
	{"RDV_JOIN max", b_rdv_join_max},
	{"RDV_SEND", b_rdv_send},
	{"RDV_SEND max", b_rdv_send_max},
	{"RDV_CODE", b_rdv_code},
	{"RDV_PEER", b_rdv_peer},
	{"RDV_PEER max", b_rdv_peer_max},
	{"RDV_DATA empty", b_rdv_data},
	{"RDV_RELAY", b_rdv_relay},
	{"RDV_RELAYED", b_rdv_relayed},
};
const size_t msg_rdv_ncases = sizeof msg_rdv_cases / sizeof msg_rdv_cases[0];
