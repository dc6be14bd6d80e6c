/* audio_impl: what the backends of media/audio share; not for users of audio.h. */
#ifndef PL_AUDIO_IMPL_H
#define PL_AUDIO_IMPL_H

#include <stdatomic.h>

#include "media/audio.h"

struct pl_audio {
	struct pl_audio_opts o;
	struct pl_audio_cb cb;
	void (*close)(struct pl_audio *a);
	char backend[16];
	char in_name[128], out_name[128];
	_Atomic uint32_t in_us, out_us;
};

int pl_audio_pulse_open(struct pl_audio **ap, const struct pl_audio_opts *o, const struct pl_audio_cb *cb, char *err,
			size_t errsz);
uint64_t pl_audio_now_us(void);

#endif
