/* log.c - stderr logger, see log.h. */
#include "util/log.h"
#include "util/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;

void log_set_level(enum log_level min) {
    min_level = min;
}

void log_msg(enum log_level level, const char *fmt, ...) {
    if (level < min_level)
        return;
    static const char *names[] = {"debug", "info", "warn", "error"};
    char line[2048];
    char ts[CLOCK_RFC3339_LEN];
    clock_format_rfc3339(clock_now_ms(), ts);
    int n = snprintf(line, sizeof line, "%s %s ", ts, names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
