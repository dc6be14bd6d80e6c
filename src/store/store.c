#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void pl_store_close(struct pl_store *s)
{
	if (!s)
		return;
	s->ops->close(s->impl);
	free(s);
}

static void fold(char *dst, size_t sz, const char *src)
{
	size_t i = 0;
	for (; src[i] && i + 1 < sz; i++)
		dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ? (char)(src[i] - 'A' + 'a') : src[i];
	dst[i] = '\0';
}

void pl_store_conv(char out[PL_CONV_MAX + 1], const char *a, const char *b_or_room)
{
	char x[PL_NICK_MAX + 1], y[PL_NICK_MAX + 1];
	if (b_or_room[0] == '#') {
		fold(out, PL_CONV_MAX + 1, b_or_room);
		return;
	}
	fold(x, sizeof x, a);
	fold(y, sizeof y, b_or_room);
	bool swap = strcmp(x, y) > 0;
	/* "@" + 32 + " " + 32 bytes: always fits PL_CONV_MAX. */
	out[0] = '@';
	size_t n = strlen(swap ? y : x);
	memcpy(out + 1, swap ? y : x, n);
	out[1 + n] = ' ';
	memcpy(out + 2 + n, swap ? x : y, strlen(swap ? x : y) + 1);
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

int pl_store_account_set_password(struct pl_store *s, const char *nick, const char *pwhash)
{
	return s->ops->account_set_password(s->impl, nick, pwhash);
}

int pl_store_account_set_profile(struct pl_store *s, const char *nick, const char *realname,
				 const uint8_t *pic, size_t len)
{
	return s->ops->account_set_profile(s->impl, nick, realname, pic, len);
}

int pl_store_account_get_picture(struct pl_store *s, const char *nick, uint8_t *pic, size_t cap, size_t *len)
{
	return s->ops->account_get_picture(s->impl, nick, pic, cap, len);
}

int pl_store_contact_add(struct pl_store *s, const char *a, const char *b, uint64_t now_ms)
{
	return s->ops->contact_add(s->impl, a, b, now_ms);
}

int pl_store_contact_del(struct pl_store *s, const char *a, const char *b)
{
	return s->ops->contact_del(s->impl, a, b);
}

int pl_store_contacts(struct pl_store *s, const char *owner, pl_store_nick_cb *cb, void *arg)
{
	return s->ops->contacts(s->impl, owner, cb, arg);
}

int pl_store_group_create(struct pl_store *s, const char *name, const char *creator, uint64_t now_ms,
			  uint32_t *id)
{
	return s->ops->group_create(s->impl, name, creator, now_ms, id);
}

int pl_store_group_add(struct pl_store *s, uint32_t id, const char *nick, uint64_t now_ms)
{
	return s->ops->group_add(s->impl, id, nick, now_ms);
}

int pl_store_group_quit(struct pl_store *s, uint32_t id, const char *nick, uint64_t now_ms)
{
	return s->ops->group_quit(s->impl, id, nick, now_ms);
}

int pl_store_group_get(struct pl_store *s, uint32_t id, struct pl_group_rec *g)
{
	return s->ops->group_get(s->impl, id, g);
}

int pl_store_groups_of(struct pl_store *s, const char *nick, pl_store_id_cb *cb, void *arg)
{
	return s->ops->groups_of(s->impl, nick, cb, arg);
}

int pl_store_msg(struct pl_store *s, struct pl_msg_rec *m, const char *conv, const char *pending_for,
		 unsigned pending_max)
{
	return s->ops->msg_store(s->impl, m, conv, pending_for, pending_max);
}

int pl_store_history(struct pl_store *s, const char *conv, uint64_t before_id, unsigned limit,
		     pl_store_msg_cb *cb, void *arg, bool *more)
{
	return s->ops->history(s->impl, conv, before_id, limit, cb, arg, more);
}

int pl_store_pending(struct pl_store *s, const char *recipient, uint64_t after_id, unsigned limit,
		     pl_store_msg_cb *cb, void *arg, bool *more)
{
	return s->ops->pending(s->impl, recipient, after_id, limit, cb, arg, more);
}

int pl_store_pending_ack(struct pl_store *s, const char *recipient, uint64_t upto_id)
{
	return s->ops->pending_ack(s->impl, recipient, upto_id);
}

int pl_store_contact_exists(struct pl_store *s, const char *a, const char *b)
{
	return s->ops->contact_exists(s->impl, a, b);
}

int pl_store_request_add(struct pl_store *s, const char *from, const char *to, uint64_t now_ms)
{
	return s->ops->request_add(s->impl, from, to, now_ms);
}

int pl_store_request_del(struct pl_store *s, const char *from, const char *to)
{
	return s->ops->request_del(s->impl, from, to);
}

int pl_store_request_exists(struct pl_store *s, const char *from, const char *to)
{
	return s->ops->request_exists(s->impl, from, to);
}

int pl_store_requests_to(struct pl_store *s, const char *to, pl_store_nick_cb *cb, void *arg)
{
	return s->ops->requests_to(s->impl, to, cb, arg);
}

int pl_store_device_add(struct pl_store *s, const struct pl_device_rec *d, unsigned max)
{
	return s->ops->device_add(s->impl, d, max);
}

int pl_store_device_get(struct pl_store *s, const char *nick, const uint8_t key[32], struct pl_device_rec *d)
{
	return s->ops->device_get(s->impl, nick, key, d);
}

int pl_store_devices(struct pl_store *s, const char *nick, pl_store_device_cb *cb, void *arg)
{
	return s->ops->devices(s->impl, nick, cb, arg);
}

int pl_store_device_revoke(struct pl_store *s, const char *nick, const uint8_t key[32])
{
	return s->ops->device_revoke(s->impl, nick, key);
}

int pl_store_device_touch(struct pl_store *s, const char *nick, const uint8_t key[32], uint64_t now_ms)
{
	return s->ops->device_touch(s->impl, nick, key, now_ms);
}

int pl_store_topic_put(struct pl_store *s, const struct pl_topic_rec *t)
{
	return s->ops->topic_put(s->impl, t);
}

int pl_store_topics(struct pl_store *s, pl_store_topic_cb *cb, void *arg)
{
	return s->ops->topics(s->impl, cb, arg);
}

int pl_store_ban_put(struct pl_store *s, const struct pl_ban_rec *b)
{
	return s->ops->ban_put(s->impl, b);
}

int pl_store_ban_del(struct pl_store *s, bool address, const char *target)
{
	return s->ops->ban_del(s->impl, address, target);
}

int pl_store_bans(struct pl_store *s, uint64_t now_ms, pl_store_ban_cb *cb, void *arg)
{
	return s->ops->bans(s->impl, now_ms, cb, arg);
}

int pl_store_account_delete(struct pl_store *s, const char *nick)
{
	return s->ops->account_delete(s->impl, nick);
}
