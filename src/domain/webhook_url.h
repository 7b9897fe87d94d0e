/* webhook_url.h - checks a webhook URL: http or https, a host, and (unless
 * private addresses are allowed) no literal loopback, link-local, private,
 * unspecified or carrier-grade NAT address, nor "localhost". Host names
 * that resolve to such addresses are refused at delivery time, not here.
 * Pure (no DNS), thread-safe. */
#ifndef CAMPAIGND_WEBHOOK_URL_H
#define CAMPAIGND_WEBHOOK_URL_H

/* 0 when acceptable; -1 with a reason in *why (a static string). */
int webhook_url_check(const char *url, int allow_private, const char **why);
/* 1 when the literal address text (IPv4 or IPv6, no brackets) is one that
 * webhooks must not reach by default. 0 for names and public addresses. */
int webhook_address_is_private(const char *host);

#endif
