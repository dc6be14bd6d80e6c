/*
 * social: what users know of each other: profiles (real name, picture), contacts (mutual and by
 * consent: a request the other side accepts or refuses, as in every messenger; both sides are
 * told, seed 002's 205/206), presence (online, away, busy, offline; shown to accepted contacts
 * only, pushed to them, and asked for without starting anything, after seed 000's status request)
 * and groups (seed 002's 201/203/204, for group calls). Everything acknowledged is in the store
 * first: each change is a durable write, answered once it is committed.
 *
 * social.c has profiles, presence and groups; contacts.c the contacts and requests.
 */
#ifndef PL_SOCIAL_H
#define PL_SOCIAL_H

#include <stdbool.h>

#include "core/msg.h"

struct pl_server;
struct pl_session;

/* SET_PROFILE, PROFILE_GET, CONTACT_*, CONTACTS_GET, STATUS_SET/GET, GROUP_*. */
void pl_social_handle(struct pl_session *s, const struct pl_msg *m);
/* Tells s's online contacts its presence (at login, at logout, on a change). */
void pl_social_announce(struct pl_session *s);
/* At login: the contact requests that wait for s's answer. */
void pl_social_login(struct pl_session *s);

/* contacts.c: CONTACT_ADD, CONTACT_ANSWER, CONTACT_DEL, CONTACTS_GET. */
void pl_contacts_handle(struct pl_session *s, const struct pl_msg *m);
/* Whether s may see nick's presence and keys: nick is s or an accepted contact. */
bool pl_social_may_see(struct pl_session *s, const char *nick);
/* A PRESENCE message with nick's presence as its contacts see it. */
void pl_social_presence(struct pl_server *srv, const char *nick, struct pl_msg *out);
/* The stored spelling of an account's nickname: 0, -ENOENT, or a store error. */
int pl_social_account_nick(struct pl_server *srv, const char *nick, char out[PL_NICK_MAX + 1]);

#endif
