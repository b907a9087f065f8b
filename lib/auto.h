/*
 * auto.h - build-time settings from the conf-* files, compiled in.
 * The Makefile generates build/auto.c from conf-home, conf-users,
 * conf-groups, conf-split and conf-spawn.
 */
#ifndef KURIER_AUTO_H
#define KURIER_AUTO_H

extern const char auto_home[];		/* conf-home: the installed tree */
extern const unsigned auto_split;	/* conf-split: queue subdirectories */
extern const unsigned auto_spawn;	/* conf-spawn: concurrency cap */

/* conf-users, in their fixed order */
extern const char auto_user_d[];	/* network servers before login */
extern const char auto_user_q[];	/* queue owner */
extern const char auto_user_s[];	/* kurier-send */
extern const char auto_user_r[];	/* kurier-remote */
extern const char auto_user_l[];	/* loggers */
extern const char auto_user_t[];	/* kurier-tlsd */
extern const char auto_user_v[];	/* virtual mailboxes */
extern const char auto_user_a[];	/* alias deliveries */
/* conf-groups */
extern const char auto_group[];		/* kurier */
extern const char auto_group_nofiles[];	/* nofiles */

#endif
