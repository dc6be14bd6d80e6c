#include "store/store.h"

#include <stdlib.h>

void pl_store_close(struct pl_store *s)
{
	if (!s)
		return;
	s->ops->close(s->impl);
	free(s);
}

int pl_store_account_create(struct pl_store *s, const char *nick, const char *pwhash,
			    const char *realname, uint64_t now_ms)
{
	return s->ops->account_create(s->impl, nick, pwhash, realname, now_ms);
}

int pl_store_account_get(struct pl_store *s, const char *nick, struct pl_account *a)
{
	return s->ops->account_get(s->impl, nick, a);
}
