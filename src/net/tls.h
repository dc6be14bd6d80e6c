/*
 * tls: OpenSSL contexts for both ends. The server loads its certificate and key from its data
 * directory, generating a self-signed pair on first start; the client does no CA validation and
 * instead pins the server's certificate on first use (client/known_hosts.h), as ssh does, since
 * a self-hosted server seldom has a CA-signed certificate. TLS 1.2 is the floor on both sides.
 */
#ifndef PL_TLS_H
#define PL_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

#define PL_FINGERPRINT_HEX 65 /* SHA-256 as hex, NUL included */

/* Loads datadir/cert.pem and datadir/key.pem, creating them (key mode 0600) when both are
 * missing. *created tells whether they were made now. NULL on failure, with a sentence in err. */
SSL_CTX *pl_tls_server_ctx(const char *datadir, const char *common_name, bool *created,
			   char *err, size_t errsz);
SSL_CTX *pl_tls_client_ctx(char *err, size_t errsz);

/* SHA-256 of the DER of the peer's (or, with local, our own) certificate, as lowercase hex. */
int pl_tls_fingerprint(SSL *ssl, bool local, char hex[PL_FINGERPRINT_HEX]);
/* The same for a certificate file. */
int pl_tls_file_fingerprint(const char *certpath, char hex[PL_FINGERPRINT_HEX]);

#endif
