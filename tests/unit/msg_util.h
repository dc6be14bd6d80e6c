/*
 * msg_util: helpers the message codec tests (and fuzz/gen_msg_seeds.c) share: strings and
 * pictures of exact sizes, a field-by-field comparison of two messages and a filler, both walking
 * the codec's description (core/msg.h), and a decode from a private copy of the payload (so
 * AddressSanitizer sees any read past its end).
 */
#ifndef PL_TEST_MSG_UTIL_H
#define PL_TEST_MSG_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/msg.h"

#define SET(dst, s) snprintf((dst), sizeof(dst), "%s", (s))

void fill_str(char *dst, size_t n, const char *unit);
uint16_t fill_picture(uint8_t *p, size_t n);
const char *msg_diff(const struct pl_msg *a, const struct pl_msg *b);
/* Sets every field m->type carries: at its maximum (strings, pictures and lists full, integers
 * all ones, enums and flags at their largest) or at its minimum (empty, zero). */
void fill_from_desc(struct pl_msg *m, bool max);
int decode_copy(struct pl_msg *m, uint16_t type, const uint8_t *p, size_t len);
struct pl_msg *new_msg(void);
/* Appends v big-endian in `bytes` bytes at p + *n. */
void put_int(uint8_t *p, size_t *n, uint64_t v, int bytes);

/* A message built for a round trip. */
struct rt_case {
	const char *name;
	void (*build)(struct pl_msg *m);
};
/* The round-trip cases, one table per family of messages: session and account
 * (msg_cases_auth.c), rooms, text and history (msg_cases_chat.c), profiles, contacts and groups
 * (msg_cases_social.c), calls and their media keys and candidates (msg_cases_call.c), rendezvous
 * (msg_cases_rdv.c). */
extern const struct rt_case msg_auth_cases[];
extern const size_t msg_auth_ncases;
extern const struct rt_case msg_chat_cases[];
extern const size_t msg_chat_ncases;
extern const struct rt_case msg_social_cases[];
extern const size_t msg_social_ncases;
/* The call messages' cases (msg_cases_call.c). */
extern const struct rt_case msg_call_cases[];
extern const size_t msg_call_ncases;
/* The rendezvous messages' cases (msg_cases_rdv.c). */
extern const struct rt_case msg_rdv_cases[];
extern const size_t msg_rdv_ncases;

#endif
