/*
 * topic: room topics, kept by the server (docs/PROTOCOL.md section 6). All of them live in memory,
 * loaded from the store at start; a new one is stored first and then told to the room's members
 * (ROOM_TOPIC), so a topic anyone saw survives a crash. At most PL_TOPICS_MAX are kept: past that,
 * the oldest topic of a room that no longer exists makes way.
 */
#ifndef PL_SERVER_TOPIC_H
#define PL_SERVER_TOPIC_H

#include "core/msg.h"

#define PL_TOPICS_MAX 4096

struct pl_server;
struct pl_session;
struct pl_store;

int pl_topics_load(struct pl_server *srv, struct pl_store *st);
void pl_topics_free(struct pl_server *srv);
/* TOPIC: ask for the room's topic, or set it. */
void pl_topic_handle(struct pl_session *s, const struct pl_msg *m);
/* A member joined the room: its topic, if it has one. */
void pl_topic_joined(struct pl_session *s, const char *room);

#endif
