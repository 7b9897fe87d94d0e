/* webhook_url_test.c - tests of domain/webhook_url.c: only absolute http and
 * https URLs with a host; literal loopback, private, link-local, CGNAT,
 * unspecified and multicast addresses (IPv4, IPv6, the numeric IPv4
 * spellings curl normalises, and every IPv6 form that embeds an IPv4
 * address: mapped, compatible, SIIT, NAT64, 6to4, Teredo) and "localhost"
 * are refused unless allow_private is set; public addresses and names pass.
 * The same rule on socket addresses (the check at connect time). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/webhook_url.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

static void expect_url(const char *url, int allow_private, int want) {
    const char *why = NULL;
    int rc = webhook_url_check(url, allow_private, &why);
    if (rc != want)
        fail_msg("webhook_url_check(\"%s\", %d) = %d (%s), want %d", url, allow_private, rc,
                 why ? why : "-", want);
    if (rc != 0 && (why == NULL || why[0] == '\0'))
        fail_msg("no reason given for \"%s\"", url);
}

static const char *const PUBLIC_URLS[] = {
    "https://hooks.example.com/campaignd",
    "http://hooks.example.com",
    "https://hooks.example.com:8443/a/b?c=d&e=f#frag",
    "http://93.184.216.34/",
    "https://8.8.8.8/",
    "http://1.1.1.1:80/x",
    "http://100.63.255.255/", /* just below 100.64/10 */
    "http://100.128.0.1/",    /* just above 100.64/10 */
    "http://172.15.255.255/", /* just below 172.16/12 */
    "http://172.32.0.1/",     /* just above 172.16/12 */
    "http://192.167.1.1/",
    "http://169.253.1.1/",
    "http://11.0.0.1/",
    "http://126.255.255.255/",
    "http://128.0.0.1/",
    "http://223.255.255.255/",
    "http://[2001:4860:4860::8888]/",
    "https://[2606:4700:4700::1111]:443/x",
    "http://[::ffff:8.8.8.8]/",
    "http://[::ffff:0:808:808]/", /* SIIT 8.8.8.8 */
    "http://[64:ff9b::808:808]/", /* NAT64 8.8.8.8 */
    "http://[64:ff9b::8.8.8.8]/",
    "http://[2002:808:808::1]/",           /* 6to4 8.8.8.8 */
    "http://[2001:0:808:808::f7f7:f7f7]/", /* Teredo, server and client 8.8.8.8 */
    "http://[2001:db8::1]/",               /* 2001:db8 is not Teredo's 2001:0 */
    "https://user:pass@hooks.example.com/",
    "http://localhost.example.com/", /* a name that merely starts with localhost */
    "http://mylocalhost/",
    "http://xn--bcher-kva.example/",
    "HTTPS://HOOKS.EXAMPLE.COM/",
};

static const char *const PRIVATE_URLS[] = {
    "http://127.0.0.1/",
    "http://127.0.0.1:8080/hook",
    "http://127.255.255.254/",
    "http://10.0.0.1/",
    "http://10.255.255.255/",
    "http://172.16.0.1/",
    "http://172.31.255.255/",
    "http://192.168.0.1/",
    "http://192.168.255.255/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://100.127.255.255/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://localhost/",
    "http://localhost:9000/x",
    "http://LocalHost/",
    "http://api.localhost/",
    "http://[::1]/",
    "http://[::1]:8080/x",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://[::]/",
    "http://[fe80::1]/",
    "http://[fe80::1%25eth0]/",
    "http://[febf::1]/",
    "http://[fc00::1]/",
    "http://[fd12:3456:789a::1]/",
    "http://[ff02::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[::ffff:192.168.1.1]/",
    "http://[::ffff:169.254.169.254]/",
    /* the attacker's forms: SIIT, NAT64, 6to4, IPv4-compatible loopback */
    "http://[::ffff:0:7f00:1]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[2002:7f00:1::]/",
    "http://[::127.0.0.1]/",
    "http://[::7f00:1]:8080/x",
    "http://[::ffff:0:127.0.0.1]/",
    "http://[::ffff:0:a9fe:a9fe]/", /* SIIT cloud metadata */
    "http://[64:ff9b::10.0.0.1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[64:ff9b:1::1]/", /* local-use NAT64, whole /48 */
    "http://[64:ff9b:1:ffff::808:808]/",
    "http://[2002:c0a8:101::1]/",          /* 6to4 192.168.1.1 */
    "http://[2002:a9fe:a9fe::]/",          /* 6to4 169.254.169.254 */
    "http://[2002:6440:1::]/",             /* 6to4 100.64.0.1 */
    "http://[2002::1]/",                   /* 6to4 0.0.0.0 */
    "http://[2001:0:808:808::80ff:fffe]/", /* Teredo, client 127.0.0.1 */
    "http://[2001:0:7f00:1::f7f7:f7f7]/",  /* Teredo, server 127.0.0.1 */
    "http://[2001:0:808:808::f5ff:fffe]/", /* Teredo, client 10.0.0.1 */
    "http://[::ffff:0:e000:1]/",           /* SIIT multicast */
    "http://[::ffff:0:0]/",                /* mapped 0.0.0.0 */
    "https://user@127.0.0.1/",
    "http://hooks.example.com@127.0.0.1/", /* userinfo trick: the host is 127.0.0.1 */
    "http://127.0.0.1#@hooks.example.com/",
    "http://127.0.0.1?@hooks.example.com/",
    /* numeric IPv4 spellings that resolve to loopback */
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://0/",
};

static void test_public_allowed(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof PUBLIC_URLS / sizeof PUBLIC_URLS[0]; i++) {
        expect_url(PUBLIC_URLS[i], 0, 0);
        expect_url(PUBLIC_URLS[i], 1, 0);
    }
}

static void test_private_refused(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof PRIVATE_URLS / sizeof PRIVATE_URLS[0]; i++)
        expect_url(PRIVATE_URLS[i], 0, -1);
}

static void test_private_allowed_when_configured(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof PRIVATE_URLS / sizeof PRIVATE_URLS[0]; i++)
        expect_url(PRIVATE_URLS[i], 1, 0);
}

static void test_bad_syntax_or_scheme(void **state) {
    (void)state;
    const char *bad[] = {
        "",
        " ",
        "hooks.example.com/cb",
        "//hooks.example.com/cb",
        "/cb",
        "ftp://hooks.example.com/",
        "file:///etc/passwd",
        "gopher://hooks.example.com/",
        "ws://hooks.example.com/",
        "javascript:alert(1)",
        "data:text/plain,hi",
        "mailto:a@example.com",
        "http://",
        "https://",
        "http://:80/",
        "http:////x",
        "http://hooks example.com/",
        "http://hooks.example.com:99999/",
        "http://hooks.example.com:-1/",
        "http://[::1/",
        "http://[zz::1]/",
        "http://hooks.example.com\r\nX-Injected: 1/",
        "https\n://hooks.example.com/",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_url(bad[i], 0, -1);
        expect_url(bad[i], 1, -1);
    }
}

static void test_too_long(void **state) {
    (void)state;
    const char *prefix = "https://hooks.example.com/";
    size_t plen = strlen(prefix);
    size_t sizes[] = {2048, 2049, 100000};
    for (int i = 0; i < 3; i++) {
        char *u = malloc(sizes[i] + 1);
        assert_non_null(u);
        memcpy(u, prefix, plen);
        memset(u + plen, 'a', sizes[i] - plen);
        u[sizes[i]] = '\0';
        expect_url(u, 1, sizes[i] <= 2048 ? 0 : -1);
        free(u);
    }
}

static void test_address_classifier(void **state) {
    (void)state;
    const char *priv[] = {"127.0.0.1",
                          "10.1.2.3",
                          "172.16.5.4",
                          "192.168.1.1",
                          "169.254.0.1",
                          "100.64.0.0",
                          "0.0.0.0",
                          "224.0.0.1",
                          "240.0.0.1",
                          "::1",
                          "::",
                          "fe80::1",
                          "FE80::1",
                          "fc00::",
                          "fdff:ffff::1",
                          "ff02::1",
                          "::ffff:127.0.0.1",
                          "::ffff:10.0.0.1",
                          "localhost",
                          "LOCALHOST",
                          "a.b.localhost",
                          "::ffff:0:7f00:1",
                          "64:ff9b::7f00:1",
                          "2002:7f00:1::",
                          "::127.0.0.1",
                          "::7f00:1",
                          "64:ff9b:1::",
                          "2001:0:808:808::80ff:fffe",
                          "::ffff:0:c0a8:101"};
    for (size_t i = 0; i < sizeof priv / sizeof priv[0]; i++)
        if (webhook_address_is_private(priv[i]) != 1)
            fail_msg("%s not classified private", priv[i]);
    const char *pub[] = {
        "8.8.8.8",        "1.1.1.1",          "2001:db8::1",           "2606:4700::1111",
        "::ffff:8.8.8.8", "fec0::1",          "hooks.example.com",     "",
        "localhostx",     "xlocalhost",       "127.0.0.1.example.com", "not an address",
        "::8.8.8.8",      "::ffff:0:808:808", "64:ff9b::808:808",      "2002:808:808::",
        "64:ff9b:2::1",   "2001:1::1"};
    for (size_t i = 0; i < sizeof pub / sizeof pub[0]; i++)
        if (webhook_address_is_private(pub[i]) != 0)
            fail_msg("%s classified private", pub[i]);
}

/* Every IPv6 form that embeds an IPv4 address is judged by that address:
 * for sample addresses on both sides of each private range, the mapped,
 * compatible, SIIT, NAT64, 6to4 and Teredo (server, then client) forms
 * agree with the IPv4 address itself. */
static void test_embedded_ipv4_forms_agree(void **state) {
    (void)state;
    const char *v4[] = {"127.0.0.1",   "127.255.255.255", "10.0.0.1",    "9.255.255.255",
                        "172.16.0.1",  "172.31.255.255",  "172.32.0.1",  "192.168.0.1",
                        "192.169.0.1", "169.254.169.254", "169.255.0.1", "100.64.0.1",
                        "100.127.1.1", "100.128.0.1",     "0.0.0.0",     "0.1.2.3",
                        "224.0.0.1",   "255.255.255.255", "223.255.0.1", "8.8.8.8",
                        "1.1.1.1",     "93.184.216.34",   "11.0.0.1",    "126.0.0.1"};
    for (size_t i = 0; i < sizeof v4 / sizeof v4[0]; i++) {
        unsigned char a[4];
        assert_int_equal(inet_pton(AF_INET, v4[i], a), 1);
        int want = webhook_address_is_private(v4[i]);
        char forms[7][64];
        snprintf(forms[0], 64, "::ffff:%s", v4[i]);
        snprintf(forms[1], 64, "::%s", v4[i]);
        snprintf(forms[2], 64, "::ffff:0:%s", v4[i]);
        snprintf(forms[3], 64, "64:ff9b::%s", v4[i]);
        snprintf(forms[4], 64, "2002:%02x%02x:%02x%02x::1", a[0], a[1], a[2], a[3]);
        snprintf(forms[5], 64, "2001:0:%02x%02x:%02x%02x::f7f7:f7f7", a[0], a[1], a[2], a[3]);
        snprintf(forms[6], 64, "2001:0:808:808:0:0:%02x%02x:%02x%02x", 255 - a[0], 255 - a[1],
                 255 - a[2], 255 - a[3]);
        for (int f = 0; f < 7; f++) {
            if (i == 14 && f == 1)
                continue; /* "::0.0.0.0" is "::", refused anyway */
            if (webhook_address_is_private(forms[f]) != want)
                fail_msg("%s (for %s): want %d", forms[f], v4[i], want);
            char url[96];
            snprintf(url, sizeof url, "http://[%.63s]/", forms[f]);
            expect_url(url, 0, want ? -1 : 0);
        }
    }
}

/* The check at connect time: socket addresses, same rule. */
static int sa4(const char *text) {
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(443);
    assert_int_equal(inet_pton(AF_INET, text, &sin.sin_addr), 1);
    return webhook_sockaddr_is_private((const struct sockaddr *)&sin);
}

static int sa6(const char *text) {
    struct sockaddr_in6 sin6;
    memset(&sin6, 0, sizeof sin6);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(443);
    assert_int_equal(inet_pton(AF_INET6, text, &sin6.sin6_addr), 1);
    return webhook_sockaddr_is_private((const struct sockaddr *)&sin6);
}

static void test_socket_addresses(void **state) {
    (void)state;
    const char *priv4[] = {"127.0.0.1",       "10.9.8.7", "169.254.169.254",
                           "100.100.100.100", "0.0.0.0",  "239.1.1.1"};
    for (size_t i = 0; i < sizeof priv4 / sizeof priv4[0]; i++)
        if (sa4(priv4[i]) != 1)
            fail_msg("socket %s not refused", priv4[i]);
    assert_int_equal(sa4("8.8.8.8"), 0);
    /* what a name may resolve to: DNS rebinding to an embedded form */
    const char *priv6[] = {"::1",
                           "::",
                           "::ffff:127.0.0.1",
                           "::ffff:0:7f00:1",
                           "64:ff9b::7f00:1",
                           "2002:7f00:1::",
                           "::127.0.0.1",
                           "64:ff9b:1::1",
                           "2001:0:808:808::80ff:fffe",
                           "fe80::1",
                           "fd00::1",
                           "ff02::1"};
    for (size_t i = 0; i < sizeof priv6 / sizeof priv6[0]; i++)
        if (sa6(priv6[i]) != 1)
            fail_msg("socket %s not refused", priv6[i]);
    const char *pub6[] = {"2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808",
                          "2002:808:808::1"};
    for (size_t i = 0; i < sizeof pub6 / sizeof pub6[0]; i++)
        if (sa6(pub6[i]) != 0)
            fail_msg("socket %s refused", pub6[i]);
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    assert_int_equal(webhook_sockaddr_is_private((const struct sockaddr *)&sun), 1);
}

/* Walk every /8 of IPv4 and check the classifier against the reserved list. */
static void test_address_ipv4_sweep(void **state) {
    (void)state;
    char host[32];
    for (int a = 0; a < 256; a++) {
        for (int b = 0; b < 256; b += 3) {
            snprintf(host, sizeof host, "%d.%d.7.9", a, b);
            int want = a == 0 || a == 10 || a == 127 || (a == 172 && b >= 16 && b <= 31) ||
                       (a == 192 && b == 168) || (a == 169 && b == 254) ||
                       (a == 100 && b >= 64 && b <= 127) || a >= 224;
            if (webhook_address_is_private(host) != want)
                fail_msg("%s: want %d", host, want);
        }
    }
}

/* Regression (fixed): "localhost." (the fully qualified spelling, with the root dot) and
 * "x.localhost." are not recognised as localhost, so these URLs pass. */
static void test_localhost_trailing_dot_bug(void **state) {
    (void)state;
    expect_url("http://localhost./", 0, -1);
    expect_url("http://api.localhost./", 0, -1);
    assert_int_equal(webhook_address_is_private("localhost."), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_public_allowed),
        cmocka_unit_test(test_private_refused),
        cmocka_unit_test(test_private_allowed_when_configured),
        cmocka_unit_test(test_bad_syntax_or_scheme),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_address_classifier),
        cmocka_unit_test(test_address_ipv4_sweep),
        cmocka_unit_test(test_embedded_ipv4_forms_agree),
        cmocka_unit_test(test_socket_addresses),
        cmocka_unit_test(test_localhost_trailing_dot_bug),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
