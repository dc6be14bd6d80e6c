#include "core/err.h"

#include <stddef.h>

static const struct {
	uint16_t code;
	const char *name;
	const char *sentence;
} errs[] = {
	{PL_ERR_NICK_TAKEN, "NICK_TAKEN",
	 "That nickname already has an account on this server; log in with its password, or register another nickname."},
	{PL_ERR_AUTH_FAILED, "AUTH_FAILED",
	 "The nickname or the password is wrong; check both, or register if you have no account here yet."},
	{PL_ERR_MSG_NOT_SENT, "MSG_NOT_SENT",
	 "The message could not be delivered; check the room or nickname and send it again."},
	{PL_ERR_CALL_FAILED, "CALL_FAILED", "The call could not be set up; try again later."},
	{PL_ERR_PROFILE_NOT_ADDED, "PROFILE_NOT_ADDED",
	 "No account has that nickname, so it cannot be added; check the spelling."},
	{PL_ERR_NO_CONTACT, "NO_CONTACT", "That user is not in your contacts; /contacts lists them."},
	{PL_ERR_USER_ONLINE, "USER_ONLINE",
	 "This account logged in again from another connection, which took over; this one is closed."},
	{PL_ERR_PROTOCOL, "PROTOCOL",
	 "The server received bytes it could not parse and closed the connection; update your client or report a bug."},
	{PL_ERR_FRAME_TOO_LARGE, "FRAME_TOO_LARGE",
	 "A message was larger than the server accepts, so it closed the connection; send something shorter."},
	{PL_ERR_VERSION, "VERSION",
	 "Your client speaks a protocol version this server does not; install a client of the server's version."},
	{PL_ERR_BAD_NICK, "BAD_NICK",
	 "Nicknames are 2 to 32 characters with no spaces, commas or quotes, and may not start with '#'; choose another."},
	{PL_ERR_BAD_PASSWORD, "BAD_PASSWORD",
	 "Passwords must be 8 to 128 characters long; choose another."},
	{PL_ERR_NOT_LOGGED_IN, "NOT_LOGGED_IN", "Log in or register first."},
	{PL_ERR_BAD_ROOM, "BAD_ROOM",
	 "Room names start with '#' and have 1 to 31 more characters with no spaces, commas or quotes."},
	{PL_ERR_NOT_IN_ROOM, "NOT_IN_ROOM", "You are not in that room; join it first."},
	{PL_ERR_BAD_TEXT, "BAD_TEXT",
	 "Messages must be 1 to 4000 bytes of UTF-8 text without control characters; shorten or fix it."},
	{PL_ERR_SERVER_FULL, "SERVER_FULL",
	 "The server has as many connections as it allows; try again later."},
	{PL_ERR_UNEXPECTED, "UNEXPECTED",
	 "The server did not expect that request now; log in first, or wait for the previous request to finish."},
	{PL_ERR_TIMEOUT, "TIMEOUT",
	 "The server closed the connection because it did not log in or answer the keepalive in time; check your network and reconnect."},
	{PL_ERR_INTERNAL, "INTERNAL",
	 "The server failed to carry out the request; try again, and tell its operator if it keeps failing."},
	{PL_ERR_NO_SUCH_USER, "NO_SUCH_USER", "No account has that nickname; check the spelling."},
	{PL_ERR_ALREADY_CONTACT, "ALREADY_CONTACT", "That user is already in your contacts."},
	{PL_ERR_NO_SUCH_GROUP, "NO_SUCH_GROUP", "There is no group with that number; /groups lists yours."},
	{PL_ERR_NOT_IN_GROUP, "NOT_IN_GROUP", "You are not a member of that group; /groups lists yours."},
	{PL_ERR_ALREADY_IN_GROUP, "ALREADY_IN_GROUP", "That user is already a member of the group."},
	{PL_ERR_RATE_LIMITED, "RATE_LIMITED",
	 "You are sending messages faster than the server allows; that one was not sent. Wait a moment and send it again."},
	{PL_ERR_TOO_MANY_ATTEMPTS, "TOO_MANY_ATTEMPTS",
	 "Too many failed logins for this account or address; wait a minute before trying again."},
	{PL_ERR_GROUP_FULL, "GROUP_FULL", "The group has as many members as a group may have (64)."},
	{PL_ERR_BAD_PICTURE, "BAD_PICTURE",
	 "A profile picture must be a PNG or JPEG file of at most 8192 bytes; shrink it and try again."},
	{PL_ERR_BAD_GROUP_NAME, "BAD_GROUP_NAME",
	 "Group names are 1 to 48 bytes of text without control characters; choose another."},
	{PL_ERR_SELF, "SELF", "You cannot do that with your own nickname."},
	{PL_ERR_TOO_MANY_ROOMS, "TOO_MANY_ROOMS",
	 "You are in as many rooms as a user may be (16); leave one with /part first."},
	{PL_ERR_BAD_REQUEST, "BAD_REQUEST", "A value in the request is out of range; check the command's usage with /help."},
	{PL_ERR_MAILBOX_FULL, "MAILBOX_FULL",
	 "That user has as many messages waiting as the server keeps for someone offline; send it when they are back."},
	{PL_ERR_BUSY, "BUSY",
	 "The server is busy with other logins right now; try again in a few seconds."},
	{PL_ERR_DEVICE_REVOKED, "DEVICE_REVOKED",
	 "This device's key was revoked for that account; make a new identity for this device (remove its identity file) and log in with your password."},
	{PL_ERR_NO_SUCH_DEVICE, "NO_SUCH_DEVICE", "None of your devices has that key; /devices lists them."},
	{PL_ERR_TOO_MANY_DEVICES, "TOO_MANY_DEVICES",
	 "The account has as many devices as the server allows; revoke one you no longer use with /revoke first."},
	{PL_ERR_UNKNOWN_DEVICE, "UNKNOWN_DEVICE",
	 "This device is not registered to that account yet; log in once with your password to register it."},
	{PL_ERR_REQUEST_PENDING, "REQUEST_PENDING",
	 "A contact request between you and that user is already waiting for an answer."},
	{PL_ERR_NO_REQUEST, "NO_REQUEST", "That user has not asked to become your contact; /add NICK asks them."},
	{PL_ERR_IN_CALL, "IN_CALL", "You are in a call already; hang up first (/hangup)."},
	{PL_ERR_NO_SUCH_CALL, "NO_SUCH_CALL", "There is no such call, it is over, or you are not in it."},
	{PL_ERR_NEEDS_DEVICE, "NEEDS_DEVICE",
	 "Calls are end-to-end encrypted to device keys, and this session logged in without one; log in from a client with its identity."},
	{PL_ERR_BAD_FORMAT, "BAD_FORMAT",
	 "That media format is not one parley can send (see the detail); offer Opus, or PCM that fits a packet."},
	{PL_ERR_RDV_TAKEN, "RDV_TAKEN",
	 "Two people have already used that room code, and a code works only once; ask for a new code."},
	{PL_ERR_RDV_UNKNOWN, "RDV_UNKNOWN",
	 "There is no room code like that on this server; check the code with the person who gave it to you."},
	{PL_ERR_RDV_EXPIRED, "RDV_EXPIRED",
	 "That room code has expired; ask the person who gave it to you for a new one."},
	{PL_ERR_RDV_NO_PEER, "RDV_NO_PEER",
	 "Nobody joined with your room code before it expired; ask for a new code and give it to the other person again."},
	{PL_ERR_RDV_GUESSES, "RDV_GUESSES",
	 "Too many wrong room codes came from your address; wait a while, then check the code and try again."},
	{PL_ERR_RDV_PEER_LEFT, "RDV_PEER_LEFT",
	 "The other person left before the rendezvous finished; start again with a new code."},
	{PL_ERR_RDV_BUSY, "RDV_BUSY",
	 "This connection is in a rendezvous already, or the server has as many open as it keeps; try again in a minute."},
	{PL_ERR_REGISTER_LIMIT, "REGISTER_LIMIT",
	 "Too many accounts were registered from your address recently; wait a while before registering another."},
	{PL_ERR_BANNED, "BANNED",
	 "An administrator of this server has banned this account or your address, or closed your session; the detail says which and until when."},
};

const char *pl_err_sentence(uint16_t code)
{
	for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
		if (errs[i].code == code)
			return errs[i].sentence;
	return "The server reported an error this client does not know; update the client.";
}

const char *pl_err_name(uint16_t code)
{
	for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
		if (errs[i].code == code)
			return errs[i].name;
	return "UNKNOWN";
}
