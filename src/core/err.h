/*
 * err: parley's numbered protocol errors. The numbers 401-407 are seed note 002's; the rest extend
 * its table. Each has a fixed meaning a program can act on and a sentence a person can read,
 * saying what went wrong and what to do. docs/PROTOCOL.md carries the same table.
 */
#ifndef PL_ERR_H
#define PL_ERR_H

#include <stdint.h>

enum pl_err {
	PL_ERR_NICK_TAKEN = 401,     /* register: that nickname has an account already */
	PL_ERR_AUTH_FAILED = 402,    /* login: no such account, or the wrong password */
	PL_ERR_MSG_NOT_SENT = 403,   /* a message could not be delivered */
	PL_ERR_CALL_FAILED = 404,
	PL_ERR_PROFILE_NOT_ADDED = 405,
	PL_ERR_NO_CONTACT = 406,
	PL_ERR_USER_ONLINE = 407,    /* that account is already connected */
	PL_ERR_PROTOCOL = 420,       /* malformed frame or payload; the connection is closed */
	PL_ERR_FRAME_TOO_LARGE = 421,/* the frame's length exceeds the server's maximum; closed */
	PL_ERR_VERSION = 422,        /* incompatible protocol version; closed */
	PL_ERR_BAD_NICK = 423,       /* the nickname breaks the rules in core/names.h */
	PL_ERR_BAD_PASSWORD = 424,   /* a new password is too short or too long */
	PL_ERR_NOT_LOGGED_IN = 425,  /* that request needs a login first */
	PL_ERR_BAD_ROOM = 426,       /* the room name breaks the rules */
	PL_ERR_NOT_IN_ROOM = 427,    /* you are not in that room */
	PL_ERR_BAD_TEXT = 428,       /* the text is empty, too long, or not UTF-8 */
	PL_ERR_SERVER_FULL = 429,    /* the server is at its connection limit; closed */
	PL_ERR_UNEXPECTED = 430,     /* a message not valid in this state of the session */
	PL_ERR_TIMEOUT = 431,        /* no answer to a PING in time; closed */
	PL_ERR_INTERNAL = 432,       /* the server failed to do what it acknowledged it got */
	PL_ERR_NO_SUCH_USER = 433,   /* no account has that nickname */
	PL_ERR_ALREADY_CONTACT = 434,
	PL_ERR_NO_SUCH_GROUP = 435,
	PL_ERR_NOT_IN_GROUP = 436,
	PL_ERR_ALREADY_IN_GROUP = 437,
	PL_ERR_RATE_LIMITED = 438,   /* too many messages: this one was not sent */
	PL_ERR_TOO_MANY_ATTEMPTS = 439, /* too many failed logins for this account or address */
	PL_ERR_GROUP_FULL = 440,
	PL_ERR_BAD_PICTURE = 441,
	PL_ERR_BAD_GROUP_NAME = 442,
	PL_ERR_SELF = 443,           /* that request cannot name yourself */
	PL_ERR_BAD_REQUEST = 444,    /* a field is out of its range (e.g. a history limit of 0) */
	PL_ERR_TOO_MANY_ROOMS = 445, /* in PL_SESSION_MAX_ROOMS rooms already */
	PL_ERR_MAILBOX_FULL = 446,   /* the recipient has as many messages waiting as the server keeps */
	PL_ERR_BUSY = 447,           /* the server is busy; the detail says when to retry */
	PL_ERR_DEVICE_REVOKED = 448, /* this device's key was revoked for the account */
	PL_ERR_NO_SUCH_DEVICE = 449, /* no device of yours has that key */
	PL_ERR_TOO_MANY_DEVICES = 450,
	PL_ERR_UNKNOWN_DEVICE = 451, /* key login with a key not registered to the account */
	PL_ERR_REQUEST_PENDING = 452,/* a contact request between you two waits for an answer */
	PL_ERR_NO_REQUEST = 453,     /* no contact request from that user to answer */
	PL_ERR_REGISTER_LIMIT = 454, /* too many registrations from this address */
	PL_ERR_BANNED = 455,         /* an administrator banned the account or address, or ended the session */
	PL_ERR_IN_CALL = 456,        /* you are in a call already */
	PL_ERR_NO_SUCH_CALL = 457,   /* no such call, it is over, or you are not in it */
	PL_ERR_NEEDS_DEVICE = 458,   /* calls need this session's device key */
	PL_ERR_BAD_FORMAT = 459,     /* a media format parley cannot send; the detail says why */
	/* rendezvous by room code (server/rendezvous.h) */
	PL_ERR_RDV_TAKEN = 460,      /* two people have used that code already */
	PL_ERR_RDV_UNKNOWN = 461,    /* no such code (or not one parleyd makes) */
	PL_ERR_RDV_EXPIRED = 462,    /* the code was made, but its time ran out */
	PL_ERR_RDV_NO_PEER = 463,    /* nobody joined your code within its time */
	PL_ERR_RDV_GUESSES = 464,    /* too many wrong codes from this address */
	PL_ERR_RDV_PEER_LEFT = 465,  /* the other side disconnected during the rendezvous */
	PL_ERR_RDV_BUSY = 466,       /* in a rendezvous already, or the server holds as many as it keeps */
};

/* The sentence for a code; a generic sentence for codes it does not know. */
const char *pl_err_sentence(uint16_t code);
/* The short symbolic name ("NICK_TAKEN"), or "UNKNOWN". */
const char *pl_err_name(uint16_t code);

#endif
