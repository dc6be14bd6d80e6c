/*
 * client: the parley client's session with one server: connect over TLS and check the pinned
 * certificate, HELLO, register or log in, then carry the person's commands to the server and the
 * server's messages to the person, and start voice once logged in.
 */
#ifndef PL_CLIENT_H
#define PL_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/names.h"
#include "media/audio.h"

#define PL_CLIENT_PORT 7787 /* parleyd's port when HOST has none */
#define PL_CLIENT_ROOMS 16   /* rooms joined at once */

struct pl_client_opts {
	char server[300];       /* host[:port] */
	bool json;              /* JSON lines on stdin/stdout instead of the line mode */
	bool tui;               /* the ncurses interface (the default on a terminal) */
	char nick[PL_NICK_MAX + 1];
	char password[PL_PASSWORD_MAX + 1];
	char realname[PL_REALNAME_MAX + 1];
	bool do_register;       /* with nick: register instead of log in */
	char voice_in[1024];    /* WAV to talk with once logged in */
	char voice_out[1024];   /* WAV to record what is heard into */
	char known_hosts[4096];
	char identity[4096];    /* this device's identity file ("" for none: password logins only) */
	char device_name[PL_DEVICE_NAME_MAX + 1]; /* how the account's device list names this one */
	unsigned jitter_frames; /* non-zero: a fixed jitter buffer of this many 20 ms frames; 0 adaptive */
	unsigned frame_ms;      /* the voice frames sent: 10 or 20 ms (0: 20) */
	char input[256];        /* the microphone (media/audio.h): "" none, "default", a source's name */
	char output[256];       /* the speaker: "" none, "default", a sink's name */
	char log_dir[1024];     /* every window's lines appended to a file here (client/winlog.h), or "" */
	uint8_t voice_mode;     /* enum pl_voice_mode */
	bool no_processing;     /* no echo cancellation, noise suppression or gain */
	char voice_stats[1024]; /* a JSON line of voice statistics every second, or "" */
	struct pl_echo_sim echo; /* tests: an echo path from speaker to microphone on the clock backend */
	bool plc_only;          /* no FEC or redundancy: plain Opus concealment (a reference) */
	char udp_via[300];      /* "host:port" voice is sent to instead of the server's (tests), or "" */
	bool relay_only;        /* no direct path for calls (also with udp_via: the proxy carries the voice) */
	char rooms[PL_CLIENT_ROOMS][PL_ROOM_MAX + 1]; /* joined after the first login */
	unsigned nrooms;
	bool no_colors;         /* the terminal UI in the terminal's own colours only */
	/* Direct mode (client/direct.h): no server; voice and signalling on one UDP port. */
	bool direct;
	uint16_t direct_port;   /* 0: an ephemeral one, printed at start */
	char direct_bind[64];   /* the local address to listen on; "" every interface */
	char passphrase_file[1024]; /* the contacts book's passphrase, else $PARLEY_PASSPHRASE or asked */
	char contacts[4096];    /* the contacts book (default: contacts.book in the config directory) */
	bool rendezvous;        /* meet someone by room code instead of logging in (client/rdvc.h) */
	char rdv_code[64];      /* with rendezvous: the code to join; "" asks for a new one */
	struct pl_rdv_result *rdv_out; /* with rendezvous: what it gave, when it succeeded (or NULL) */
	const struct pl_rdv_result *rdv_met; /* direct mode after a rendezvous: whom it met (or NULL) */
};

/* A rendezvous that succeeded: the other person's device key, verified by the code, and where
 * they answered, for the direct call that follows (client/direct.h) on the same UDP port. */
struct pl_rdv_result {
	bool ok;
	bool opener;             /* this side asked for the code */
	char code[32];
	char path[64];           /* "host:port" that answered a PUNCH, parleyd's relay, or "" */
	bool relayed;            /* path is parleyd's voice port, carrying the datagrams both ways */
	uint8_t peer_key[32];    /* PL_DEVICE_KEY_LEN */
	uint16_t local_port;     /* the UDP port the rendezvous used (its NAT binding) */
};

/* The voice engine's configuration from the options (server and direct mode alike). */
struct pl_voice_config;
void pl_client_voice_config(const struct pl_client_opts *o, struct pl_voice_config *vc);

/* Runs until the person quits or the connection ends; returns the process exit code:
 * 0 after /quit, 1 when the connection failed or was lost, 3 when the server's certificate
 * does not match the pinned one. */
int pl_client_run(const struct pl_client_opts *o);

#endif
