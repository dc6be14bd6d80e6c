/*
 * log: readable, timestamped log lines on stderr, for parleyd's operator and the client's debug
 * output. Never called per packet on the voice path.
 */
#ifndef PL_LOG_H
#define PL_LOG_H

enum pl_log_level { PL_LOG_DEBUG, PL_LOG_INFO, PL_LOG_WARN, PL_LOG_ERROR };

void pl_log_set_level(enum pl_log_level min);
void pl_log(enum pl_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
