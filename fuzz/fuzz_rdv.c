/*
 * fuzz_rdv: what a rendezvous takes from others (core/rdv.h, core/spake2.h). The first byte picks
 * the decoder, the rest is its input: 0, a code as a person typed it (pl_rdv_code_parse: refused,
 * or a canonical code that parses to itself); 1, a datagram on parleyd's voice port
 * (pl_rdv_dgram_decode: refused, or exactly 20 bytes that encode back the same); 2, the peer's
 * SPAKE2 element (pl_spake2_finish: refused, or a key that a check of a made-up confirmation
 * refuses); 3, a key-exchange message from the peer (pl_rdv_x_decode: refused, or one of the two
 * messages, exactly as long as it should be, that encodes back the same); 4, a datagram on the
 * punching socket (pl_rdv_punch_decode: refused, or exactly a PUNCH that encodes back the same).
 */
#include <errno.h>
#include <string.h>

#include "core/rdv.h"
#include "core/spake2.h"
#include "fuzz.h"

static void code(const uint8_t *data, size_t size)
{
	char in[256], out[PL_RDV_CODE_MAX + 1], again[PL_RDV_CODE_MAX + 1];
	if (size >= sizeof in)
		size = sizeof in - 1;
	memcpy(in, data, size);
	in[size] = '\0';
	int rc = pl_rdv_code_parse(in, out, sizeof out);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	if (rc != 0)
		return;
	FUZZ_CHECK(strlen(out) <= PL_RDV_CODE_MAX);
	FUZZ_CHECK(pl_rdv_code_parse(out, again, sizeof again) == 0 && strcmp(out, again) == 0);
}

static void dgram(const uint8_t *data, size_t size)
{
	uint8_t tok[PL_RDV_TOKEN_LEN], back[PL_RDV_DGRAM_LEN];
	int rc = pl_rdv_dgram_decode(data, size, tok);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	if (rc != 0)
		return;
	FUZZ_CHECK(size == PL_RDV_DGRAM_LEN);
	pl_rdv_dgram_encode(back, tok);
	FUZZ_CHECK(memcmp(back, data, PL_RDV_DGRAM_LEN) == 0);
}

static void element(const uint8_t *data, size_t size)
{
	uint8_t peer[PL_SPAKE2_ELEM_LEN] = {0}, mine[PL_SPAKE2_ELEM_LEN], rnd[PL_SPAKE2_RANDOM_LEN], mac[32];
	memcpy(peer, data, size < sizeof peer ? size : sizeof peer);
	for (size_t i = 0; i < sizeof rnd; i++)
		rnd[i] = (uint8_t)(i + 1);
	struct pl_spake2 s;
	FUZZ_CHECK(pl_spake2_start(&s, PL_SPAKE2_A, "fuzz", "7-castle-river", (const uint8_t *)"a", 1,
				   (const uint8_t *)"b", 1, rnd, mine) == 0);
	int rc = pl_spake2_finish(&s, peer);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	if (rc == 0) {
		memset(mac, 0x5a, sizeof mac);
		FUZZ_CHECK(pl_spake2_key(&s) != NULL);
		FUZZ_CHECK(pl_spake2_verify(&s, NULL, 0, mac) == -EACCES);
	} else {
		FUZZ_CHECK(pl_spake2_key(&s) == NULL);
	}
	pl_spake2_wipe(&s);
}

static void xmsg(const uint8_t *data, size_t size)
{
	struct pl_rdv_x x;
	uint8_t back[PL_RDV_X_CONFIRM_LEN];
	int rc = pl_rdv_x_decode(data, size, &x);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	if (rc != 0)
		return;
	if (x.type == PL_RDV_X_ELEM) {
		FUZZ_CHECK(size == PL_RDV_X_ELEM_LEN && x.elem == data + 1);
		pl_rdv_x_elem(back, x.elem);
	} else {
		FUZZ_CHECK(x.type == PL_RDV_X_CONFIRM && size == PL_RDV_X_CONFIRM_LEN);
		pl_rdv_x_confirm(back, x.key, x.mac);
	}
	FUZZ_CHECK(memcmp(back, data, size) == 0);
}

static void punch(const uint8_t *data, size_t size)
{
	uint8_t tag[PL_RDV_TAG_LEN], nonce[PL_RDV_TAG_LEN], back[PL_RDV_PUNCH_LEN];
	int rc = pl_rdv_punch_decode(data, size, tag, nonce);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	if (rc != 0)
		return;
	FUZZ_CHECK(size == PL_RDV_PUNCH_LEN);
	pl_rdv_punch_encode(back, tag, nonce);
	FUZZ_CHECK(memcmp(back, data, PL_RDV_PUNCH_LEN) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0: code(data + 1, size - 1); break;
	case 1: dgram(data + 1, size - 1); break;
	case 2: element(data + 1, size - 1); break;
	case 3: xmsg(data + 1, size - 1); break;
	default: punch(data + 1, size - 1); break;
	}
	return 0;
}
