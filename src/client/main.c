/* parley: the terminal client. Parses the command line into pl_client_opts and runs the client. */
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/client.h"
#include "client/clientcfg.h"
#include "client/confdir.h"
#include "client/direct.h"
#include "client/identity.h"
#include "client/known_hosts.h"
#include "client/stunc.h"
#include "core/env.h"
#include "core/rdv.h"
#include "client/vstats.h"

static const char usage[] =
	"Usage: parley [options] [HOST[:PORT] | NAME]\n"
	"parley's terminal client. Connects to parleyd over TLS: HOST[:PORT], else the config file's server,\n"
	"else localhost:7787. NAME picks the config file's section [NAME]: its server, nick, rooms and so on.\n"
	"\n"
	"  --config FILE          the config file (default ~/.config/parley/config): key = value lines for\n"
	"                         server, nick, rooms, identity, known_hosts, device_name, input, output,\n"
	"                         voice_mode, frame_ms, colors and processing; the command line wins over it\n"
	"  --rooms #A,#B          rooms to join after logging in\n"
	"  --colors on|off        colours in the terminal UI (default on)\n"
	"  --json                 JSON lines on stdin/stdout (for scripts and bots)\n"
	"  --plain                the plain line mode even on a terminal (the terminal UI is the default there)\n"
	"  --nick NICK            log in as NICK right after connecting: by this device's key once it is\n"
	"                         registered, else with the password from the PARLEY_PASSWORD environment\n"
	"                         variable (which also registers the device)\n"
	"  --register             with --nick: create the account first\n"
	"  --realname NAME        with --register: your real name\n"
	"  --voice-in FILE.wav    talk: send this 48 kHz mono WAV once logged in\n"
	"  --voice-out FILE.wav   write what you hear to this WAV file\n"
	"  --jitter FRAMES        a fixed jitter buffer of FRAMES 20 ms frames (default: adaptive)\n"
	"  --frame-ms 10|20       milliseconds of sound per voice packet (default 20; 10 lowers the delay\n"
	"                         by 10 ms and doubles the packets)\n"
	"  --input DEVICE         the microphone: a sound server source (see /devices), or \"default\";\n"
	"                         without --input and --output no sound device is used (WAV files only)\n"
	"  --output DEVICE        the speaker: a sound server sink, or \"default\"\n"
	"  --voice-mode MODE      when your microphone is sent: vad (when you speak, the default),\n"
	"                         continuous, or ptt (push-to-talk: /ptt toggles it)\n"
	"  --no-processing        no echo cancellation, noise suppression or automatic gain\n"
	"  --voice-stats FILE     append a JSON line of voice statistics to FILE every second\n"
	"  --log-dir DIR          keep a log of every window in DIR (#room.log, nick.log, status.log)\n"
	"  --echo-sim DELAY:TAIL:GAIN  a test aid with no sound device: what is played comes back into the\n"
	"                         microphone DELAY ms later, spread over TAIL ms, GAIN dB (e.g. 40:150:-6),\n"
	"                         for testing the echo canceller (WAV files talked with are mixed in)\n"
	"  --plc-only             no in-band FEC or redundant copies, sent or used: plain Opus loss\n"
	"                         concealment (the reference that benchmarks and tests compare with)\n"
	"  --relay-only           calls stay on the server's relay: no direct path, so the peer never\n"
	"                         learns this machine's addresses\n"
	"  --udp-via HOST:PORT    send voice to HOST:PORT instead of the server's voice port (a test\n"
	"                         aid: an impairment proxy such as tests/tools/impair in between)\n"
	"  --known-hosts FILE     pinned server certificates (default ~/.config/parley/known_hosts)\n"
	"  --identity FILE        this device's identity, made on first use (default ~/.config/parley/identity)\n"
	"  --no-identity          log in with passwords only, registering no device key\n"
	"  --device-name NAME     how your device list names this device (default: the host name)\n"
	"  --rendezvous [CODE]    meet someone without an account: with no CODE, ask the server for a room\n"
	"                         code (like 7-castle-river) to tell the other person; with CODE, join\n"
	"                         theirs. The code is also checked end to end (SPAKE2), so the server cannot\n"
	"                         take part; then the other person's device key is verified\n"
	"  --stun HOST[:PORT]     ask a STUN server (parleyd's voice port, or any; default port 3478) for\n"
	"                         this machine's public address, print 'mapped ADDRESS:PORT' (and its\n"
	"                         own as 'local ADDRESS:PORT') and exit\n"
	"  --direct               direct mode: no server; listen on a UDP port and call HOST:PORT or a contact\n"
	"                         (/call, /answer, /deny, /hangup, /status, /verify, /contact, /contacts)\n"
	"  --port P               with --direct: the UDP port to listen on (default: any free one, printed)\n"
	"  --bind ADDRESS         with --direct: the local address to listen on (default: every interface)\n"
	"  --passphrase-file F    with --direct: the contacts book's passphrase (else PARLEY_PASSPHRASE, else\n"
	"                         asked on the terminal)\n"
	"  --contacts FILE        with --direct: the contacts book (default ~/.config/parley/contacts.book)\n"
	"  --help, --version\n"
	"\n"
	"In the line mode type /help for commands; plain text goes to the current room.\n";

static int setstr(char *dst, size_t sz, const char *v, const char *opt)
{
	if (strlen(v) >= sz) {
		fprintf(stderr, "parley: the value of %s is too long (at most %zu bytes).\n", opt, sz - 1);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

int main(int argc, char **argv)
{
	static struct pl_client_opts o;
	snprintf(o.server, sizeof o.server, "localhost:7787");
	o.voice_mode = PL_VOICE_VAD;
	pl_known_hosts_default(o.known_hosts, sizeof o.known_hosts);
	pl_identity_default(o.identity, sizeof o.identity);
	gethostname(o.device_name, sizeof o.device_name - 1);

	enum { O_JSON = 256, O_PLAIN, O_NICK, O_REG, O_REAL, O_VIN, O_VOUT, O_JIT, O_KH, O_HELP, O_VERS, O_ID, O_NOID,
	       O_DEV, O_STUN, O_IN, O_OUT, O_MODE, O_NOPROC, O_VSTATS, O_LOGDIR, O_UDPVIA, O_RELAYONLY, O_PLC, O_ECHO, O_CONFIG,
	       O_ROOMS, O_COLORS, O_FRAME, O_DIRECT, O_PORT, O_BIND, O_PASSFILE, O_CONTACTS, O_RDV };
	static const struct option opts[] = {
		{"json", no_argument, 0, O_JSON}, {"plain", no_argument, 0, O_PLAIN}, {"nick", required_argument, 0, O_NICK},
		{"register", no_argument, 0, O_REG}, {"realname", required_argument, 0, O_REAL},
		{"voice-in", required_argument, 0, O_VIN}, {"voice-out", required_argument, 0, O_VOUT},
		{"jitter", required_argument, 0, O_JIT}, {"known-hosts", required_argument, 0, O_KH},
		{"frame-ms", required_argument, 0, O_FRAME},
		{"identity", required_argument, 0, O_ID}, {"no-identity", no_argument, 0, O_NOID},
		{"device-name", required_argument, 0, O_DEV}, {"stun", required_argument, 0, O_STUN},
		{"input", required_argument, 0, O_IN}, {"output", required_argument, 0, O_OUT},
		{"voice-mode", required_argument, 0, O_MODE}, {"no-processing", no_argument, 0, O_NOPROC},
		{"voice-stats", required_argument, 0, O_VSTATS}, {"log-dir", required_argument, 0, O_LOGDIR},
		{"udp-via", required_argument, 0, O_UDPVIA},
		{"relay-only", no_argument, 0, O_RELAYONLY},
		{"plc-only", no_argument, 0, O_PLC}, {"echo-sim", required_argument, 0, O_ECHO},
		{"config", required_argument, 0, O_CONFIG},
		{"rooms", required_argument, 0, O_ROOMS}, {"colors", required_argument, 0, O_COLORS},
		{"direct", no_argument, 0, O_DIRECT}, {"port", required_argument, 0, O_PORT},
		{"bind", required_argument, 0, O_BIND}, {"passphrase-file", required_argument, 0, O_PASSFILE},
		{"contacts", required_argument, 0, O_CONTACTS},
		{"rendezvous", no_argument, 0, O_RDV},
		{"help", no_argument, 0, O_HELP}, {"version", no_argument, 0, O_VERS}, {0, 0, 0, 0},
	};
	int c;
	bool plain = false;
	const char *stun = NULL;
	/* The config file first (--config's, else the default one if it exists), then the command
	 * line over it. */
	const char *config = NULL;
	opterr = 0;
	bool no_config = false; /* --help, --version and --stun work whatever the file says */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == O_CONFIG)
			config = optarg;
		no_config |= c == O_HELP || c == O_VERS || c == O_STUN;
	}
	char cfg_default[4096], err[8192];
	pl_confdir_path(cfg_default, sizeof cfg_default, "config");
	/* A server argument that names a section of the file ([work]) picks that section. */
	const char *arg = optind < argc ? argv[optind] : NULL;
	bool profile = false;
	if (!no_config && pl_clientcfg_load(&o, config ? config : cfg_default, config != NULL, arg, &profile, err,
					    sizeof err) < 0) {
		fprintf(stderr, "parley: %s\n", err);
		return 2;
	}
	optind = 0; /* GNU getopt: start again from the first argument */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int bad = 0;
		switch (c) {
		case O_CONFIG: break;
		case O_ROOMS: {
			char line[1200];
			struct pl_client_opts tmp = {0};
			snprintf(line, sizeof line, "rooms = %s\n", optarg);
			if (strlen(optarg) > 1000 || pl_clientcfg_parse(&tmp, "--rooms", line, NULL, NULL, err, sizeof err) < 0) {
				fprintf(stderr, "parley: --rooms: %s\n", strlen(optarg) > 1000 ? "too many rooms." :
					strchr(err, ':') + 2);
				return 2;
			}
			memcpy(o.rooms, tmp.rooms, sizeof o.rooms);
			o.nrooms = tmp.nrooms;
			break;
		}
		case O_COLORS:
			if (pl_clientcfg_bool(optarg) < 0) {
				fprintf(stderr, "parley: --colors is on or off, not '%s'.\n", optarg);
				return 2;
			}
			o.no_colors = !pl_clientcfg_bool(optarg);
			break;
		case O_JSON: o.json = true; break;
		case O_RDV: o.rendezvous = true; break;
		case O_DIRECT: o.direct = true; break;
		case O_PORT: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 0 || v > 65535) {
				fprintf(stderr, "parley: --port needs a UDP port number from 0 to 65535.\n");
				return 2;
			}
			o.direct_port = (uint16_t)v;
			break;
		}
		case O_BIND: bad = setstr(o.direct_bind, sizeof o.direct_bind, optarg, "--bind"); break;
		case O_PASSFILE: bad = setstr(o.passphrase_file, sizeof o.passphrase_file, optarg, "--passphrase-file"); break;
		case O_CONTACTS: bad = setstr(o.contacts, sizeof o.contacts, optarg, "--contacts"); break;
		case O_PLAIN: plain = true; break;
		case O_NICK: bad = setstr(o.nick, sizeof o.nick, optarg, "--nick"); break;
		case O_REG: o.do_register = true; break;
		case O_REAL: bad = setstr(o.realname, sizeof o.realname, optarg, "--realname"); break;
		case O_VIN: bad = setstr(o.voice_in, sizeof o.voice_in, optarg, "--voice-in"); break;
		case O_VOUT: bad = setstr(o.voice_out, sizeof o.voice_out, optarg, "--voice-out"); break;
		case O_KH: bad = setstr(o.known_hosts, sizeof o.known_hosts, optarg, "--known-hosts"); break;
		case O_ID: bad = setstr(o.identity, sizeof o.identity, optarg, "--identity"); break;
		case O_NOID: o.identity[0] = '\0'; break;
		case O_IN: bad = setstr(o.input, sizeof o.input, optarg, "--input"); break;
		case O_OUT: bad = setstr(o.output, sizeof o.output, optarg, "--output"); break;
		case O_NOPROC: o.no_processing = true; break;
		case O_VSTATS: bad = setstr(o.voice_stats, sizeof o.voice_stats, optarg, "--voice-stats"); break;
		case O_LOGDIR: bad = setstr(o.log_dir, sizeof o.log_dir, optarg, "--log-dir"); break;
		case O_PLC: o.plc_only = true; break;
		case O_RELAYONLY: o.relay_only = true; break;
		case O_ECHO: {
			unsigned d, tail;
			double g;
			char end;
			if (sscanf(optarg, "%u:%u:%lf%c", &d, &tail, &g, &end) != 3 || d > 500 || tail > 1000 || g > 0 ||
			    g < -60) {
				fprintf(stderr, "parley: --echo-sim is DELAY_MS:TAIL_MS:GAIN_DB, e.g. 40:150:-6 (delay up to "
						"500 ms, tail up to 1000 ms, gain from -60 to 0 dB).\n");
				return 2;
			}
			o.echo = (struct pl_echo_sim){.on = true, .delay_ms = d, .tail_ms = tail, .gain_db = g, .seed = 1};
			break;
		}
		case O_UDPVIA: bad = setstr(o.udp_via, sizeof o.udp_via, optarg, "--udp-via"); break;
		case O_MODE:
			if (!strcmp(optarg, "vad")) {
				o.voice_mode = PL_VOICE_VAD;
			} else if (!strcmp(optarg, "continuous")) {
				o.voice_mode = PL_VOICE_CONTINUOUS;
			} else if (!strcmp(optarg, "ptt")) {
				o.voice_mode = PL_VOICE_PTT;
			} else {
				fprintf(stderr, "parley: --voice-mode is vad, continuous or ptt.\n");
				return 2;
			}
			break;
		case O_DEV: bad = setstr(o.device_name, sizeof o.device_name, optarg, "--device-name"); break;
		case O_STUN: stun = optarg; break;
		case O_JIT: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 31) {
				fprintf(stderr, "parley: --jitter needs a number of frames from 1 to 31.\n");
				return 2;
			}
			o.jitter_frames = (unsigned)v;
			break;
		}
		case O_FRAME:
			if (strcmp(optarg, "10") && strcmp(optarg, "20")) {
				fprintf(stderr, "parley: --frame-ms is 10 or 20 (milliseconds of sound per voice packet).\n");
				return 2;
			}
			o.frame_ms = (unsigned)atoi(optarg);
			break;
		case O_HELP: fputs(usage, stdout); return 0;
		case O_VERS: printf("parley 0.1.0 (protocol %d)\n", PL_PROTO_VERSION); return 0;
		default:
			fprintf(stderr, "parley: unknown option '%s'; run parley --help for the list.\n", argv[optind - 1]);
			return 2;
		}
		if (bad)
			return 2;
	}
	if (stun) {
		if (optind < argc) {
			fprintf(stderr, "parley: --stun asks a STUN server and exits; leave out '%s'.\n", argv[optind]);
			return 2;
		}
		if (sodium_init() < 0) {
			fprintf(stderr, "parley: libsodium failed to initialise.\n");
			return 1;
		}
		return pl_stunc_run(stun, pl_env_system(), stdout, stderr);
	}
	/* The terminal UI on a terminal (server and direct mode alike), else the line mode. */
	o.tui = !o.json && !plain && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && getenv("TERM") &&
		strcmp(getenv("TERM"), "dumb") != 0;
	if (o.direct && o.rendezvous) {
		fprintf(stderr, "parley: --rendezvous meets through a server and then calls directly by itself; leave "
				"out --direct.\n");
		return 2;
	}
	if (o.direct) {
		if (optind < argc) {
			fprintf(stderr, "parley: --direct uses no server; leave out '%s' (call it with /call HOST:PORT).\n",
				argv[optind]);
			return 2;
		}
		if (sodium_init() < 0) {
			fprintf(stderr, "parley: libsodium failed to initialise.\n");
			return 1;
		}
		signal(SIGPIPE, SIG_IGN);
		umask(077);
		return pl_direct_run(&o);
	}
	/* --rendezvous CODE [SERVER]: the first argument is the code when it reads as one. */
	if (o.rendezvous && optind < argc) {
		char canon[PL_RDV_CODE_MAX + 1];
		if (pl_rdv_code_parse(argv[optind], canon, sizeof canon) == 0 || optind + 1 < argc) {
			if (setstr(o.rdv_code, sizeof o.rdv_code, argv[optind], "the room code"))
				return 2;
			optind++;
		}
	}
	if (optind < argc && profile)
		optind++; /* a section's name, not a host: its server came from the file */
	else if (optind < argc && setstr(o.server, sizeof o.server, argv[optind++], "the server"))
		return 2;
	if (optind < argc) {
		fprintf(stderr, "parley: unexpected argument '%s'; run parley --help.\n", argv[optind]);
		return 2;
	}
	if (o.rendezvous && o.nick[0]) {
		fprintf(stderr, "parley: --rendezvous needs no account; leave out --nick (or the config file's "
				"nick).\n");
		return 2;
	}
	if (o.nick[0]) {
		const char *pw = getenv("PARLEY_PASSWORD");
		if ((!pw || !*pw) && (o.do_register || !o.identity[0])) {
			fprintf(stderr, "parley: logging in as %s at start (--nick, or nick in the config file)%s needs the "
					"password in the PARLEY_PASSWORD environment variable (or leave the nickname out "
					"and type /%s NICK PASSWORD).\n", o.nick,
				o.do_register ? " with --register" : " without a device identity",
				o.do_register ? "register" : "login");
			return 2;
		}
		if (pw && setstr(o.password, sizeof o.password, pw, "PARLEY_PASSWORD"))
			return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "parley: libsodium failed to initialise.\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	umask(077); /* the identity, pinned certificates and recordings are the user's alone */
	struct pl_rdv_result met = {0};
	if (o.rendezvous)
		o.rdv_out = &met;
	int rc = pl_client_run(&o);
	if (o.rendezvous && met.ok && rc == 0) {
		/* The call over the punched path: direct mode on the rendezvous's UDP port (client/direct.h),
		 * the NAT binding made for it still there. */
		o.rdv_out = NULL;
		o.rdv_met = &met;
		o.direct = true;
		o.direct_port = met.local_port;
		rc = pl_direct_run(&o);
	}
	sodium_memzero(o.password, sizeof o.password);
	return rc;
}
