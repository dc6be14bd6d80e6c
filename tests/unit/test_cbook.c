/*
 * Unit tests for client/cbook: the contacts book round trips through its encrypted file; a wrong
 * passphrase is refused with its own sentence; the file holds no name, address or key in clear; a
 * file with any byte changed, cut short or grown is refused; keys that change lose their verified
 * mark; the limits of a crafted header are refused. Cheap Argon2id limits keep it fast.
 */
#include "client/cbook.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"

static const struct pl_cbook_cost cheap = {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};

static size_t slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void spit(const char *path, const uint8_t *buf, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(buf, 1, n, f);
		fclose(f);
	}
}

static bool contains(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (!memcmp(hay + i, needle, m))
			return true;
	return false;
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	char dir[] = "/tmp/test_cbook.XXXXXX", path[256], err[512];
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/sub/contacts.book", dir);
	uint8_t k1[PL_DEVICE_KEY_LEN], k2[PL_DEVICE_KEY_LEN];
	memset(k1, 0xa5, sizeof k1);
	memset(k2, 0x5a, sizeof k2);

	test_case("new book, put, reopen");
	struct pl_cbook *b = NULL;
	if (!CHECK_EQ(pl_cbook_open(&b, path, "correct horse", &cheap, err, sizeof err), 0))
		return test_done();
	CHECK_EQ(pl_cbook_count(b), 0);
	CHECK_EQ(pl_cbook_put(b, "Zanzibar Bob", "127.0.0.1:4242", k1, true), 0);
	CHECK_EQ(pl_cbook_put(b, "carol", "[::1]:5000", NULL, false), 0);
	CHECK_EQ(pl_cbook_put(b, "bad\tname", "x:1", NULL, false), -EINVAL);
	CHECK_EQ(pl_cbook_put(b, "", "x:1", NULL, false), -EINVAL);
	CHECK_EQ(pl_cbook_put(b, "dave", "has space:1", NULL, false), -EINVAL);
	CHECK_EQ(pl_cbook_check_key(b, "zanzibar bob", k1), 1);
	CHECK_EQ(pl_cbook_check_key(b, "Zanzibar Bob", k2), -1);
	CHECK_EQ(pl_cbook_check_key(b, "carol", k2), 0);
	pl_cbook_free(b);
	b = NULL;
	CHECK_EQ(access(path, F_OK), 0);
	CHECK(access(path, F_OK) == 0);
	char tmp[300];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	CHECK(access(tmp, F_OK) != 0); /* renamed away */

	if (CHECK_EQ(pl_cbook_open(&b, path, "correct horse", NULL, err, sizeof err), 0)) {
		CHECK_EQ(pl_cbook_count(b), 2);
		const struct pl_cbook_entry *e = pl_cbook_get(b, "ZANZIBAR BOB");
		if (CHECK(e != NULL)) {
			CHECK_STR_EQ(e->addr, "127.0.0.1:4242");
			CHECK(e->has_key && e->verified && !memcmp(e->key, k1, sizeof k1));
		}
		e = pl_cbook_get(b, "carol");
		if (CHECK(e != NULL)) {
			CHECK_STR_EQ(e->addr, "[::1]:5000");
			CHECK(!e->has_key && !e->verified);
		}
		CHECK(pl_cbook_by_key(b, k1) == pl_cbook_get(b, "zanzibar bob"));
		CHECK(pl_cbook_by_key(b, k2) == NULL);
		/* A new key for a verified contact is not verified. */
		CHECK_EQ(pl_cbook_put(b, "Zanzibar Bob", NULL, k2, false), 0);
		e = pl_cbook_get(b, "Zanzibar Bob");
		CHECK(e && !e->verified && !strcmp(e->addr, "127.0.0.1:4242"));
		CHECK_EQ(pl_cbook_put(b, "Zanzibar Bob", NULL, NULL, true), 0);
		CHECK(e && e->verified);
		CHECK_EQ(pl_cbook_del(b, "carol", err, sizeof err), 0);
		CHECK_EQ(pl_cbook_del(b, "carol", err, sizeof err), -ENOENT);
		CHECK_EQ(pl_cbook_put(b, "Zanzibar Bob", "127.0.0.1:4242", k1, true), 0);
		pl_cbook_free(b);
		b = NULL;
	}

	test_case("nothing in clear");
	static uint8_t file[1 << 16], bad[1 << 16];
	size_t n = slurp(path, file, sizeof file);
	CHECK(n > 80);
	CHECK(!contains(file, n, "Zanzibar", 8));
	CHECK(!contains(file, n, "127.0.0.1", 9));
	CHECK(!contains(file, n, "4242", 4));
	CHECK(!contains(file, n, k1, 8));
	CHECK(!contains(file, n, "a5a5a5a5", 8));

	test_case("wrong passphrase");
	CHECK_EQ(pl_cbook_open(&b, path, "wrong horse", NULL, err, sizeof err), -EACCES);
	CHECK(strstr(err, "wrong passphrase") != NULL);

	test_case("tampered");
	for (size_t i = 0; i < n; i++) {
		memcpy(bad, file, n);
		bad[i] ^= 0x01;
		spit(path, bad, n);
		int rc = pl_cbook_open(&b, path, "correct horse", NULL, err, sizeof err);
		if (rc == 0) {
			pl_cbook_free(b);
			b = NULL;
			fprintf(stderr, "byte %zu\n", i);
			CHECK(!"a changed byte opened");
			break;
		}
		/* the limits, salt and check: taken for a wrong passphrase (or refused limits) */
		if (i >= 80 && rc != -EBADMSG) {
			CHECK_EQ(rc, -EBADMSG);
			break;
		}
	}
	spit(path, file, n - 1);
	CHECK_EQ(pl_cbook_open(&b, path, "correct horse", NULL, err, sizeof err), -EBADMSG);
	CHECK(strstr(err, "tampered") != NULL);
	memcpy(bad, file, n);
	bad[n] = 0;
	spit(path, bad, n + 1);
	CHECK_EQ(pl_cbook_open(&b, path, "correct horse", NULL, err, sizeof err), -EBADMSG);
	spit(path, file, 40);
	CHECK_EQ(pl_cbook_open(&b, path, "correct horse", NULL, err, sizeof err), -EBADMSG);
	/* A header asking for far too much memory is refused before any is spent. */
	memcpy(bad, file, n);
	bad[16] = 0x7f;
	spit(path, bad, n);
	CHECK_EQ(pl_cbook_open(&b, path, "correct horse", NULL, err, sizeof err), -EBADMSG);
	spit(path, file, n);
	if (CHECK_EQ(pl_cbook_open(&b, path, "correct horse", NULL, err, sizeof err), 0)) {
		CHECK_EQ(pl_cbook_count(b), 1);
		pl_cbook_free(b);
	}

	test_case("passphrase sources");
	char pass[128], pf[300];
	snprintf(pf, sizeof pf, "%s/pass", dir);
	spit(pf, (const uint8_t *)"from a file\nignored\n", 20);
	CHECK_EQ(pl_cbook_passphrase(pass, sizeof pass, pf, err, sizeof err), 0);
	CHECK_STR_EQ(pass, "from a file");
	setenv("PARLEY_PASSPHRASE", "from the environment", 1);
	CHECK_EQ(pl_cbook_passphrase(pass, sizeof pass, NULL, err, sizeof err), 0);
	CHECK_STR_EQ(pass, "from the environment");
	spit(pf, (const uint8_t *)"", 0);
	CHECK_EQ(pl_cbook_passphrase(pass, sizeof pass, pf, err, sizeof err), -EINVAL);

	unlink(pf);
	unlink(path);
	snprintf(tmp, sizeof tmp, "%s/sub", dir);
	rmdir(tmp);
	rmdir(dir);
	return test_done();
}
