#include "client/cbook.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "client/confdir.h"
#include "core/buf.h"

#define MAGIC "PLCBOOK1"
#define SALT_LEN 16
#define CHECK_LEN 16
#define HDR_LEN (8 + 8 + 8 + SALT_LEN + CHECK_LEN + crypto_secretstream_xchacha20poly1305_HEADERBYTES)
#define LINE_MAX_LEN (PL_CBOOK_NAME_MAX + PL_CBOOK_ADDR_MAX + 2 * PL_DEVICE_KEY_LEN + 8)
#define FILE_MAX (HDR_LEN + crypto_secretstream_xchacha20poly1305_ABYTES + PL_CBOOK_ENTRIES_MAX * LINE_MAX_LEN)

_Static_assert(HDR_LEN == 80, "the header as cbook.h draws it");

struct pl_cbook {
	char path[4096];
	uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
	uint8_t salt[SALT_LEN];
	unsigned long long ops;
	size_t mem;
	struct pl_cbook_entry *e;
	size_t n, cap;
};

void pl_cbook_default_path(char *out, size_t sz)
{
	pl_confdir_path(out, sz, PL_CBOOK_FILE);
}

static void check_value(uint8_t out[CHECK_LEN], const uint8_t *key)
{
	static const char label[] = "parley cbook check";
	crypto_generichash(out, CHECK_LEN, (const uint8_t *)label, sizeof label - 1, key,
			   crypto_secretstream_xchacha20poly1305_KEYBYTES);
}

static int derive(struct pl_cbook *b, const char *pass, char *err, size_t errsz)
{
	if (crypto_pwhash(b->key, sizeof b->key, pass, strlen(pass), b->salt, b->ops, b->mem,
			  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		snprintf(err, errsz, "Not enough memory to derive the contacts book's key (Argon2id wants %zu MiB).",
			 b->mem >> 20);
		return -ENOMEM;
	}
	return 0;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > PL_CBOOK_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static bool addr_ok(const char *s)
{
	if (strlen(s) > PL_CBOOK_ADDR_MAX)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* One line of the plaintext into an entry: 0, or -EBADMSG. */
static int parse_line(struct pl_cbook_entry *e, char *line)
{
	char *f[4];
	for (int i = 0; i < 4; i++) {
		f[i] = strsep(&line, "\t");
		if (!f[i])
			return -EBADMSG;
	}
	if (line || !name_ok(f[0]) || !addr_ok(f[1]) || strlen(f[1]) > PL_CBOOK_ADDR_MAX ||
	    (strcmp(f[3], "0") && strcmp(f[3], "1")))
		return -EBADMSG;
	memset(e, 0, sizeof *e);
	snprintf(e->name, sizeof e->name, "%s", f[0]);
	snprintf(e->addr, sizeof e->addr, "%s", f[1]);
	e->verified = f[3][0] == '1';
	if (strcmp(f[2], "-")) {
		size_t got;
		if (strlen(f[2]) != 2 * PL_DEVICE_KEY_LEN ||
		    sodium_hex2bin(e->key, sizeof e->key, f[2], strlen(f[2]), NULL, &got, NULL) != 0 ||
		    got != PL_DEVICE_KEY_LEN)
			return -EBADMSG;
		e->has_key = true;
	}
	return 0;
}

static int grow(struct pl_cbook *b)
{
	if (b->n < b->cap)
		return 0;
	if (b->cap >= PL_CBOOK_ENTRIES_MAX)
		return -ENOSPC;
	size_t cap = b->cap ? b->cap * 2 : 16;
	void *p = realloc(b->e, cap * sizeof *b->e);
	if (!p)
		return -ENOMEM;
	b->e = p;
	b->cap = cap;
	return 0;
}

static int parse_plain(struct pl_cbook *b, char *text, size_t len)
{
	char *p = text, *end = text + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return -EBADMSG;
		*nl = '\0';
		if (strlen(p) != (size_t)(nl - p) || grow(b) < 0 || parse_line(&b->e[b->n], p) < 0)
			return -EBADMSG;
		b->n++;
		p = nl + 1;
	}
	return 0;
}

static int read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	uint8_t *buf = malloc(FILE_MAX + 1);
	size_t n = buf ? fread(buf, 1, FILE_MAX + 1, f) : 0;
	int rc = !buf ? -ENOMEM : ferror(f) ? -EIO : n > FILE_MAX ? -EFBIG : 0;
	fclose(f);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int load(struct pl_cbook *b, const uint8_t *buf, size_t len, const char *pass, char *err, size_t errsz)
{
	if (len < HDR_LEN + crypto_secretstream_xchacha20poly1305_ABYTES || memcmp(buf, MAGIC, 8) != 0) {
		snprintf(err, errsz, "%s is not a parley contacts book (or it was cut short); move it away to start "
			 "a new one.", b->path);
		return -EBADMSG;
	}
	struct pl_rd r;
	pl_rd_init(&r, buf + 8, 16);
	b->ops = pl_rd_u64(&r);
	uint64_t mem = pl_rd_u64(&r);
	if (b->ops < crypto_pwhash_OPSLIMIT_MIN || b->ops > crypto_pwhash_OPSLIMIT_SENSITIVE ||
	    mem < crypto_pwhash_MEMLIMIT_MIN || mem > crypto_pwhash_MEMLIMIT_SENSITIVE) {
		snprintf(err, errsz, "The contacts book %s asks for key derivation limits out of bounds: it is damaged "
			 "or was changed; move it away to start a new one.", b->path);
		return -EBADMSG;
	}
	b->mem = (size_t)mem;
	memcpy(b->salt, buf + 24, SALT_LEN);
	int rc = derive(b, pass, err, errsz);
	if (rc < 0)
		return rc;
	uint8_t check[CHECK_LEN];
	check_value(check, b->key);
	if (sodium_memcmp(check, buf + 24 + SALT_LEN, CHECK_LEN) != 0) {
		snprintf(err, errsz, "That passphrase does not open the contacts book %s: it is the wrong passphrase "
			 "(or the file's header was changed). Try again with the passphrase you chose.", b->path);
		return -EACCES;
	}
	crypto_secretstream_xchacha20poly1305_state st;
	const uint8_t *ss_hdr = buf + 24 + SALT_LEN + CHECK_LEN;
	size_t clen = len - HDR_LEN;
	char *plain = malloc(clen + 1);
	unsigned long long plen = 0;
	unsigned char tag = 0;
	rc = -EBADMSG;
	if (plain && crypto_secretstream_xchacha20poly1305_init_pull(&st, ss_hdr, b->key) == 0 &&
	    crypto_secretstream_xchacha20poly1305_pull(&st, (uint8_t *)plain, &plen, &tag, buf + HDR_LEN, clen, buf,
						       HDR_LEN) == 0 &&
	    tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL)
		rc = parse_plain(b, plain, (size_t)plen);
	if (plain) {
		sodium_memzero(plain, clen + 1);
		free(plain);
	}
	sodium_memzero(&st, sizeof st);
	if (rc < 0)
		snprintf(err, errsz, "The contacts book %s is damaged or was tampered with (the passphrase is right, "
			 "but its contents do not check); restore it from a copy, or move it away to start a new one.",
			 b->path);
	return rc;
}

int pl_cbook_open(struct pl_cbook **bp, const char *path, const char *passphrase, const struct pl_cbook_cost *cost,
		  char *err, size_t errsz)
{
	struct pl_cbook *b = sodium_malloc(sizeof *b);
	if (!b)
		return -ENOMEM;
	memset(b, 0, sizeof *b);
	snprintf(b->path, sizeof b->path, "%s", path);
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = read_file(path, &buf, &len);
	if (rc == -ENOENT) {
		/* A new book: its key is derived now, with a fresh salt, and kept for saving. */
		b->ops = cost && cost->ops ? cost->ops : crypto_pwhash_OPSLIMIT_INTERACTIVE;
		b->mem = cost && cost->mem ? cost->mem : crypto_pwhash_MEMLIMIT_INTERACTIVE;
		randombytes_buf(b->salt, sizeof b->salt);
		rc = derive(b, passphrase, err, errsz);
	} else if (rc < 0) {
		snprintf(err, errsz, "Cannot read the contacts book %s (%s).", path,
			 rc == -EFBIG ? "it is far larger than any contacts book" : strerror(-rc));
	} else {
		rc = load(b, buf, len, passphrase, err, errsz);
		free(buf);
	}
	if (rc < 0) {
		pl_cbook_free(b);
		return rc;
	}
	*bp = b;
	return 0;
}

void pl_cbook_free(struct pl_cbook *b)
{
	if (!b)
		return;
	if (b->e) {
		sodium_memzero(b->e, b->cap * sizeof *b->e);
		free(b->e);
	}
	sodium_free(b); /* wipes the key */
}

int pl_cbook_save(struct pl_cbook *b, char *err, size_t errsz)
{
	char dummy[8];
	if (!err) {
		err = dummy;
		errsz = sizeof dummy;
	}
	size_t cap = b->n * LINE_MAX_LEN + 1;
	char *plain = malloc(cap);
	uint8_t *out = malloc(HDR_LEN + crypto_secretstream_xchacha20poly1305_ABYTES + cap);
	if (!plain || !out) {
		free(plain);
		free(out);
		snprintf(err, errsz, "Out of memory saving the contacts book.");
		return -ENOMEM;
	}
	size_t plen = 0;
	for (size_t i = 0; i < b->n; i++) {
		const struct pl_cbook_entry *e = &b->e[i];
		char hex[2 * PL_DEVICE_KEY_LEN + 1] = "-";
		if (e->has_key)
			sodium_bin2hex(hex, sizeof hex, e->key, sizeof e->key);
		plen += (size_t)snprintf(plain + plen, cap - plen, "%s\t%s\t%s\t%d\n", e->name, e->addr, hex, e->verified);
	}
	memcpy(out, MAGIC, 8);
	struct pl_wr w;
	pl_wr_init(&w, out + 8, 16);
	pl_wr_u64(&w, b->ops);
	pl_wr_u64(&w, b->mem);
	memcpy(out + 24, b->salt, SALT_LEN);
	check_value(out + 24 + SALT_LEN, b->key);
	crypto_secretstream_xchacha20poly1305_state st;
	crypto_secretstream_xchacha20poly1305_init_push(&st, out + 24 + SALT_LEN + CHECK_LEN, b->key);
	unsigned long long clen = 0;
	crypto_secretstream_xchacha20poly1305_push(&st, out + HDR_LEN, &clen, (uint8_t *)plain, plen, out, HDR_LEN,
						   crypto_secretstream_xchacha20poly1305_TAG_FINAL);
	sodium_memzero(&st, sizeof st);
	sodium_memzero(plain, cap);
	free(plain);

	/* Atomically: a temporary file beside it, written and fsync'd, renamed over it. */
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", b->path);
	pl_confdir_mkdirs(b->path);
	int rc = 0;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	size_t total = HDR_LEN + (size_t)clen;
	if (fd < 0 || write(fd, out, total) != (ssize_t)total || fsync(fd) != 0)
		rc = errno ? -errno : -EIO;
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = -EIO;
	if (rc == 0 && rename(tmp, b->path) != 0)
		rc = -errno;
	free(out);
	if (rc < 0) {
		unlink(tmp);
		snprintf(err, errsz, "Cannot save the contacts book %s (%s); check the directory's permissions and space.",
			 b->path, strerror(-rc));
		return rc;
	}
	/* The rename is durable once the directory is. */
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", b->path);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		int dfd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	return 0;
}

static struct pl_cbook_entry *find(const struct pl_cbook *b, const char *name)
{
	for (size_t i = 0; i < b->n; i++)
		if (!strcasecmp(b->e[i].name, name))
			return &b->e[i];
	return NULL;
}

int pl_cbook_put_err(struct pl_cbook *b, const char *name, const char *addr, const uint8_t *device_key,
		     bool verified, char *err, size_t errsz)
{
	if (!name_ok(name) || (addr && !addr_ok(addr))) {
		if (err)
			snprintf(err, errsz, "A contact's name is 1 to %d bytes with no control characters, and its address "
				 "HOST:PORT without spaces.", PL_CBOOK_NAME_MAX);
		return -EINVAL;
	}
	struct pl_cbook_entry *e = find(b, name);
	if (!e) {
		int rc = grow(b);
		if (rc < 0) {
			if (err)
				snprintf(err, errsz, "The contacts book is full (%d contacts); delete some first.",
					 PL_CBOOK_ENTRIES_MAX);
			return rc;
		}
		e = &b->e[b->n++];
		memset(e, 0, sizeof *e);
		snprintf(e->name, sizeof e->name, "%s", name);
	}
	if (addr)
		snprintf(e->addr, sizeof e->addr, "%s", addr);
	if (device_key) {
		if (e->has_key && memcmp(e->key, device_key, sizeof e->key) != 0)
			e->verified = false;
		memcpy(e->key, device_key, sizeof e->key);
		e->has_key = true;
	}
	if (verified && e->has_key)
		e->verified = true;
	return pl_cbook_save(b, err, errsz);
}

int pl_cbook_put(struct pl_cbook *b, const char *name, const char *addr, const uint8_t *device_key, bool verified)
{
	return pl_cbook_put_err(b, name, addr, device_key, verified, NULL, 0);
}

int pl_cbook_del(struct pl_cbook *b, const char *name, char *err, size_t errsz)
{
	struct pl_cbook_entry *e = find(b, name);
	if (!e) {
		snprintf(err, errsz, "There is no contact named %s; /contacts lists them.", name);
		return -ENOENT;
	}
	size_t i = (size_t)(e - b->e);
	memmove(&b->e[i], &b->e[i + 1], (b->n - i - 1) * sizeof *b->e);
	b->n--;
	sodium_memzero(&b->e[b->n], sizeof *b->e);
	return pl_cbook_save(b, err, errsz);
}

const struct pl_cbook_entry *pl_cbook_get(const struct pl_cbook *b, const char *name)
{
	return find(b, name);
}

const struct pl_cbook_entry *pl_cbook_by_key(const struct pl_cbook *b, const uint8_t key[PL_DEVICE_KEY_LEN])
{
	for (size_t i = 0; i < b->n; i++)
		if (b->e[i].has_key && !memcmp(b->e[i].key, key, PL_DEVICE_KEY_LEN))
			return &b->e[i];
	return NULL;
}

size_t pl_cbook_count(const struct pl_cbook *b)
{
	return b->n;
}

const struct pl_cbook_entry *pl_cbook_at(const struct pl_cbook *b, size_t i)
{
	return i < b->n ? &b->e[i] : NULL;
}

int pl_cbook_check_key(const struct pl_cbook *b, const char *name, const uint8_t key[PL_DEVICE_KEY_LEN])
{
	const struct pl_cbook_entry *e = find(b, name);
	if (!e || !e->has_key || !e->verified)
		return 0;
	return memcmp(e->key, key, PL_DEVICE_KEY_LEN) == 0 ? 1 : -1;
}

static void chomp(char *s)
{
	s[strcspn(s, "\r\n")] = '\0';
}

int pl_cbook_passphrase(char *out, size_t sz, const char *file, char *err, size_t errsz)
{
	if (file && *file) {
		FILE *f = fopen(file, "r");
		if (!f) {
			snprintf(err, errsz, "Cannot read the passphrase file %s (%s).", file, strerror(errno));
			return -errno;
		}
		bool got = fgets(out, (int)sz, f) != NULL;
		fclose(f);
		chomp(out);
		if (!got || !*out) {
			snprintf(err, errsz, "The passphrase file %s is empty; put the passphrase on its first line.", file);
			return -EINVAL;
		}
		return 0;
	}
	const char *env = getenv("PARLEY_PASSPHRASE");
	if (env && *env) {
		if (strlen(env) >= sz) {
			snprintf(err, errsz, "PARLEY_PASSPHRASE is too long (at most %zu bytes).", sz - 1);
			return -EINVAL;
		}
		snprintf(out, sz, "%s", env);
		return 0;
	}
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errsz, "The contacts book needs a passphrase, and there is no terminal to ask on: give "
			 "--passphrase-file FILE or set PARLEY_PASSPHRASE.");
		return -ENOTTY;
	}
	struct termios old, quiet;
	bool tty = tcgetattr(fd, &old) == 0;
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	static const char prompt[] = "Passphrase of the contacts book: ";
	ssize_t w = write(fd, prompt, sizeof prompt - 1);
	(void)w;
	ssize_t n = 0;
	size_t len = 0;
	char c;
	while (len + 1 < sz && (n = read(fd, &c, 1)) == 1 && c != '\n')
		out[len++] = c;
	out[len] = '\0';
	if (tty)
		tcsetattr(fd, TCSAFLUSH, &old);
	close(fd);
	chomp(out);
	if (!*out) {
		snprintf(err, errsz, "No passphrase was given; the contacts book stays closed.");
		return -EINVAL;
	}
	return 0;
}
