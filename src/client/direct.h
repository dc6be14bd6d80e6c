/*
 * direct: calls with no server at all (seed 000): `parley --direct [--port P]` listens on a UDP
 * port, calls host:port (or a contact's name), answers, denies, hangs up, asks a peer's status
 * without ringing it, and carries text during a call. The signalling is core/dmsg.h's, on the
 * voice engine's own socket (client/voice.h's datagram hook and pl_voice_sendto), so signalling
 * and media share one port and one NAT binding. The end-to-end handshake, the code to compare
 * aloud and the media path are a server call's (core/e2e.h, core/media.h, client/voice.h); the
 * contacts book is client/cbook.h.
 *
 * One call at a time. The caller retransmits its CALL with backoff (core/dmsg.h) while it rings,
 * which also tells the callee that the caller is still there; the callee answers each request
 * with at most one smaller datagram until the caller's REVEAL proves that it receives at its
 * address. Requests in clear are rate-limited per source address (core/ratelimit.h). After the
 * handshake both sides send sealed keepalives; a peer silent for PL_DIRECT_PEER_TIMEOUT_MS ends
 * the call.
 */
#ifndef PL_DIRECT_H
#define PL_DIRECT_H

#include "client/client.h"

#define PL_DIRECT_RING_MS 60000          /* a call unanswered this long is given up (timeout) */
#define PL_DIRECT_NOBODY_MS 8000         /* no RINGING at all this long: nobody listens there */
#define PL_DIRECT_CALLER_GONE_MS 8000    /* callee: no CALL from a ringing caller this long */
#define PL_DIRECT_KEEPALIVE_MS 2000      /* sealed keepalives in a call */
#define PL_DIRECT_PEER_TIMEOUT_MS 10000  /* nothing sealed from the peer this long ends the call */
#define PL_DIRECT_STATUS_TRIES 4         /* status requests sent before "no answer" */
#define PL_DIRECT_CTL_TRIES 6            /* sealed HANGUP and TEXT sends before giving up */
#define PL_DIRECT_REQ_RATE 5.0           /* requests in clear per second per source address */
#define PL_DIRECT_REQ_BURST 20.0

/* Runs direct mode until /quit or the end of input; returns the exit code (0, or 1 when it
 * could not start, 2 for a contacts book that would not open). */
int pl_direct_run(const struct pl_client_opts *o);

#endif
