#include "core/rdv.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Short, common, unlike each other when said aloud; sorted, so a lookup is a binary search. */
static const char *const words[PL_RDV_WORDS] = {
	"acorn", "amber", "angle", "apple", "apron", "arrow", "atlas", "autumn", "badge", "baker", "bamboo",
	"banjo", "barn", "basket", "beach", "beacon", "bean", "bear", "beaver", "bell", "berry", "bicycle",
	"bird", "biscuit", "blanket", "blossom", "boat", "bottle", "bracket", "branch", "bread", "brick",
	"bridge", "broom", "bubble", "bucket", "buffalo", "bundle", "butter", "button", "cabin", "cactus",
	"camel", "candle", "canoe", "canyon", "carpet", "carrot", "castle", "cedar", "cellar", "chalk",
	"cherry", "chess", "chimney", "cider", "circle", "citrus", "clock", "cloud", "clover", "coast",
	"cobalt", "coconut", "coffee", "comet", "copper", "coral", "cotton", "coyote", "crane", "crayon",
	"cricket", "crystal", "cup", "desert", "diamond", "dinner", "dolphin", "donkey", "dragon", "drum",
	"eagle", "earth", "echo", "elbow", "ember", "engine", "falcon", "feather", "fence", "fern", "fiddle",
	"finch", "flame", "flute", "forest", "fossil", "fountain", "fox", "frost", "galaxy", "garden",
	"garlic", "ginger", "glacier", "globe", "goose", "grape", "gravel", "guitar", "hammer", "harbor",
	"harvest", "hazel", "helmet", "heron", "hollow", "honey", "horizon", "iceberg", "igloo", "island",
	"ivory", "jacket", "jaguar", "jasmine", "jelly", "jungle", "kettle", "kitten", "koala", "ladder",
	"lagoon", "lantern", "lemon", "lettuce", "library", "lily", "lizard", "lobster", "locket", "lotus",
	"magnet", "mango", "maple", "marble", "meadow", "melon", "meteor", "mirror", "monkey", "moose",
	"mosaic", "motor", "muffin", "museum", "nectar", "needle", "nickel", "noodle", "oasis", "ocean",
	"olive", "onion", "orange", "orbit", "orchid", "otter", "owl", "oyster", "paddle", "palace", "panda",
	"paper", "parrot", "peach", "pebble", "pelican", "pencil", "pepper", "piano", "pickle", "pigeon",
	"pilot", "planet", "plum", "pocket", "pony", "potato", "puzzle", "quartz", "quilt", "rabbit", "radio",
	"raft", "rain", "raven", "ribbon", "river", "robin", "rocket", "rose", "ruby", "saddle", "salmon",
	"sand", "saturn", "scarf", "shadow", "shell", "silver", "sketch", "sled", "snow", "sofa", "spider",
	"spoon", "squirrel", "stamp", "star", "stone", "sugar", "summer", "sunset", "swan", "table", "teapot",
	"temple", "thunder", "tiger", "timber", "toast", "tomato", "torch", "tractor", "tulip", "tunnel",
	"turtle", "umbrella", "valley", "velvet", "violin", "volcano", "wagon", "walnut", "walrus", "wave",
	"willow", "window", "winter", "wizard", "wolf", "yogurt", "zebra", "zipper",
};

_Static_assert(sizeof words / sizeof words[0] == PL_RDV_WORDS, "256 words, one byte each");

static const uint8_t magic[4] = {'P', 'L', 'R', 'V'};

const char *pl_rdv_word(unsigned i)
{
	return i < PL_RDV_WORDS ? words[i] : "";
}

void pl_rdv_code_make(char *out, size_t cap, const uint8_t random[PL_RDV_CODE_RANDOM])
{
	/* 65,536 mod 99 leaves a bias of under 0.2% between numbers: harmless. */
	unsigned n = 1 + (((unsigned)random[0] << 8) | random[1]) % PL_RDV_NUMBER_MAX;
	snprintf(out, cap, "%u-%s-%s", n, words[random[2]], words[random[3]]);
}

static int find_word(const char *w)
{
	int lo = 0, hi = PL_RDV_WORDS - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int c = strcmp(w, words[mid]);
		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

static bool is_sep(char c)
{
	return c == '-' || c == ' ' || c == '.' || c == '_' || c == '\t';
}

int pl_rdv_code_parse(const char *in, char *out, size_t cap)
{
	char part[3][12];
	unsigned np = 0, len = 0;
	bool in_part = false;
	for (const char *p = in;; p++) {
		char c = *p;
		if (c == '\0' || is_sep(c)) {
			if (in_part) {
				part[np][len] = '\0';
				np++;
				in_part = false;
			}
			if (c == '\0')
				break;
			continue;
		}
		if (!in_part) {
			if (np == 3)
				return -EINVAL;
			in_part = true;
			len = 0;
		}
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) || len + 1 >= sizeof part[0])
			return -EINVAL;
		part[np][len++] = c;
	}
	if (np != 3)
		return -EINVAL;
	unsigned n = 0;
	size_t nl = strlen(part[0]);
	if (nl == 0 || nl > 2 || part[0][0] == '0')
		return -EINVAL;
	for (size_t i = 0; i < nl; i++) {
		if (part[0][i] < '0' || part[0][i] > '9')
			return -EINVAL;
		n = n * 10 + (unsigned)(part[0][i] - '0');
	}
	if (n < 1 || n > PL_RDV_NUMBER_MAX || find_word(part[1]) < 0 || find_word(part[2]) < 0)
		return -EINVAL;
	int w = snprintf(out, cap, "%u-%s-%s", n, part[1], part[2]);
	return w > 0 && (size_t)w < cap ? 0 : -EINVAL;
}

void pl_rdv_dgram_encode(uint8_t out[PL_RDV_DGRAM_LEN], const uint8_t token[PL_RDV_TOKEN_LEN])
{
	memcpy(out, magic, sizeof magic);
	memcpy(out + sizeof magic, token, PL_RDV_TOKEN_LEN);
}

int pl_rdv_dgram_decode(const uint8_t *buf, size_t len, uint8_t token[PL_RDV_TOKEN_LEN])
{
	if (len != PL_RDV_DGRAM_LEN || memcmp(buf, magic, sizeof magic) != 0)
		return -EBADMSG;
	memcpy(token, buf + sizeof magic, PL_RDV_TOKEN_LEN);
	return 0;
}

void pl_rdv_x_elem(uint8_t out[PL_RDV_X_ELEM_LEN], const uint8_t elem[PL_RDV_ELEM_LEN])
{
	out[0] = PL_RDV_X_ELEM;
	memcpy(out + 1, elem, PL_RDV_ELEM_LEN);
}

void pl_rdv_x_confirm(uint8_t out[PL_RDV_X_CONFIRM_LEN], const uint8_t key[PL_RDV_KEY_LEN],
		      const uint8_t mac[PL_RDV_MAC_LEN])
{
	out[0] = PL_RDV_X_CONFIRM;
	memcpy(out + 1, key, PL_RDV_KEY_LEN);
	memcpy(out + 1 + PL_RDV_KEY_LEN, mac, PL_RDV_MAC_LEN);
}

int pl_rdv_x_decode(const uint8_t *buf, size_t len, struct pl_rdv_x *x)
{
	memset(x, 0, sizeof *x);
	if (len == PL_RDV_X_ELEM_LEN && buf[0] == PL_RDV_X_ELEM) {
		x->type = PL_RDV_X_ELEM;
		x->elem = buf + 1;
		return 0;
	}
	if (len == PL_RDV_X_CONFIRM_LEN && buf[0] == PL_RDV_X_CONFIRM) {
		x->type = PL_RDV_X_CONFIRM;
		x->key = buf + 1;
		x->mac = buf + 1 + PL_RDV_KEY_LEN;
		return 0;
	}
	return -EBADMSG;
}

static const uint8_t punch_magic[4] = {0x50, 'P', 'U', 'N'};

void pl_rdv_punch_encode(uint8_t out[PL_RDV_PUNCH_LEN], const uint8_t tag[PL_RDV_TAG_LEN],
			 const uint8_t nonce[PL_RDV_TAG_LEN])
{
	memcpy(out, punch_magic, sizeof punch_magic);
	memcpy(out + 4, tag, PL_RDV_TAG_LEN);
	memcpy(out + 4 + PL_RDV_TAG_LEN, nonce, PL_RDV_TAG_LEN);
}

int pl_rdv_punch_decode(const uint8_t *buf, size_t len, uint8_t tag[PL_RDV_TAG_LEN], uint8_t nonce[PL_RDV_TAG_LEN])
{
	if (len != PL_RDV_PUNCH_LEN || memcmp(buf, punch_magic, sizeof punch_magic) != 0)
		return -EBADMSG;
	memcpy(tag, buf + 4, PL_RDV_TAG_LEN);
	memcpy(nonce, buf + 4 + PL_RDV_TAG_LEN, PL_RDV_TAG_LEN);
	return 0;
}
