/* webhook_url_test.c - tests of domain/webhook_url.c: only absolute http and
 * https URLs with a host; literal loopback, private, link-local, CGNAT,
 * unspecified and multicast addresses (IPv4, IPv6, IPv4-mapped IPv6, and
 * the numeric IPv4 spellings curl normalises) and "localhost" are refused
 * unless allow_private is set; public addresses and names pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/webhook_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    const char *priv[] = {
        "127.0.0.1",    "10.1.2.3",         "172.16.5.4",      "192.168.1.1", "169.254.0.1",
        "100.64.0.0",   "0.0.0.0",          "224.0.0.1",       "240.0.0.1",   "::1",
        "::",           "fe80::1",          "FE80::1",         "fc00::",      "fdff:ffff::1",
        "ff02::1",      "::ffff:127.0.0.1", "::ffff:10.0.0.1", "localhost",   "LOCALHOST",
        "a.b.localhost"};
    for (size_t i = 0; i < sizeof priv / sizeof priv[0]; i++)
        if (webhook_address_is_private(priv[i]) != 1)
            fail_msg("%s not classified private", priv[i]);
    const char *pub[] = {"8.8.8.8",        "1.1.1.1",    "2001:db8::1",           "2606:4700::1111",
                         "::ffff:8.8.8.8", "fec0::1",    "hooks.example.com",     "",
                         "localhostx",     "xlocalhost", "127.0.0.1.example.com", "not an address"};
    for (size_t i = 0; i < sizeof pub / sizeof pub[0]; i++)
        if (webhook_address_is_private(pub[i]) != 0)
            fail_msg("%s classified private", pub[i]);
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
        cmocka_unit_test(test_localhost_trailing_dot_bug),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
