/*
 * mimelimit.c - MIME nesting and part counting; see mimelimit.h.
 * Each entity starts in its header.  A Content-Type of multipart with a
 * boundary opens a level when the header ends; a line "--boundary" of
 * any open level starts a new part of that level (closing deeper ones),
 * "--boundary--" closes it.
 */
#include <string.h>
#include "mimelimit.h"
#include "smtpparse.h"

void mime_init(struct mime_limit *m)
{
	memset(m, 0, sizeof *m);
	m->in_header = 1;
	m->field.max = MIME_FIELD_MAX;
}

void mime_free(struct mime_limit *m)
{
	int i;

	str_free(&m->field);
	str_free(&m->next);
	for (i = 0; i < MIME_DEPTH_MAX; i++)
		str_free(&m->bound[i]);
}

int mime_result(const struct mime_limit *m)
{
	return m->error;
}

/* lc - ASCII lower case */
static char lc(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* prefix_ci - 1 if s[0..n) starts with t, ignoring case */
static int prefix_ci(const char *s, size_t n, const char *t)
{
	size_t i;

	for (i = 0; t[i]; i++)
		if (i >= n || lc(s[i]) != lc(t[i]))
			return 0;
	return 1;
}

int mime_boundary(const char *v, size_t n, struct str *out)
{
	size_t i = 0;

	out->len = 0;
	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (!prefix_ci(v + i, n - i, "multipart/"))
		return 0;
	for (; i < n; i++) {
		if (v[i] != ';')
			continue;
		i++;
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (!prefix_ci(v + i, n - i, "boundary="))
			continue;
		i += 9;
		if (i < n && v[i] == '"') {
			for (i++; i < n && v[i] != '"'; i++)
				if (!str_append(out, v[i]))
					return 0;
		} else {
			for (; i < n && v[i] != ';' && v[i] != ' ' && v[i] != '\t'; i++)
				if (!str_append(out, v[i]))
					return 0;
		}
		return out->len > 0 && out->len <= MIME_BOUNDARY_MAX;
	}
	return 0;
}

/* field_end - the current header field is complete: note a multipart boundary */
static void field_end(struct mime_limit *m)
{
	if (m->in_ctype && m->field.len > 13) {
		if (!mime_boundary(m->field.s + 13, m->field.len - 13, &m->next))
			m->next.len = 0;
	}
	m->in_ctype = 0;
	m->field.len = 0;
}

/* is_delim - 1 if line is "--b" or "--b--" with optional trailing white space; *close set for the latter */
static int is_delim(const char *line, size_t len, const struct str *b, int *close)
{
	size_t i;

	if (len < b->len + 2 || line[0] != '-' || line[1] != '-' ||
	    memcmp(line + 2, b->s, b->len) != 0)
		return 0;
	i = b->len + 2;
	*close = 0;
	if (len - i >= 2 && line[i] == '-' && line[i + 1] == '-') {
		*close = 1;
		i += 2;
	}
	for (; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			return 0;
	return 1;
}

int mime_line(struct mime_limit *m, const char *line, size_t len)
{
	int lvl, close;

	if (m->in_header) {
		if (len && (line[0] == ' ' || line[0] == '\t')) {
			if (m->in_ctype)
				(void)str_catb(&m->field, line, len);	/* over the cap: parsed as cut */
			return 1;
		}
		field_end(m);
		if (len == 0 || (len == 1 && line[0] == '\r')) {
			m->in_header = 0;
			if (m->next.len) {
				if (m->depth >= MIME_DEPTH_MAX) {
					m->error = MIME_TOODEEP;
				} else if (!str_copy(&m->bound[m->depth], &m->next)) {
					return 0;
				} else {
					m->depth++;
				}
				m->next.len = 0;
			}
			return 1;
		}
		if (prefix_ci(line, len, "content-type:")) {
			m->in_ctype = 1;
			(void)str_catb(&m->field, line, len);
		}
		return 1;
	}
	if (len < 2 || line[0] != '-' || line[1] != '-' || m->depth == 0)
		return 1;
	for (lvl = m->depth - 1; lvl >= 0; lvl--) {
		if (!is_delim(line, len, &m->bound[lvl], &close))
			continue;
		m->depth = lvl + 1;
		if (close) {
			m->depth = lvl;
		} else {
			if (++m->parts > MIME_PARTS_MAX)
				m->error = MIME_TOOMANY;
			m->in_header = 1;
			m->next.len = 0;
		}
		return 1;
	}
	return 1;
}
