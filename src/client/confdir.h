/*
 * confdir: where the client keeps its files (pinned certificates, this device's identity, its
 * config file, client/clientcfg.h): $PARLEY_HOME, else $XDG_CONFIG_HOME/parley, else ~/.config/parley. The
 * directory is made readable by its owner alone.
 */
#ifndef PL_CONFDIR_H
#define PL_CONFDIR_H

#include <stddef.h>

/* The path of a file in the configuration directory. */
void pl_confdir_path(char *path, size_t sz, const char *file);
/* Makes the directories above path (mode 0700) that do not exist yet. */
void pl_confdir_mkdirs(const char *path);

#endif
