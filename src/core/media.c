#include "core/media.h"

#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <string.h>

#include "core/buf.h"

_Static_assert(PL_MEDIA_KEY_LEN == crypto_aead_chacha20poly1305_ietf_KEYBYTES, "a ChaCha20 key");
_Static_assert(PL_MEDIA_TAG == crypto_aead_chacha20poly1305_ietf_ABYTES, "Poly1305's tag");
_Static_assert((PL_REPLAY_WORDS & (PL_REPLAY_WORDS - 1)) == 0 && PL_REPLAY_WORDS >= 3,
	       "a ring of at least three words, a power of two");
_Static_assert(PL_REPLAY_WINDOW >= 128, "at least SRTP's 128 packets");

static uint64_t be64(const uint8_t *p) { return (uint64_t)pl_be32(p) << 32 | pl_be32(p + 4); }

static void put_be64(uint8_t *p, uint64_t v)
{
	pl_put_be32(p, (uint32_t)(v >> 32));
	pl_put_be32(p + 4, (uint32_t)v);
}

/* The nonce 00 00 00 | key id | counter, and the associated data header | key id | counter. */
static void nonce_of(uint8_t n[crypto_aead_chacha20poly1305_ietf_NPUBBYTES], const uint8_t prefix[PL_MEDIA_PREFIX])
{
	n[0] = n[1] = n[2] = 0;
	memcpy(n + 3, prefix, PL_MEDIA_PREFIX);
}

static size_t ad_of(uint8_t ad[PL_MEDIA_HDR_MAX + PL_MEDIA_PREFIX], const uint8_t *header, size_t header_len,
		    const uint8_t prefix[PL_MEDIA_PREFIX])
{
	if (header_len)
		memcpy(ad, header, header_len);
	memcpy(ad + header_len, prefix, PL_MEDIA_PREFIX);
	return header_len + PL_MEDIA_PREFIX;
}

int pl_media_seal(uint8_t *out, size_t cap, const uint8_t key[PL_MEDIA_KEY_LEN], uint8_t key_id,
		  uint64_t counter, const uint8_t *header, size_t header_len, const uint8_t *frame,
		  size_t len)
{
	uint8_t prefix[PL_MEDIA_PREFIX], nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	uint8_t ad[PL_MEDIA_HDR_MAX + PL_MEDIA_PREFIX];
	if (counter == 0 || header_len > PL_MEDIA_HDR_MAX)
		return -EINVAL;
	if (len > INT_MAX - PL_MEDIA_OVERHEAD || cap < len + PL_MEDIA_OVERHEAD)
		return -EMSGSIZE;
	prefix[0] = key_id;
	put_be64(prefix + 1, counter);
	nonce_of(nonce, prefix);
	size_t adlen = ad_of(ad, header, header_len, prefix);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(out + PL_MEDIA_PREFIX, out + PL_MEDIA_PREFIX + len,
							   NULL, frame, len, ad, adlen, NULL, nonce, key);
	memcpy(out, prefix, PL_MEDIA_PREFIX);
	return (int)(len + PL_MEDIA_OVERHEAD);
}

int pl_media_peek(const uint8_t *payload, size_t len, uint8_t *key_id, uint64_t *counter)
{
	if (len < PL_MEDIA_OVERHEAD)
		return -EBADMSG;
	uint64_t c = be64(payload + 1);
	if (c == 0)
		return -EBADMSG;
	*key_id = payload[0];
	*counter = c;
	return 0;
}

int pl_media_open(uint8_t *out, size_t cap, const uint8_t key[PL_MEDIA_KEY_LEN], const uint8_t *header,
		  size_t header_len, const uint8_t *payload, size_t len, uint8_t *key_id, uint64_t *counter)
{
	uint8_t prefix[PL_MEDIA_PREFIX], nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	uint8_t ad[PL_MEDIA_HDR_MAX + PL_MEDIA_PREFIX];
	uint8_t id;
	uint64_t c;
	if (header_len > PL_MEDIA_HDR_MAX)
		return -EINVAL;
	if (pl_media_peek(payload, len, &id, &c) != 0 || len - PL_MEDIA_OVERHEAD > INT_MAX)
		return -EBADMSG;
	size_t flen = len - PL_MEDIA_OVERHEAD;
	if (cap < flen)
		return -EMSGSIZE;
	memcpy(prefix, payload, PL_MEDIA_PREFIX);
	nonce_of(nonce, prefix);
	size_t adlen = ad_of(ad, header, header_len, prefix);
	/* libsodium checks the tag before it decrypts; out is zeroed all the same, so that what a
	 * caller might play from it after a forgery is silence, whatever libsodium's version does. */
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(out, NULL, payload + PL_MEDIA_PREFIX, flen,
							       payload + PL_MEDIA_PREFIX + flen, ad, adlen,
							       nonce, key) != 0) {
		sodium_memzero(out, flen);
		return -EBADMSG;
	}
	if (key_id)
		*key_id = id;
	if (counter)
		*counter = c;
	return (int)flen;
}

/* --- the replay window --- */

#define WORD_OF(c) ((size_t)(((c) >> 6) & (PL_REPLAY_WORDS - 1)))
#define BIT_OF(c) (UINT64_C(1) << ((c) & 63))

void pl_replay_init(struct pl_replay *w) { memset(w, 0, sizeof *w); }

int pl_replay_check(const struct pl_replay *w, uint64_t counter)
{
	if (counter == 0)
		return -ESTALE;
	if (counter > w->top)
		return 0;
	if (w->top - counter >= PL_REPLAY_WINDOW)
		return -ESTALE;
	return w->bits[WORD_OF(counter)] & BIT_OF(counter) ? -EALREADY : 0;
}

int pl_replay_accept(struct pl_replay *w, uint64_t counter)
{
	int rc = pl_replay_check(w, counter);
	if (rc != 0)
		return rc;
	if (counter > w->top) {
		/* Entering a new 64-counter block clears its word, which last held the block
		 * PL_REPLAY_WORDS blocks older: out of the window, since the window is one word
		 * shorter than the ring. A jump of a whole ring or more clears every word. */
		uint64_t from = w->top >> 6, to = counter >> 6;
		uint64_t n = to - from < PL_REPLAY_WORDS ? to - from : PL_REPLAY_WORDS;
		for (uint64_t i = 1; i <= n; i++)
			w->bits[(from + i) & (PL_REPLAY_WORDS - 1)] = 0;
		w->top = counter;
	}
	w->bits[WORD_OF(counter)] |= BIT_OF(counter);
	return 0;
}
