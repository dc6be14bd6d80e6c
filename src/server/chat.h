/*
 * chat: text. Messages to a room or a person are stored before they are acknowledged (SAY_OK) and
 * delivered; a message to someone offline waits in the store and is delivered at their next login,
 * in order, until they acknowledge it (DELIVERED), so it arrives exactly once. History is kept per
 * conversation and fetched newest-first in pages. Also the room listings (ROOMS_GET, NAMES).
 */
#ifndef PL_CHAT_H
#define PL_CHAT_H

#include "core/msg.h"

struct pl_server;
struct pl_session;

/* SAY, HISTORY, DELIVERED, ROOMS_GET, NAMES. */
void pl_chat_handle(struct pl_session *s, const struct pl_msg *m);
/* Sends s the messages that waited while it was offline. */
void pl_chat_deliver_pending(struct pl_session *s);
/* A notice about a call ("missed call"), from one user to another: stored in their conversation
 * (TEXT flag PL_TEXT_CALL), waiting for the recipient if offline, else delivered to both. */
void pl_chat_notice(struct pl_server *srv, const char *from, const char *to, const char *text);

#endif
