/*
 * The voice engine's peer path (client/voice.h: pl_voice_set_peer, the datagram hook,
 * pl_voice_sendto, pl_voice_local_port), with real engines and loopback sockets in one process:
 * A talks through a stand-in relay to B, then switches to B directly in the middle of a file, and
 * back; B hears every frame A sent, some by each path, none lost at the switches. Datagrams that
 * are not voice reach the hook; pl_voice_sendto leaves from the voice socket; an engine with no
 * server binds where it is told, and reaches an IPv6 peer through a second socket
 * (pl_voice_set_peer_via).
 */
#include <errno.h>
#include <event2/event.h>
#include <math.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdlib.h>
#include <unistd.h>

#include "client/voice.h"
#include "core/vpkt.h"
#include "media/wav.h"
#include "net/addr.h"
#include "test.h"

struct relay {
	int fd;
	struct sockaddr_in self, a, b; /* a, b: the engines' sockets */
	unsigned forwarded, binds;
};

struct world {
	struct event_base *base;
	struct relay r;
	struct pl_voice *a, *b;
	struct event *switch1, *switch2, *end;
	uint64_t sent_frames;
	bool done;
	unsigned hooked;
	uint8_t hooked_first;
	struct sockaddr_storage hooked_from;
};

static struct sockaddr_in loop4(uint16_t port)
{
	struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(port)};
	s.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return s;
}

/* The stand-in relay: acknowledges every BIND at once (no CHALLENGE), forwards A's VOICE to B. */
static void on_relay(evutil_socket_t fd, short what, void *arg)
{
	struct world *w = arg;
	uint8_t buf[2048];
	struct sockaddr_in from;
	socklen_t fl = sizeof from;
	ssize_t n;
	while ((n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl)) > 0) {
		struct pl_vpkt p;
		if (pl_vpkt_decode(&p, buf, (size_t)n) != 0)
			continue;
		if (p.type == PL_VPKT_BIND) {
			uint8_t ack[64];
			int k = pl_vack_make(ack, sizeof ack, p.sender, pl_vpkt_counter(&p));
			w->r.binds++;
			if (k > 0)
				sendto(fd, ack, (size_t)k, 0, (struct sockaddr *)&from, fl);
		} else if (p.type == PL_VPKT_VOICE && from.sin_port == w->r.a.sin_port) {
			w->r.forwarded++;
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&w->r.b, sizeof w->r.b);
		}
		fl = sizeof from;
	}
}

static bool hook(void *arg, const uint8_t *buf, size_t len, const struct sockaddr *from, socklen_t fromlen)
{
	struct world *w = arg;
	w->hooked++;
	w->hooked_first = len ? buf[0] : 0;
	memcpy(&w->hooked_from, from, fromlen);
	return true;
}

static void on_switch1(evutil_socket_t fd, short what, void *arg)
{
	struct world *w = arg;
	CHECK_EQ(pl_voice_set_peer(w->a, (struct sockaddr *)&w->r.b, sizeof w->r.b, 0xB), 0);
}

static void on_switch2(evutil_socket_t fd, short what, void *arg)
{
	struct world *w = arg;
	CHECK_EQ(pl_voice_set_peer(w->a, NULL, 0, 0), 0); /* back to the relay */
}

static void on_end(evutil_socket_t fd, short what, void *arg)
{
	struct world *w = arg;
	event_base_loopexit(w->base, NULL);
}

static void on_sent(uint64_t frames, void *arg)
{
	struct world *w = arg;
	w->sent_frames = frames;
	w->done = true;
	pl_voice_set_mute(w->a, true); /* the stream stops, so the counts settle */
	struct timeval tv = {1, 0}; /* the last frames cross B's jitter buffer */
	evtimer_add(w->end, &tv);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	static struct world w;
	char err[512], wav[] = "/tmp/test_voice_peer.XXXXXX";
	int tfd = mkstemp(wav);
	if (tfd < 0)
		return 1;
	close(tfd);
	/* Three seconds of a tone: 150 frames of 20 ms. */
	struct pl_wav *wf;
	if (!CHECK_EQ(pl_wav_open_write(&wf, wav, err, sizeof err), 0))
		return test_done();
	static int16_t pcm[48000 * 3];
	for (size_t i = 0; i < sizeof pcm / sizeof pcm[0]; i++)
		pcm[i] = (int16_t)(8000 * sin(2 * M_PI * 440 * (double)i / 48000));
	pl_wav_write(wf, pcm, sizeof pcm / sizeof pcm[0]);
	pl_wav_close(wf);

	w.base = event_base_new();
	w.r.fd = socket(AF_INET, SOCK_DGRAM, 0);
	w.r.self = loop4(0);
	socklen_t sl = sizeof w.r.self;
	if (!CHECK(bind(w.r.fd, (struct sockaddr *)&w.r.self, sizeof w.r.self) == 0) ||
	    !CHECK(getsockname(w.r.fd, (struct sockaddr *)&w.r.self, &sl) == 0))
		return test_done();
	struct event *rev = event_new(w.base, w.r.fd, EV_READ | EV_PERSIST, on_relay, &w);
	event_add(rev, NULL);

	struct pl_voice_config vc;
	pl_voice_config_default(&vc);
	vc.mode = PL_VOICE_CONTINUOUS;
	vc.aec = vc.ns = vc.agc = false;
	vc.jitter_fixed_ms = 60;
	uint8_t key[PL_VOICE_KEY_LEN] = {0};
	struct pl_voice_events ev = {NULL, on_sent, NULL};
	test_case("engines");
	if (!CHECK_EQ(pl_voice_alloc(&w.a, w.base, pl_env_system(), (struct sockaddr *)&w.r.self, 0xA, key, &vc, &ev, &w,
				     err, sizeof err), 0) ||
	    !CHECK_EQ(pl_voice_alloc(&w.b, w.base, pl_env_system(), (struct sockaddr *)&w.r.self, 0xB, key, &vc, &ev, &w,
				     err, sizeof err), 0))
		return test_done();
	w.r.a = loop4(pl_voice_local_port(w.a));
	w.r.b = loop4(pl_voice_local_port(w.b));
	CHECK(pl_voice_local_port(w.a) != 0 && pl_voice_local_port(w.b) != 0);
	/* B takes A's voice from the relay and from A's own address alike. */
	CHECK_EQ(pl_voice_set_peer(w.b, (struct sockaddr *)&w.r.a, sizeof w.r.a, 0xA), 0);
	pl_voice_set_dgram_hook(w.b, hook, &w);

	test_case("hook and sendto");
	/* Not voice: to the hook, with its source, which pl_voice_sendto's socket is. */
	static const uint8_t stun_like[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
	CHECK_EQ(pl_voice_sendto(w.a, stun_like, sizeof stun_like, (struct sockaddr *)&w.r.b, sizeof w.r.b), 0);

	w.switch1 = evtimer_new(w.base, on_switch1, &w);
	w.switch2 = evtimer_new(w.base, on_switch2, &w);
	w.end = evtimer_new(w.base, on_end, &w);
	CHECK_EQ(pl_voice_send_file(w.a, wav, err, sizeof err), 0);
	struct timeval t1 = {1, 0}, t2 = {2, 0}, guard = {20, 0};
	evtimer_add(w.switch1, &t1);
	evtimer_add(w.switch2, &t2);
	event_base_once(w.base, -1, EV_TIMEOUT, on_end, &w, &guard);
	event_base_dispatch(w.base);

	test_case("switching");
	struct pl_voice_stats sa, sb;
	pl_voice_stats(w.a, &sa);
	pl_voice_stats(w.b, &sb);
	fprintf(stderr, "file frames %llu, A sent %llu, relay forwarded %u, B received %llu, B dropped %llu\n",
		(unsigned long long)w.sent_frames, (unsigned long long)sa.sent, w.r.forwarded,
		(unsigned long long)sb.received, (unsigned long long)sb.dropped);
	CHECK(w.done);
	CHECK(sa.sent >= 140);
	CHECK(w.r.binds >= 2);
	/* Both paths carried some of it: about a second each by the relay, one directly. */
	CHECK(w.r.forwarded >= 60 && w.r.forwarded + 30 <= sa.sent);
	/* Every frame A sent reached B, through one path or the other: none lost at a switch (B also
	 * gets the empty end-of-speech frame that muting sends, which A does not count as sent). */
	CHECK(sb.received >= sa.sent && sb.received <= sa.sent + 1);
	CHECK_EQ(sa.sent, w.sent_frames);
	CHECK_EQ(sb.lost, 0);
	CHECK_EQ(w.hooked, 1);
	CHECK_EQ(w.hooked_first, 0x00);
	CHECK_EQ(pl_addr_port((struct sockaddr *)&w.hooked_from), pl_voice_local_port(w.a));

	test_case("serverless");
	struct pl_voice *c = NULL;
	snprintf(vc.bind_addr, sizeof vc.bind_addr, "127.0.0.1");
	if (CHECK_EQ(pl_voice_alloc(&c, w.base, pl_env_system(), NULL, 0xC, NULL, &vc, &ev, &w, err, sizeof err), 0)) {
		CHECK(pl_voice_local_port(c) != 0);
		struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = htons(9)};
		v6.sin6_addr = in6addr_loopback;
		CHECK_EQ(pl_voice_set_peer(c, (struct sockaddr *)&v6, sizeof v6, 1), -EINVAL); /* an IPv4 socket */
		CHECK_EQ(pl_voice_sendto(c, "x", 1, (struct sockaddr *)&v6, sizeof v6), -EAFNOSUPPORT);

		/* An IPv6 peer beside the IPv4 voice socket, through a second socket of that family (a
		 * call's, client/callpath.c): what the engine sends goes out of it to the peer. */
		test_case("a peer of the other family, through a second socket");
		struct sockaddr_in6 peer = {.sin6_family = AF_INET6, .sin6_addr = in6addr_loopback}, mine = peer;
		socklen_t pl = sizeof peer, ml = sizeof mine;
		int s6 = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0), o6 = socket(AF_INET6, SOCK_DGRAM, 0);
		if (s6 >= 0 && o6 >= 0 && bind(s6, (struct sockaddr *)&peer, sizeof peer) == 0 &&
		    bind(o6, (struct sockaddr *)&mine, sizeof mine) == 0 &&
		    getsockname(s6, (struct sockaddr *)&peer, &pl) == 0 && getsockname(o6, (struct sockaddr *)&mine, &ml) == 0) {
			CHECK_EQ(pl_voice_set_peer_via(c, -1, (struct sockaddr *)&peer, sizeof peer, 1), -EINVAL);
			CHECK_EQ(pl_voice_set_peer_via(c, o6, (struct sockaddr *)&peer, sizeof peer - 1, 1), -EINVAL);
			CHECK_EQ(pl_voice_set_peer_via(c, o6, (struct sockaddr *)&peer, sizeof peer, 1), 0);
			CHECK_EQ(pl_voice_send_file(c, wav, err, sizeof err), 0);
			struct timeval half = {0, 500000};
			event_base_loopexit(w.base, &half);
			event_base_dispatch(w.base);
			uint8_t buf[2048];
			struct sockaddr_in6 from;
			socklen_t fl = sizeof from;
			unsigned got = 0, right = 0;
			ssize_t n;
			while ((n = recvfrom(s6, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl)) > 0) {
				struct pl_vpkt vp;
				got++;
				right += from.sin6_port == mine.sin6_port && pl_vpkt_decode(&vp, buf, (size_t)n) == 0 &&
					 vp.type == PL_VPKT_VOICE;
				fl = sizeof from;
			}
			fprintf(stderr, "through the IPv6 socket: %u datagrams, %u voice from it\n", got, right);
			CHECK(got >= 10 && right == got); /* half a second of 20 ms frames */
			CHECK_EQ(pl_voice_set_peer(c, NULL, 0, 0), 0);
		} else {
			fprintf(stderr, "no IPv6 loopback here: the second socket's case is not run\n");
		}
		if (s6 >= 0)
			close(s6);
		if (o6 >= 0)
			close(o6);
		pl_voice_free(c);
	}

	pl_voice_free(w.a);
	pl_voice_free(w.b);
	event_free(rev);
	event_free(w.switch1);
	event_free(w.switch2);
	event_free(w.end);
	close(w.r.fd);
	event_base_free(w.base);
	unlink(wav);
	return test_done();
}
