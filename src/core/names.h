/*
 * names: the rules for nicknames, room names and other person-chosen strings, in one place so the
 * server, the client and the tests agree on them.
 */
#ifndef PL_NAMES_H
#define PL_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#define PL_NICK_MIN 2
#define PL_NICK_MAX 32
#define PL_ROOM_MAX 32       /* '#' included */
#define PL_TOPIC_MAX 300 /* a room's topic, bytes */
#define PL_REALNAME_MAX 64
#define PL_PASSWORD_MIN 8
#define PL_PASSWORD_MAX 128
#define PL_TEXT_MAX 4000     /* one chat message, in bytes of UTF-8 */
#define PL_VERSION_STR_MAX 64
#define PL_SERVER_NAME_MAX 64
#define PL_DETAIL_MAX 200
#define PL_NOTE_MAX 128       /* a presence note ("back at 3") */
#define PL_GROUP_NAME_MAX 48
#define PL_PICTURE_MAX 8192   /* a profile picture, PNG or JPEG bytes */
#define PL_GROUP_MEMBERS_MAX 64
#define PL_HISTORY_MAX 200    /* messages in one HISTORY answer */
#define PL_DEVICE_NAME_MAX 32 /* a device's name ("laptop") */
#define PL_LOBBY "#Lobby"

/* A nickname: 2-32 bytes of UTF-8, no space, '"' or ',', no control character (C0, DEL, C1), no
 * Unicode format character (bidirectional controls, zero-width characters) or invisible filler,
 * does not start with '#' (that marks a room). */
bool pl_nick_valid(const char *s);
/* A room: '#' then 1-31 bytes with the same rules as a nickname. */
bool pl_room_valid(const char *s);
/* A one-line field a person fills in (a real name): valid UTF-8, no control characters (C0, DEL,
 * C1), any length the message allows, empty included. */
bool pl_line_valid(const char *s);
/* A group name: 1..PL_GROUP_NAME_MAX bytes of UTF-8, no control characters. */
bool pl_group_name_valid(const char *s);
/* Chat text: 1..PL_TEXT_MAX bytes of valid UTF-8 with no control characters except tab. */
bool pl_text_valid(const char *s);
/* Valid UTF-8, no overlongs or surrogates. */
bool pl_utf8_valid(const char *s, size_t n);
/* Whether text names nick as a word (ASCII letters compared without case; the characters either
 * side are not letters, digits, '_' or '-'), as a chat client highlights a mention. */
bool pl_text_mentions(const char *text, const char *nick);
/* Whether a message is an action ("/me waves", as IRC's /me): then *text is moved past "/me ". */
bool pl_text_action(const char **text);

#endif
