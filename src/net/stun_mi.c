#include "net/stun_mi.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <string.h>

void pl_stun_hmac_sha1(uint8_t out[PL_STUN_MI_LEN], const uint8_t *key, size_t keylen,
		       const uint8_t hdr[PL_STUN_HDR], const uint8_t *body, size_t bodylen)
{
	/* EVP_MAC, since the one-shot HMAC() cannot take two pieces and HMAC_CTX is deprecated. */
	size_t n = 0;
	char digest[] = "SHA1";
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
			       OSSL_PARAM_construct_end()};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = mac ? EVP_MAC_CTX_new(mac) : NULL;
	if (!c || !EVP_MAC_init(c, key, keylen, params) || !EVP_MAC_update(c, hdr, PL_STUN_HDR) ||
	    !EVP_MAC_update(c, body, bodylen) || !EVP_MAC_final(c, out, &n, PL_STUN_MI_LEN) || n != PL_STUN_MI_LEN)
		memset(out, 0, PL_STUN_MI_LEN); /* matches nothing a peer computed */
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(mac);
}

int pl_stun_longterm_key(uint8_t key[16], const char *username, const char *realm, const char *password)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned n = 0;
	int ok = c && EVP_DigestInit_ex(c, EVP_md5(), NULL) && EVP_DigestUpdate(c, username, strlen(username)) &&
		 EVP_DigestUpdate(c, ":", 1) && EVP_DigestUpdate(c, realm, strlen(realm)) &&
		 EVP_DigestUpdate(c, ":", 1) && EVP_DigestUpdate(c, password, strlen(password)) &&
		 EVP_DigestFinal_ex(c, key, &n) && n == 16;
	EVP_MD_CTX_free(c);
	return ok ? 0 : -EIO;
}
