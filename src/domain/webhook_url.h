/* webhook_url.h - checks a webhook URL: http or https, a host, and (unless
 * private addresses are allowed) no literal loopback, link-local, private,
 * unspecified, carrier-grade NAT, multicast or reserved address, nor one of
 * those IPv4 addresses inside an IPv6 one (IPv4-mapped, IPv4-compatible,
 * SIIT, NAT64, 6to4, Teredo), nor "localhost". Host names that resolve to
 * such addresses are refused at delivery time, not here, by the same
 * classification applied to the socket address (webhook_sockaddr_is_private).
 * Pure (no DNS), thread-safe. */
#ifndef CAMPAIGND_WEBHOOK_URL_H
#define CAMPAIGND_WEBHOOK_URL_H

#include <stddef.h>

/* 0 when acceptable; -1 with a reason in *why (a static string). */
int webhook_url_check(const char *url, int allow_private, const char **why);
/* 1 when the literal address text (IPv4 or IPv6, no brackets) is one that
 * webhooks must not reach by default. 0 for names and public addresses. */
int webhook_address_is_private(const char *host);
/* The same rule for the address a socket is about to connect to (AF_INET or
 * AF_INET6; any other family counts as private). */
struct sockaddr;
int webhook_sockaddr_is_private(const struct sockaddr *sa);
/* The address as text (IPv4 or IPv6), for log lines; "?" for another
 * family. */
void webhook_sockaddr_text(const struct sockaddr *sa, char *out, size_t n);

#endif
