/*
 * fuzz_vframe: the unsealed VOICE payload (core/vframe.h) on arbitrary bytes: pl_vframe_kind,
 * pl_vframe_audio_decode and pl_vframe_report_decode on every input. Each says 0 (or the kind) or
 * -EBADMSG and they agree on the kind; whatever decodes points into the input and encodes back to
 * the same bytes. A decoded AUDIO frame with copies is also encoded into too small a buffer, which
 * must leave out the oldest copies and nothing else.
 */
#include <errno.h>
#include <string.h>

#include "core/vframe.h"
#include "fuzz.h"

/* [p, p + n) lies within [data, data + size). */
static int within(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	return p >= data && p <= data + size && n <= (size_t)(data + size - p);
}

static void check_audio(const uint8_t *data, size_t size)
{
	static uint8_t enc[PL_VFRAME_MAX];
	struct pl_vframe_audio a;

	int rc = pl_vframe_audio_decode(&a, data, size);
	fuzz_sink = (uintptr_t)rc;
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	if (rc != 0)
		return;
	FUZZ_CHECK(size >= PL_VFRAME_HDR && size <= PL_VFRAME_MAX && data[0] == PL_VFRAME_AUDIO);
	FUZZ_CHECK(pl_vframe_kind(data, size) == PL_VFRAME_AUDIO);
	FUZZ_CHECK(a.nred <= PL_VFRAME_RED_MAX && a.nred == (data[1] & 3u));
	FUZZ_CHECK((a.flags & ~(PL_VFRAME_SILENT | PL_VFRAME_END)) == 0);
	FUZZ_CHECK(a.len <= PL_VFRAME_MAX_MEDIA);
	FUZZ_CHECK(within(a.data, a.len, data, size));
	/* The copies follow the entries in order, and the primary is the rest. */
	const uint8_t *next = data + PL_VFRAME_HDR + a.nred * PL_VFRAME_RED_ENTRY;
	size_t need = PL_VFRAME_HDR + a.len;
	for (unsigned i = 0; i < a.nred; i++) {
		FUZZ_CHECK(a.red[i].seq_back != 0);
		FUZZ_CHECK(a.red[i].len >= 1 && a.red[i].len <= PL_VFRAME_MAX_MEDIA);
		FUZZ_CHECK(within(a.red[i].data, a.red[i].len, data, size));
		FUZZ_CHECK(a.red[i].data == next);
		next += a.red[i].len;
		need += PL_VFRAME_RED_ENTRY + a.red[i].len;
	}
	FUZZ_CHECK(a.data == next && a.data + a.len == data + size);
	FUZZ_CHECK(need == size);

	/* Every copy fits (the input is at most PL_VFRAME_MAX): the same bytes again. */
	int n = pl_vframe_audio_encode(enc, sizeof enc, &a);
	FUZZ_CHECK(n >= 0 && (size_t)n == size);
	FUZZ_CHECK(memcmp(enc, data, size) == 0);

	if (a.nred == 0)
		return;
	/* One byte short: the oldest copy goes (the primary and the newer copies stay, byte for
	 * byte), or the next one too if that is not enough. */
	n = pl_vframe_audio_encode(enc, size - 1, &a);
	FUZZ_CHECK(n >= 0 && (size_t)n < size);
	struct pl_vframe_audio b;
	FUZZ_CHECK(pl_vframe_audio_decode(&b, enc, (size_t)n) == 0);
	FUZZ_CHECK(b.nred < a.nred && b.flags == a.flags);
	unsigned dropped = a.nred - b.nred;
	size_t expect = size;
	for (unsigned i = 0; i < a.nred; i++) {
		if (i < dropped) {
			expect -= PL_VFRAME_RED_ENTRY + a.red[i].len;
			continue;
		}
		const struct pl_vframe_red *o = &a.red[i], *c = &b.red[i - dropped];
		FUZZ_CHECK(c->seq_back == o->seq_back && c->ts_back == o->ts_back && c->len == o->len);
		FUZZ_CHECK(memcmp(c->data, o->data, o->len) == 0);
	}
	FUZZ_CHECK((size_t)n == expect && expect <= size - 1);
	/* No more were left out than needed: keeping the newest dropped copy would not fit. */
	FUZZ_CHECK(expect + PL_VFRAME_RED_ENTRY + a.red[dropped - 1].len > size - 1);
	FUZZ_CHECK(b.len == a.len && memcmp(b.data, a.data, a.len) == 0);

	/* Room for only the primary: every copy goes. */
	n = pl_vframe_audio_encode(enc, PL_VFRAME_HDR + a.len, &a);
	FUZZ_CHECK(n >= 0 && (size_t)n == PL_VFRAME_HDR + a.len);
	FUZZ_CHECK(enc[0] == PL_VFRAME_AUDIO && enc[1] == a.flags);
	FUZZ_CHECK(memcmp(enc + PL_VFRAME_HDR, a.data, a.len) == 0);
	/* Not even that: refused. */
	if (a.len > 0)
		FUZZ_CHECK(pl_vframe_audio_encode(enc, PL_VFRAME_HDR + a.len - 1, &a) == -EMSGSIZE);
}

static void check_report(const uint8_t *data, size_t size)
{
	uint8_t enc[PL_VFRAME_REPORT_LEN];
	struct pl_vframe_report r;

	int rc = pl_vframe_report_decode(&r, data, size);
	fuzz_sink = (uintptr_t)rc ^ (uintptr_t)r.about;
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	if (rc != 0)
		return;
	FUZZ_CHECK(size == PL_VFRAME_REPORT_LEN && data[0] == PL_VFRAME_REPORT);
	FUZZ_CHECK(pl_vframe_kind(data, size) == PL_VFRAME_REPORT);
	FUZZ_CHECK(r.loss_e4 <= 10000);
	int n = pl_vframe_report_encode(enc, sizeof enc, &r);
	FUZZ_CHECK(n == PL_VFRAME_REPORT_LEN);
	FUZZ_CHECK(memcmp(enc, data, PL_VFRAME_REPORT_LEN) == 0);
	FUZZ_CHECK(pl_vframe_report_encode(enc, sizeof enc - 1, &r) == -EMSGSIZE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int kind = pl_vframe_kind(data, size);
	fuzz_sink = (uintptr_t)kind;
	FUZZ_CHECK(kind == -EBADMSG || kind == PL_VFRAME_AUDIO || kind == PL_VFRAME_REPORT);
	FUZZ_CHECK(kind == -EBADMSG || (size > 0 && kind == data[0]));
	FUZZ_CHECK(kind != -EBADMSG || size == 0 ||
		   (data[0] != PL_VFRAME_AUDIO && data[0] != PL_VFRAME_REPORT));
	/* Both decoders see every input, whatever its kind: each must refuse the other's. */
	check_audio(data, size);
	check_report(data, size);
	return 0;
}
