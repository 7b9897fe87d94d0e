/* webhook_url.c - URL syntax through libcurl's URL API (parsing only), and
 * address classification over inet_pton. */
#include "domain/webhook_url.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

static int v4_private(const unsigned char a[4]) {
    return a[0] == 127 || a[0] == 10 || a[0] == 0 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
           (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254) ||
           (a[0] == 100 && (a[1] & 0xc0) == 64) || a[0] >= 224;
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
    if (inet_pton(AF_INET6, host, a) == 1) {
        static const unsigned char zero[16];
        if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1))
            return 1; /* :: and ::1 */
        if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
            return 1; /* fe80::/10 link-local */
        if ((a[0] & 0xfe) == 0xfc)
            return 1; /* fc00::/7 unique local */
        if (a[0] == 0xff)
            return 1; /* multicast */
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a, mapped, 12) == 0)
            return v4_private(a + 12);
        return 0;
    }
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
