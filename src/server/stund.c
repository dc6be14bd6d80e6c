#include "server/stund.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/ratelimit.h"
#include "net/addr.h"

struct pl_stund {
	struct pl_stund_opts o;
	struct pl_limiter *sources;
	struct pl_bucket global;
	struct pl_stund_counters n;
};

static const char *const refusal_labels[PL_STUND_REFUSAL_N] = {
	"malformed", "not_request", "unknown_attribute", "elsewhere", "source_rate", "global_rate",
};

static bool opts_ok(const struct pl_stund_opts *o)
{
	return o->rate > 0 && o->burst >= 1 && o->global_rate > 0 && o->global_burst >= 1;
}

int pl_stund_alloc(struct pl_stund **sp, unsigned slots, const struct pl_stund_opts *o, const struct pl_env *env)
{
	if (!opts_ok(o))
		return -EINVAL;
	struct pl_stund *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	uint8_t key[PL_LIMITER_HASH_KEY];
	pl_env_random(env, key, sizeof key);
	s->o = *o;
	if (pl_limiter_alloc(&s->sources, slots, o->rate, o->burst, key) < 0) {
		free(s);
		return -ENOMEM;
	}
	memset(key, 0, sizeof key);
	*sp = s;
	return 0;
}

void pl_stund_free(struct pl_stund *s)
{
	if (!s)
		return;
	pl_limiter_free(s->sources);
	free(s);
}

void pl_stund_set_rates(struct pl_stund *s, const struct pl_stund_opts *o)
{
	if (!opts_ok(o))
		return;
	s->o = *o;
	pl_limiter_set(s->sources, o->rate, o->burst);
}

void pl_stund_counters(const struct pl_stund *s, struct pl_stund_counters *out)
{
	*out = s->n;
}

const char *pl_stund_refusal_label(unsigned k)
{
	return k < PL_STUND_REFUSAL_N ? refusal_labels[k] : "unknown";
}

/* The source as a STUN address; an IPv4-mapped IPv6 address is the IPv4 address it maps. */
static void source_addr(struct pl_stun_addr *a, const struct sockaddr *from)
{
	memset(a, 0, sizeof *a);
	a->port = pl_addr_port(from);
	if (from->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)from;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			a->family = 4;
			memcpy(a->ip, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			a->family = 6;
			memcpy(a->ip, s6->sin6_addr.s6_addr, 16);
		}
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)from;
		a->family = 4;
		memcpy(a->ip, &s4->sin_addr, 4);
	}
}

static size_t refuse(struct pl_stund *s, enum pl_stund_refusal why)
{
	s->n.refused[why]++;
	return 0;
}

size_t pl_stund_answer(struct pl_stund *s, uint64_t now_ms, const uint8_t *req, size_t len,
		       const struct sockaddr *from, uint8_t *out, size_t cap)
{
	enum pl_dgram_kind kind = pl_stun_classify(req, len);
	struct pl_stun_msg m;
	if ((kind != PL_DGRAM_STUN && kind != PL_DGRAM_STUN_CLASSIC) || pl_stun_decode(&m, req, len) != 0)
		return refuse(s, PL_STUND_MALFORMED);
	if (m.method != PL_STUN_BINDING || m.cls != PL_STUN_REQUEST)
		return refuse(s, PL_STUND_NOT_REQUEST);
	if (m.nunknown)
		return refuse(s, PL_STUND_UNKNOWN);
	/* We have one address and port: a change of either cannot be honoured, and answering from
	 * the same one would tell the client something false about its NAT. */
	if (m.asks_elsewhere || (m.has_change && (m.change_flags & 0x6u)))
		return refuse(s, PL_STUND_ELSEWHERE);

	/* The source's bucket first, so one source over its budget costs the others nothing. */
	char key[64];
	pl_addr_limit_key(from, key, sizeof key);
	if (!pl_limiter_take(s->sources, key, now_ms))
		return refuse(s, PL_STUND_SOURCE_RATE);
	if (!pl_bucket_take(&s->global, now_ms, s->o.global_rate, s->o.global_burst))
		return refuse(s, PL_STUND_GLOBAL_RATE);

	struct pl_stun_addr a;
	source_addr(&a, from);
	struct pl_stun_wr w;
	uint16_t type = pl_stun_type(PL_STUN_BINDING, PL_STUN_SUCCESS);
	if (m.classic) {
		/* RFC 3489: MAPPED-ADDRESS, the request's 128-bit tid echoed, nothing else. */
		pl_stun_wr_start_classic(&w, out, cap, type, m.tid);
		pl_stun_wr_addr(&w, PL_STUN_A_MAPPED_ADDRESS, &a);
	} else {
		pl_stun_wr_start(&w, out, cap, type, m.tid);
		pl_stun_wr_addr(&w, PL_STUN_A_XOR_MAPPED_ADDRESS, &a);
		if (m.has_fingerprint)
			pl_stun_wr_fingerprint(&w);
	}
	int n = pl_stun_wr_finish(&w);
	/* The size rule, checked rather than trusted: the request's 20-byte header (and its
	 * FINGERPRINT, when ours has one) pays for ours; only the address attribute is extra. */
	size_t extra = a.family == 6 ? PL_STUN_ADDR_ATTR_V6 : PL_STUN_ADDR_ATTR_V4;
	if (n <= 0 || (size_t)n > len + extra)
		return refuse(s, PL_STUND_MALFORMED);
	s->n.answered++;
	return (size_t)n;
}
