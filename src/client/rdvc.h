/*
 * rdvc: the client's side of rendezvous by room code (`parley --rendezvous [CODE]`; parleyd's side
 * is server/rendezvous.h). No account: after HELLO it asks for a code (RDV_OPEN) or joins one
 * (RDV_JOIN), tells parleyd its public UDP address with the token datagram from its own UDP socket
 * (core/rdv.h), and, when RDV_PEER names the other side, runs SPAKE2 (core/spake2.h) on the code
 * through parleyd (RDV_SEND/RDV_DATA, which parleyd cannot read or forge without knowing the code):
 *
 *   each -> other: 0x01 || its SPAKE2 element (32 bytes)
 *   each -> other: 0x02 || its device key (32) || its confirmation over the transcript and that key
 *
 * A wrong code (or a server in the middle) fails both confirmations: each side says so in a
 * sentence and saves nothing. Both confirmations good: each has the other's device key,
 * authenticated by the code, and a shared key. Then each punches: from the same UDP socket, a
 * 36-byte PUNCH (0x50 'P' 'U' 'N', a 16-byte tag under the shared key and a 16-byte nonce) to the
 * other's public and private addresses every PL_RDVC_PUNCH_MS, answered once per PUNCH with the same
 * size, so a stranger's address gets nothing larger than it sent; the first PUNCH with a good tag
 * gives the direct path. When none has come after PL_RDVC_RELAY_ROUNDS rounds, it asks parleyd to
 * relay (RDV_RELAY) and punches on; when the other side asks too, parleyd answers both RDV_RELAYED
 * and carries their datagrams between their public addresses on its voice port, which becomes the
 * path unless a PUNCH came first. The device key is this identity's key for direct mode
 * (client/direct.h).
 */
#ifndef PL_RDVC_H
#define PL_RDVC_H

#include <stdbool.h>

#include "core/msg.h"

#define PL_RDVC_DGRAM_MS 250    /* the token datagram again until RDV_PEER */
#define PL_RDVC_PUNCH_MS 200    /* PUNCH to each candidate address */
#define PL_RDVC_PUNCH_TRIES 50  /* ... this many rounds (10 s) before the direct path is given up */
#define PL_RDVC_RELAY_ROUNDS 10  /* with no path after this many (2 s), RDV_RELAY, punching on */
#define PL_RDVC_CONTEXT "parley rendezvous v1" /* SPAKE2's context: the code's domain */

struct client;
struct pl_rdvc;

/* After WELCOME: opens (o->rdv_code empty) or joins the code. 0, or -errno after saying why. */
int pl_rdvc_start(struct client *c);
/* A message for the rendezvous (RDV_CODE, RDV_PEER, RDV_DATA, an ERROR about one): handled, and
 * true; anything else false. */
bool pl_rdvc_msg(struct pl_rdvc *r, const struct pl_msg *m);
void pl_rdvc_free(struct pl_rdvc *r);

#endif
