#include "core/auth.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char proof_tag[16] = "parley login v2"; /* 15 characters and the NUL */

int pl_login_proof(uint8_t out[PL_LOGIN_PROOF_MAX], const uint8_t challenge[PL_CHALLENGE_LEN],
		   const uint8_t cert_hash[PL_CERT_HASH_LEN], const uint8_t key[PL_DEVICE_KEY_LEN], const char *nick)
{
	size_t n = strlen(nick), pos = 0;
	if (n > PL_NICK_MAX)
		return -EINVAL;
	memcpy(out + pos, proof_tag, sizeof proof_tag), pos += sizeof proof_tag;
	memcpy(out + pos, challenge, PL_CHALLENGE_LEN), pos += PL_CHALLENGE_LEN;
	memcpy(out + pos, cert_hash, PL_CERT_HASH_LEN), pos += PL_CERT_HASH_LEN;
	memcpy(out + pos, key, PL_DEVICE_KEY_LEN), pos += PL_DEVICE_KEY_LEN;
	out[pos++] = (uint8_t)(n >> 8);
	out[pos++] = (uint8_t)n;
	memcpy(out + pos, nick, n), pos += n;
	return (int)pos;
}

int pl_login_sign(uint8_t sig[PL_SIG_LEN], const uint8_t sk[PL_DEVICE_SECRET_LEN],
		  const uint8_t challenge[PL_CHALLENGE_LEN], const uint8_t cert_hash[PL_CERT_HASH_LEN], const char *nick)
{
	uint8_t proof[PL_LOGIN_PROOF_MAX];
	int n = pl_login_proof(proof, challenge, cert_hash, sk + 32, nick);
	if (n < 0)
		return n;
	return crypto_sign_detached(sig, NULL, proof, (size_t)n, sk) == 0 ? 0 : -EINVAL;
}

int pl_login_verify(const uint8_t sig[PL_SIG_LEN], const uint8_t key[PL_DEVICE_KEY_LEN],
		    const uint8_t challenge[PL_CHALLENGE_LEN], const uint8_t cert_hash[PL_CERT_HASH_LEN], const char *nick)
{
	uint8_t proof[PL_LOGIN_PROOF_MAX];
	int n = pl_login_proof(proof, challenge, cert_hash, key, nick);
	if (n < 0)
		return -EBADMSG;
	return crypto_sign_verify_detached(sig, proof, (size_t)n, key) == 0 ? 0 : -EBADMSG;
}

void pl_key_fingerprint(char out[PL_KEY_FP_STR], const uint8_t key[PL_DEVICE_KEY_LEN])
{
	uint8_t h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, key, PL_DEVICE_KEY_LEN);
	size_t pos = 0;
	for (int i = 0; i < 16; i += 2)
		pos += (size_t)snprintf(out + pos, PL_KEY_FP_STR - pos, "%s%02x%02x", i ? " " : "", h[i], h[i + 1]);
}
