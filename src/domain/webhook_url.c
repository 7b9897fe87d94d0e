/* webhook_url.c - URL syntax through libcurl's URL API (parsing only), and
 * the one classification of addresses that webhooks must not reach, used at
 * create (literal hosts, through webhook_address_is_private) and at connect
 * (the address a socket is about to connect to, webhook_sockaddr_is_private).
 *
 * IPv6 forms that carry an IPv4 address are judged by that IPv4 address:
 * IPv4-compatible ::/96 (which includes :: and ::1), IPv4-mapped
 * ::ffff:0:0/96, SIIT ::ffff:0:0:0/96, NAT64 64:ff9b::/96 (RFC 6052), 6to4
 * 2002::/16 (the IPv4 in bits 16-47) and Teredo 2001::/32 (the server's
 * IPv4 in bits 32-63 and the client's, inverted, in the last 32 bits: either
 * one private is enough). The local-use NAT64 prefix 64:ff9b:1::/48
 * (RFC 8215) is refused whole: it is not globally reachable, and its
 * translators may embed the IPv4 address at several positions. */
#include "domain/webhook_url.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* loopback, private, link-local, CGNAT, unspecified (0/8), multicast and
 * reserved (224.0.0.0 and up) */
static int v4_private(const unsigned char a[4]) {
    return a[0] == 127 || a[0] == 10 || a[0] == 0 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
           (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254) ||
           (a[0] == 100 && (a[1] & 0xc0) == 64) || a[0] >= 224;
}

static int prefix_is(const unsigned char *a, const unsigned char *prefix, size_t n) {
    return memcmp(a, prefix, n) == 0;
}

static int v6_private(const unsigned char a[16]) {
    static const unsigned char compat[12] = {0};
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char siit[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    static const unsigned char nat64_local[6] = {0, 0x64, 0xff, 0x9b, 0, 1};
    static const unsigned char teredo[4] = {0x20, 0x01, 0, 0};
    if (prefix_is(a, compat, 12) || prefix_is(a, mapped, 12) || prefix_is(a, siit, 12) ||
        prefix_is(a, nat64, 12))
        return v4_private(a + 12); /* :: and ::1 are 0.0.0.0 and 0.0.0.1: refused */
    if (prefix_is(a, nat64_local, 6))
        return 1;
    if (a[0] == 0x20 && a[1] == 0x02)
        return v4_private(a + 2); /* 6to4 */
    if (prefix_is(a, teredo, 4)) {
        unsigned char client[4];
        for (int i = 0; i < 4; i++)
            client[i] = (unsigned char)~a[12 + i];
        return v4_private(a + 4) || v4_private(client);
    }
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
        return 1; /* fe80::/10 link-local */
    if ((a[0] & 0xfe) == 0xfc)
        return 1;        /* fc00::/7 unique local */
    return a[0] == 0xff; /* multicast */
}

int webhook_sockaddr_is_private(const struct sockaddr *sa) {
    if (sa->sa_family == AF_INET)
        return v4_private((const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr);
    if (sa->sa_family == AF_INET6)
        return v6_private((const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return 1;
}

void webhook_sockaddr_text(const struct sockaddr *sa, char *out, size_t n) {
    snprintf(out, n, "?");
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)n);
}

int webhook_address_is_private(const char *name) {
    unsigned char a[16];
    char host[256];
    snprintf(host, sizeof host, "%s", name);
    size_t n = strlen(host);
    while (n > 1 && host[n - 1] == '.')
        host[--n] = '\0'; /* "localhost." is localhost */
    if (strcasecmp(host, "localhost") == 0 ||
        (n > 10 && strcasecmp(host + n - 10, ".localhost") == 0))
        return 1;
    if (inet_pton(AF_INET, host, a) == 1)
        return v4_private(a);
    if (inet_pton(AF_INET6, host, a) == 1)
        return v6_private(a);
    return 0;
}

int webhook_url_check(const char *url, int allow_private, const char **why) {
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = -1;
    if (!u) {
        *why = "out of memory";
        return -1;
    }
    if (strlen(url) > 2048) {
        *why = "must be at most 2048 characters";
        goto out;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        *why = "must be an absolute http or https URL";
        goto out;
    }
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
        *why = "must use http or https";
        goto out;
    }
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || host[0] == '\0') {
        *why = "must name a host";
        goto out;
    }
    /* curl keeps IPv6 hosts in brackets */
    size_t n = strlen(host);
    if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
        memmove(host, host + 1, n - 2);
        host[n - 2] = '\0';
        char *zone = strchr(host, '%');
        if (zone)
            *zone = '\0';
    }
    if (!allow_private && webhook_address_is_private(host)) {
        *why = "must not point at a loopback, link-local or private address";
        goto out;
    }
    rc = 0;
out:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}
