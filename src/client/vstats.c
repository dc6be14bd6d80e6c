/*
 * vstats: the /stats readout, the voice engine's snapshot as sentences for a person: where the
 * delay goes, what arrives and what is made of what does not, what is sent and how, and what the
 * engine costs. Pure: the snapshot in, lines out.
 */
#include "client/vstats.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* A part of the delay: "capture 20.1", or "capture ?" while it is not known. */
static void part(char *out, size_t cap, const char *name, double ms)
{
	if (ms < 0)
		snprintf(out, cap, "%s ?", name);
	else
		snprintf(out, cap, "%s %.1f", name, ms);
}

static void line(char out[][PL_VSTATS_LINE], int *n, const char *fmt, ...)
{
	if (*n >= PL_VSTATS_LINES)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out[*n], PL_VSTATS_LINE, fmt, ap);
	va_end(ap);
	(*n)++;
}

int pl_vstats_lines(const struct pl_voice_stats *st, char out[][PL_VSTATS_LINE])
{
	int n = 0;
	char cap[32], enc[32], net[32], jb[32], play[32];
	part(cap, sizeof cap, "capture", st->lat_capture);
	part(enc, sizeof enc, "encode", st->lat_encode);
	part(net, sizeof net, "network", st->lat_network);
	part(jb, sizeof jb, "jitter buffer", st->lat_jitter);
	part(play, sizeof play, "playout", st->lat_playout);
	bool partial = st->lat_capture < 0 || st->lat_encode < 0 || st->lat_network < 0 || st->lat_jitter < 0 ||
		       st->lat_playout < 0;
	/* lat_total is the sum of the parts known (client/vengine.c): "at least" while one is not. */
	line(out, &n, "Delay, mouth to ear: %s%.1f ms = %s + %s + %s (one way) + %s + %s%s", partial ? "at least " : "",
	     st->lat_total, cap, enc, net, jb, play,
	     partial ? " (? is not measured yet: the network's share needs the far end's reports)." : ".");
	line(out, &n,
	     "Receiving: %llu packets, %llu frames played; %llu lost (%llu rebuilt by FEC, %llu by redundancy), "
	     "%llu concealed, %llu late, %llu duplicates; loss %.1f%%, jitter %.1f ms, buffer target %.1f ms.",
	     (unsigned long long)st->received, (unsigned long long)st->played, (unsigned long long)st->lost,
	     (unsigned long long)st->concealed_fec, (unsigned long long)st->red_recovered,
	     (unsigned long long)st->concealed, (unsigned long long)st->late, (unsigned long long)st->dup, st->rx_loss,
	     st->jitter_ms, st->jb_target_ms);
	char red[40];
	if (st->redundancy)
		snprintf(red, sizeof red, "%u earlier frame%s in each packet", st->redundancy,
			 st->redundancy == 1 ? "" : "s");
	else
		snprintf(red, sizeof red, "no redundancy");
	line(out, &n, "Sending: %llu packets at %.1f kbit/s (encoder %.1f), %s, FEC for %u%% loss; the far end "
		      "reports %.1f%% loss (%llu reports).",
	     (unsigned long long)st->sent, st->tx_kbps, st->bitrate / 1000.0, red, st->expected_loss, st->remote_loss,
	     (unsigned long long)st->reports_received);
	line(out, &n, "Time-scaling: %llu frames shortened, %llu stretched, %llu silent ones skipped. Dropped: %llu "
		      "tampered, %llu replayed, %llu other.",
	     (unsigned long long)st->shrunk, (unsigned long long)st->stretched, (unsigned long long)st->skipped_silent,
	     (unsigned long long)st->tampered, (unsigned long long)st->replayed, (unsigned long long)st->dropped);
	if (st->backend[0] && strcmp(st->backend, "none") != 0)
		line(out, &n, "Audio: %s, in %s, out %s; the audio thread takes %.1f%% of a core; level %.0f dBFS.",
		     st->backend, st->input[0] ? st->input : "none", st->output[0] ? st->output : "none", st->cpu_pct,
		     st->level_db);
	else
		line(out, &n, "Audio: no sound device; the audio thread takes %.1f%% of a core.", st->cpu_pct);
	return n;
}
