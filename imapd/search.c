/*
 * search - SEARCH keys into a tree; matching one message.
 * runs as:  inside kurier-imapd
 * trusts:   nothing in the keys or the messages
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "imap.h"
#include "msgapi.h"
#include "search.h"
#include "store.h"

struct pstate {
	struct search *s;
	const struct imap_tok *t;
	size_t nt, i;
	uint32_t nmsgs, maxuid;
};

/* newnode - one node of op; its index, -1 no memory, -2 too many */
static int newnode(struct search *s, enum search_op op)
{
	struct search_node *n;

	if (s->nn >= IMAP_SEARCH_NODES)
		return -2;
	if (s->nn == s->na) {
		size_t na = s->na ? s->na * 2 : 16;
		n = realloc(s->n, na * sizeof *n);
		if (!n)
			return -1;
		s->n = n;
		s->na = na;
	}
	n = &s->n[s->nn];
	memset(n, 0, sizeof *n);
	n->op = op;
	n->first = n->next = -1;
	return (int)s->nn++;
}

static int key(struct pstate *p, int depth);

/* fail - note why and return 0 */
static int fail(struct pstate *p, const char *why)
{
	p->s->err = why;
	return 0;
}

/* str_arg - the next astring; 1 ok, 0 missing */
static int str_arg(struct pstate *p, const char **s, size_t *n)
{
	if (p->i >= p->nt || !imap_tok_string(&p->t[p->i]))
		return 0;
	*s = p->t[p->i].s;
	*n = p->t[p->i].len;
	p->i++;
	return 1;
}

/* keylist - keys until a CLOSE or the end, as the children of an AND node; node index or error (<0 no memory, 0 bad) */
static int keylist(struct pstate *p, int depth, int *out, int closing)
{
	int and = newnode(p->s, SK_AND), last = -1, r, k;

	if (and == -1)
		return -1;
	if (and == -2)
		return fail(p, "too many search keys");
	for (;;) {
		if (p->i >= p->nt) {
			if (closing)
				return fail(p, "missing )");
			break;
		}
		if (p->t[p->i].type == IMAP_CLOSE) {
			if (!closing)
				return fail(p, "unbalanced )");
			p->i++;
			break;
		}
		k = (int)p->s->nn;
		r = key(p, depth + 1);
		if (r <= 0)
			return r;
		if (last < 0)
			p->s->n[and].first = k;
		else
			p->s->n[last].next = k;
		last = k;
	}
	if (last < 0)
		return fail(p, "empty search");
	*out = and;
	return 1;
}

/* key - one search key at p->i; 1 ok, 0 bad, -1 no memory */
static int key(struct pstate *p, int depth)
{
	static const struct { const char *name; enum search_op op; unsigned flags; } simple[] = {
		{ "ALL", SK_ALL, 0 }, { "ANSWERED", SK_FLAGS, STORE_ANSWERED }, { "DELETED", SK_FLAGS, STORE_DELETED },
		{ "DRAFT", SK_FLAGS, STORE_DRAFT }, { "FLAGGED", SK_FLAGS, STORE_FLAGGED }, { "SEEN", SK_FLAGS, STORE_SEEN },
		{ "UNANSWERED", SK_UNFLAGS, STORE_ANSWERED }, { "UNDELETED", SK_UNFLAGS, STORE_DELETED },
		{ "UNDRAFT", SK_UNFLAGS, STORE_DRAFT }, { "UNFLAGGED", SK_UNFLAGS, STORE_FLAGGED },
		{ "UNSEEN", SK_UNFLAGS, STORE_SEEN }, { "NEW", SK_NEW, 0 }, { "OLD", SK_OLD, 0 }, { "RECENT", SK_RECENT, 0 },
	};
	static const struct { const char *name; enum search_op op; } dates[] = {
		{ "BEFORE", SK_BEFORE }, { "ON", SK_ON }, { "SINCE", SK_SINCE },
		{ "SENTBEFORE", SK_SENTBEFORE }, { "SENTON", SK_SENTON }, { "SENTSINCE", SK_SENTSINCE },
	};
	static const struct { const char *name; const char *field; enum search_op op; } strs[] = {
		{ "BCC", "Bcc", SK_HEADER }, { "CC", "Cc", SK_HEADER }, { "FROM", "From", SK_HEADER },
		{ "SUBJECT", "Subject", SK_HEADER }, { "TO", "To", SK_HEADER }, { "BODY", 0, SK_BODY }, { "TEXT", 0, SK_TEXT },
	};
	const struct imap_tok *t;
	struct search_node *n;
	size_t k;
	int x, r, a, b;

	if (depth > SEARCH_DEPTH_MAX)
		return fail(p, "search keys nested too deeply");
	if (p->i >= p->nt)
		return fail(p, "missing search key");
	t = &p->t[p->i];
	if (t->type == IMAP_OPEN) {
		p->i++;
		return keylist(p, depth, &x, 1);
	}
	if (t->type != IMAP_ATOM)
		return fail(p, "bad search key");
	p->i++;
	for (k = 0; k < sizeof simple / sizeof *simple; k++)
		if (imap_tok_is(t, simple[k].name)) {
			x = newnode(p->s, simple[k].op);
			if (x < 0)
				return x == -1 ? -1 : fail(p, "too many search keys");
			p->s->n[x].flags = simple[k].flags;
			return 1;
		}
	for (k = 0; k < sizeof dates / sizeof *dates; k++)
		if (imap_tok_is(t, dates[k].name)) {
			long long d;
			const char *s;
			size_t sl;
			if (!str_arg(p, &s, &sl) || !imap_date(s, sl, &d))
				return fail(p, "bad date");
			x = newnode(p->s, dates[k].op);
			if (x < 0)
				return x == -1 ? -1 : fail(p, "too many search keys");
			p->s->n[x].num = d;
			if (dates[k].op >= SK_SENTBEFORE)
				p->s->needtext = 1;
			else
				p->s->needdate = 1;
			return 1;
		}
	for (k = 0; k < sizeof strs / sizeof *strs; k++)
		if (imap_tok_is(t, strs[k].name)) {
			x = newnode(p->s, strs[k].op);
			if (x < 0)
				return x == -1 ? -1 : fail(p, "too many search keys");
			n = &p->s->n[x];
			if (!str_arg(p, &n->s, &n->slen))
				return fail(p, "missing search string");
			n->field = strs[k].field;
			n->flen = n->field ? strlen(n->field) : 0;
			p->s->needtext = 1;
			if (!n->field)
				p->s->needbody = 1;
			return 1;
		}
	if (imap_tok_is(t, "HEADER")) {
		x = newnode(p->s, SK_HEADER);
		if (x < 0)
			return x == -1 ? -1 : fail(p, "too many search keys");
		n = &p->s->n[x];
		if (!str_arg(p, &n->field, &n->flen) || !str_arg(p, &n->s, &n->slen))
			return fail(p, "usage: HEADER field string");
		p->s->needtext = 1;
		return 1;
	}
	if (imap_tok_is(t, "KEYWORD") || imap_tok_is(t, "UNKEYWORD")) {
		x = newnode(p->s, imap_tok_is(t, "KEYWORD") ? SK_KEYWORD : SK_UNKEYWORD);
		if (x < 0)
			return x == -1 ? -1 : fail(p, "too many search keys");
		n = &p->s->n[x];
		if (p->i >= p->nt || p->t[p->i].type != IMAP_ATOM)
			return fail(p, "missing keyword");
		n->s = p->t[p->i].s;
		n->slen = p->t[p->i].len;
		p->i++;
		return 1;
	}
	if (imap_tok_is(t, "LARGER") || imap_tok_is(t, "SMALLER")) {
		uint32_t v;
		x = newnode(p->s, imap_tok_is(t, "LARGER") ? SK_LARGER : SK_SMALLER);
		if (x < 0)
			return x == -1 ? -1 : fail(p, "too many search keys");
		if (p->i >= p->nt || p->t[p->i].type != IMAP_ATOM || !imap_number(p->t[p->i].s, p->t[p->i].len, &v))
			return fail(p, "bad size");
		p->i++;
		p->s->n[x].num = v;
		return 1;
	}
	if (imap_tok_is(t, "NOT")) {
		x = newnode(p->s, SK_NOT);
		if (x < 0)
			return x == -1 ? -1 : fail(p, "too many search keys");
		a = (int)p->s->nn;
		r = key(p, depth + 1);
		if (r <= 0)
			return r;
		p->s->n[x].first = a;
		return 1;
	}
	if (imap_tok_is(t, "OR")) {
		x = newnode(p->s, SK_OR);
		if (x < 0)
			return x == -1 ? -1 : fail(p, "too many search keys");
		a = (int)p->s->nn;
		r = key(p, depth + 1);
		if (r <= 0)
			return r;
		b = (int)p->s->nn;
		r = key(p, depth + 1);
		if (r <= 0)
			return r;
		p->s->n[x].first = a;
		p->s->n[a].next = b;
		return 1;
	}
	{
		int isuid = imap_tok_is(t, "UID");
		const struct imap_tok *st = t;
		if (isuid) {
			if (p->i >= p->nt || p->t[p->i].type != IMAP_ATOM)
				return fail(p, "missing UID set");
			st = &p->t[p->i++];
		}
		x = newnode(p->s, isuid ? SK_UID : SK_SEQ);
		if (x < 0)
			return x == -1 ? -1 : fail(p, "too many search keys");
		n = &p->s->n[x];
		r = imap_seqset_parse(st->s, st->len, &n->set);
		if (r < 0)
			return -1;
		if (r == 0)
			return fail(p, "unknown search key");
		if (isuid)
			imap_seqset_resolve(&n->set, p->maxuid, 0xffffffffu);
		else
			imap_seqset_resolve(&n->set, p->nmsgs, p->nmsgs);
		return 1;
	}
}

/* search_parse - keys into a tree */
int search_parse(struct search *s, const struct imap_tok *t, size_t nt, uint32_t nmsgs, uint32_t maxuid)
{
	struct pstate p;

	memset(s, 0, sizeof *s);
	p.s = s;
	p.t = t;
	p.nt = nt;
	p.i = 0;
	p.nmsgs = nmsgs;
	p.maxuid = maxuid;
	return keylist(&p, 0, &s->root, 0);
}

/* search_free - release s */
void search_free(struct search *s)
{
	size_t i;

	for (i = 0; i < s->nn; i++)
		imap_seqset_free(&s->n[i].set);
	free(s->n);
	memset(s, 0, sizeof *s);
}

/* match - node x against m; 1, 0, -1 */
static int match(const struct search *s, int x, const struct search_msg *m)
{
	const struct search_node *n = &s->n[x];
	const char *text;
	size_t len;
	long long d;
	int c, r;

	switch (n->op) {
	case SK_ALL: return 1;
	case SK_AND:
		for (c = n->first; c >= 0; c = s->n[c].next) {
			r = match(s, c, m);
			if (r != 1)
				return r;
		}
		return 1;
	case SK_OR:
		r = match(s, n->first, m);
		if (r != 0)
			return r;
		return match(s, s->n[n->first].next, m);
	case SK_NOT:
		r = match(s, n->first, m);
		return r < 0 ? r : !r;
	case SK_SEQ: return imap_seqset_has(&n->set, m->seq);
	case SK_UID: return imap_seqset_has(&n->set, m->uid);
	case SK_FLAGS: return (m->flags & n->flags) == n->flags;
	case SK_UNFLAGS: return !(m->flags & n->flags);
	case SK_NEW: return m->recent && !(m->flags & STORE_SEEN);
	case SK_OLD: return !m->recent;
	case SK_RECENT: return m->recent;
	case SK_KEYWORD:
	case SK_UNKEYWORD: {
		size_t k;
		int has = 0;
		for (k = 0; k < m->nkw; k++)
			if ((m->kw & (1u << k)) && strlen(m->kwname[k]) == n->slen && !strncasecmp(m->kwname[k], n->s, n->slen))
				has = 1;
		return n->op == SK_KEYWORD ? has : !has;
	}
	case SK_BEFORE: return m->idate < n->num * 86400;
	case SK_ON: return m->idate >= n->num * 86400 && m->idate < (n->num + 1) * 86400;
	case SK_SINCE: return m->idate >= n->num * 86400;
	case SK_LARGER: return m->size(m->ctx) > (unsigned long long)n->num;
	case SK_SMALLER: return m->size(m->ctx) < (unsigned long long)n->num;
	default:
		break;
	}
	text = m->text(m->ctx, &len);
	if (!text)
		return -1;
	switch (n->op) {
	case SK_SENTBEFORE: case SK_SENTON: case SK_SENTSINCE:
		/* RFC 3501 §6.4.4: the day as the Date: header writes it, time and zone disregarded */
		r = imapmsg_sentday(text, len, &d);
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		return n->op == SK_SENTBEFORE ? d < n->num : n->op == SK_SENTON ? d == n->num : d >= n->num;
	case SK_HEADER:
		return imapmsg_search_header(text, len, n->field, n->flen, n->s, n->slen);
	case SK_BODY:
		return imapmsg_search_text(text, len, n->s, n->slen, 1);
	case SK_TEXT:
		return imapmsg_search_text(text, len, n->s, n->slen, 0);
	default:
		return 0;
	}
}

/* search_match - m against the whole tree */
int search_match(const struct search *s, const struct search_msg *m)
{
	return match(s, s->root, m);
}
