/*
 * social: what users know of each other: profiles (real name, picture), contacts (mutual, after
 * seed 002: both sides are told, 205/206), presence (online, away, busy, offline; pushed to
 * contacts; asked for without starting anything, after seed 000's status request) and groups
 * (seed 002's 201/203/204, for group calls). Everything acknowledged is in the store first.
 */
#ifndef PL_SOCIAL_H
#define PL_SOCIAL_H

#include "core/msg.h"

struct pl_session;

/* SET_PROFILE, PROFILE_GET, CONTACT_ADD/DEL, CONTACTS_GET, STATUS_SET/GET, GROUP_*. */
void pl_social_handle(struct pl_session *s, const struct pl_msg *m);
/* Tells s's online contacts its presence (at login, at logout, on a change). */
void pl_social_announce(struct pl_session *s);

#endif
