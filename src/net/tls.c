#include "net/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void ssl_err(char *err, size_t errsz, const char *what)
{
	char detail[256];
	ERR_error_string_n(ERR_get_error(), detail, sizeof detail);
	snprintf(err, errsz, "%s (%s)", what, detail);
}

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ex)
		return -1;
	int rc = X509_add_ext(x, ex, -1) ? 0 : -1;
	X509_EXTENSION_free(ex);
	return rc;
}

/* Writes via a temporary file and rename, so a crash never leaves half a key behind. */
static int write_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *cert)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	/* O_EXCL and O_NOFOLLOW: a file or link planted at the temporary name is never written
	 * through; a stale one from a crash is removed first. */
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -errno;
	}
	int ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) : PEM_write_X509(f, cert);
	if (fflush(f) != 0 || fsync(fd) != 0)
		ok = 0;
	fclose(f);
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

static int generate(const char *certpath, const char *keypath, const char *cn, char *err, size_t errsz)
{
	int rc = -EIO;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	if (!key || !x) {
		ssl_err(err, errsz, "Cannot generate the server's TLS key");
		goto out;
	}
	X509_set_version(x, 2);
	unsigned char serial[16];
	FILE *ur = fopen("/dev/urandom", "rb");
	if (!ur || fread(serial, 1, sizeof serial, ur) != sizeof serial) {
		if (ur)
			fclose(ur);
		snprintf(err, errsz, "Cannot read /dev/urandom to make a certificate serial number.");
		goto out;
	}
	fclose(ur);
	serial[0] &= 0x7f;
	BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 24 * 3600);
	X509_set_pubkey(x, key);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"parleyd self-signed", -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (add_ext(x, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") ||
	    add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
	    !X509_sign(x, key, EVP_sha256())) {
		ssl_err(err, errsz, "Cannot sign the server's self-signed certificate");
		goto out;
	}
	if (write_pem(keypath, 0600, key, NULL) || write_pem(certpath, 0644, NULL, x)) {
		snprintf(err, errsz, "Cannot write %s and %s; check that the data directory is writable.",
			 keypath, certpath);
		goto out;
	}
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

SSL_CTX *pl_tls_server_ctx(const char *datadir, const char *common_name, bool *created,
			   char *err, size_t errsz)
{
	char certpath[4096], keypath[4096];
	snprintf(certpath, sizeof certpath, "%s/cert.pem", datadir);
	snprintf(keypath, sizeof keypath, "%s/key.pem", datadir);
	*created = false;

	bool have_cert = access(certpath, F_OK) == 0, have_key = access(keypath, F_OK) == 0;
	if (have_cert != have_key) {
		snprintf(err, errsz, "%s exists but %s does not; restore the missing file, or remove "
			 "the other to have a new self-signed certificate made.",
			 have_cert ? certpath : keypath, have_cert ? keypath : certpath);
		return NULL;
	}
	if (!have_cert) {
		if (generate(certpath, keypath, common_name, err, errsz))
			return NULL;
		*created = true;
	}

	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		ssl_err(err, errsz, "Cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate_chain_file(ctx, certpath) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, keypath, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ssl_err(err, errsz, "Cannot load the server's certificate or key from the data directory");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static void keylog(const SSL *ssl, const char *line)
{
	const char *path = getenv("SSLKEYLOGFILE");
	int fd = path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600) : -1;
	if (fd < 0)
		return;
	size_t n = strlen(line);
	if (write(fd, line, n) != (ssize_t)n || write(fd, "\n", 1) != 1)
		(void)0; /* a debugging aid: nothing to do about a short write */
	close(fd);
}

SSL_CTX *pl_tls_client_ctx(char *err, size_t errsz)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		ssl_err(err, errsz, "Cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* Trust is decided by the pinned fingerprint after the handshake, not by a CA. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/* SSLKEYLOGFILE, as browsers and curl read it: the session keys for Wireshark, so a person
	 * (or a test) can see exactly what crossed the wire. Off unless set. */
	const char *kl = getenv("SSLKEYLOGFILE");
	if (kl && *kl)
		SSL_CTX_set_keylog_callback(ctx, keylog);
	return ctx;
}

static int hex_of_cert(X509 *cert, char hex[PL_FINGERPRINT_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (!cert || !X509_digest(cert, EVP_sha256(), md, &n) || n != 32)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int pl_tls_fingerprint(SSL *ssl, bool local, char hex[PL_FINGERPRINT_HEX])
{
	if (local)
		return hex_of_cert(SSL_get_certificate(ssl), hex);
	X509 *cert = SSL_get1_peer_certificate(ssl);
	int rc = hex_of_cert(cert, hex);
	X509_free(cert);
	return rc;
}

int pl_tls_file_fingerprint(const char *certpath, char hex[PL_FINGERPRINT_HEX])
{
	FILE *f = fopen(certpath, "r");
	if (!f)
		return -errno;
	X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	int rc = hex_of_cert(cert, hex);
	X509_free(cert);
	return rc;
}
