#include "client/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/confdir.h"

#define HEADER "parley identity v1\n"

void pl_identity_default(char *path, size_t sz)
{
	pl_confdir_path(path, sz, "identity");
}

static int create(const char *path, uint8_t secret[PL_IDENTITY_SECRET], char *err, size_t errsz)
{
	pl_confdir_mkdirs(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errsz, "Cannot create this device's identity %s (%s); check the directory's permissions.",
			 path, strerror(e));
		return -e;
	}
	char hex[2 * PL_IDENTITY_SECRET + 2];
	randombytes_buf(secret, PL_IDENTITY_SECRET);
	sodium_bin2hex(hex, sizeof hex, secret, PL_IDENTITY_SECRET);
	strcat(hex, "\n");
	bool ok = write(fd, HEADER, strlen(HEADER)) == (ssize_t)strlen(HEADER) &&
		  write(fd, hex, strlen(hex)) == (ssize_t)strlen(hex) && fsync(fd) == 0;
	close(fd);
	sodium_memzero(hex, sizeof hex);
	if (!ok) {
		unlink(path);
		snprintf(err, errsz, "Cannot write this device's identity %s; check the free space.", path);
		return -EIO;
	}
	return 0;
}

int pl_identity_load(const char *path, uint8_t secret[PL_IDENTITY_SECRET], bool *created, char *err, size_t errsz)
{
	*created = false;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		int rc = create(path, secret, err, errsz);
		*created = rc == 0;
		return rc;
	}
	if (fd < 0) {
		int e = errno;
		snprintf(err, errsz, "Cannot read this device's identity %s (%s)%s.", path, strerror(e),
			 e == ELOOP ? "; it must be a file, not a link" : "; check its permissions");
		return -e;
	}
	struct stat st;
	char buf[128];
	ssize_t n = fstat(fd, &st) == 0 ? read(fd, buf, sizeof buf - 1) : -1;
	close(fd);
	if (n >= 0 && (st.st_mode & 077)) {
		snprintf(err, errsz, "This device's identity %s can be read by other users; run chmod 600 %s first.",
			 path, path);
		sodium_memzero(buf, sizeof buf);
		return -EPERM;
	}
	size_t hl = strlen(HEADER);
	bool ok = n >= (ssize_t)(hl + 2 * PL_IDENTITY_SECRET) && memcmp(buf, HEADER, hl) == 0 &&
		  sodium_hex2bin(secret, PL_IDENTITY_SECRET, buf + hl, 2 * PL_IDENTITY_SECRET, NULL, NULL, NULL) == 0;
	sodium_memzero(buf, sizeof buf);
	if (!ok) {
		snprintf(err, errsz, "%s is not a parley identity file; move it away to have a new identity made "
			 "(this device will then log in with its password once).", path);
		return -EINVAL;
	}
	return 0;
}

void pl_identity_keys(const uint8_t secret[PL_IDENTITY_SECRET], const uint8_t cert_hash[PL_CERT_HASH_LEN],
		      uint8_t pk[PL_DEVICE_KEY_LEN], uint8_t sk[PL_DEVICE_SECRET_LEN])
{
	static const char ctx[] = "parley device key v1";
	uint8_t seed[crypto_sign_SEEDBYTES];
	crypto_generichash_state h;
	crypto_generichash_init(&h, secret, PL_IDENTITY_SECRET, sizeof seed);
	crypto_generichash_update(&h, (const uint8_t *)ctx, sizeof ctx - 1);
	crypto_generichash_update(&h, cert_hash, PL_CERT_HASH_LEN);
	crypto_generichash_final(&h, seed, sizeof seed);
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof seed);
}
