/*
 * Unit tests for core/auth: the login proof's bytes as docs/PROTOCOL.md lays them out, and the
 * signature over it: good for exactly one challenge, one server certificate, one nickname and one
 * key, so a replayed, relayed (another certificate: a man in the middle) or re-targeted signature
 * fails; the fingerprint's format.
 */
#include "core/auth.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "test.h"

static void fill(uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v + i);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	uint8_t ch[PL_CHALLENGE_LEN], cert[PL_CERT_HASH_LEN], key[PL_DEVICE_KEY_LEN];
	fill(ch, sizeof ch, 0x10);
	fill(cert, sizeof cert, 0x40);
	fill(key, sizeof key, 0x80);

	test_case("proof layout");
	uint8_t proof[PL_LOGIN_PROOF_MAX], want[PL_LOGIN_PROOF_MAX];
	size_t w = 0;
	memcpy(want, "parley login v2\0", 16), w += 16;
	memcpy(want + w, ch, 32), w += 32;
	memcpy(want + w, cert, 32), w += 32;
	memcpy(want + w, key, 32), w += 32;
	want[w++] = 0, want[w++] = 5;
	memcpy(want + w, "alice", 5), w += 5;
	CHECK_EQ(pl_login_proof(proof, ch, cert, key, "alice"), w);
	CHECK_MEM_EQ(proof, want, w);
	test_case("proof: the longest nickname fits, a longer one is refused");
	CHECK_EQ(pl_login_proof(proof, ch, cert, key, "abcdefghijklmnopqrstuvwxyz012345"), PL_LOGIN_PROOF_MAX);
	CHECK_EQ(pl_login_proof(proof, ch, cert, key, "abcdefghijklmnopqrstuvwxyz0123456"), -EINVAL);

	uint8_t pk[PL_DEVICE_KEY_LEN], sk[PL_DEVICE_SECRET_LEN], pk2[PL_DEVICE_KEY_LEN], sk2[PL_DEVICE_SECRET_LEN];
	crypto_sign_keypair(pk, sk);
	crypto_sign_keypair(pk2, sk2);
	uint8_t sig[PL_SIG_LEN];
	test_case("sign and verify");
	CHECK_EQ(pl_login_sign(sig, sk, ch, cert, "alice"), 0);
	CHECK_EQ(pl_login_verify(sig, pk, ch, cert, "alice"), 0);

	uint8_t ch2[PL_CHALLENGE_LEN], cert2[PL_CERT_HASH_LEN];
	memcpy(ch2, ch, sizeof ch2);
	ch2[31] ^= 1;
	memcpy(cert2, cert, sizeof cert2);
	cert2[0] ^= 0x80;
	test_case("another connection's challenge: a replay fails");
	CHECK_EQ(pl_login_verify(sig, pk, ch2, cert, "alice"), -EBADMSG);
	test_case("another certificate: relayed by a man in the middle, fails");
	CHECK_EQ(pl_login_verify(sig, pk, ch, cert2, "alice"), -EBADMSG);
	test_case("another nickname fails");
	CHECK_EQ(pl_login_verify(sig, pk, ch, cert, "alicf"), -EBADMSG);
	CHECK_EQ(pl_login_verify(sig, pk, ch, cert, "Alice"), -EBADMSG);
	test_case("another key fails");
	CHECK_EQ(pl_login_verify(sig, pk2, ch, cert, "alice"), -EBADMSG);
	test_case("a flipped signature bit fails, every bit");
	unsigned accepted = 0;
	for (int bit = 0; bit < 8 * PL_SIG_LEN; bit++) {
		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		accepted += pl_login_verify(sig, pk, ch, cert, "alice") == 0;
		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	CHECK_EQ(accepted, 0);
	test_case("a too long nickname is refused by verify");
	CHECK_EQ(pl_login_verify(sig, pk, ch, cert, "abcdefghijklmnopqrstuvwxyz0123456"), -EBADMSG);

	test_case("fingerprint: 8 groups of 4 hex digits of SHA-256");
	char fp[PL_KEY_FP_STR];
	pl_key_fingerprint(fp, key);
	uint8_t h[32];
	crypto_hash_sha256(h, key, sizeof key);
	char expect[PL_KEY_FP_STR];
	snprintf(expect, sizeof expect, "%02x%02x %02x%02x %02x%02x %02x%02x %02x%02x %02x%02x %02x%02x %02x%02x",
		 h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]);
	CHECK_STR_EQ(fp, expect);
	CHECK_EQ(strlen(fp), PL_KEY_FP_STR - 1);
	return test_done();
}
