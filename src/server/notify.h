/*
 * notify: systemd's readiness protocol (sd_notify(3)), for Type=notify units: when
 * $NOTIFY_SOCKET is set, parleyd sends "READY=1" once it serves, "RELOADING=1" while it re-reads
 * its config, and "STOPPING=1" when it shuts down. The protocol is one datagram of text to a unix
 * socket (its name starting with '@' for the abstract namespace), so it is written here in a few
 * lines rather than linking libsystemd.
 */
#ifndef PL_NOTIFY_H
#define PL_NOTIFY_H

/* Sends state ("READY=1", several lines allowed) to $NOTIFY_SOCKET. 0 when sent or when the
 * variable is not set (not run by systemd); -errno when it is set and sending failed. */
int pl_notify(const char *state);

#endif
