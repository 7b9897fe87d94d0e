/* smpp_receipt_test.c - tests of domain/smpp_receipt.c: the SMPP 3.4
 * Appendix B receipt text (id, stat, err; keys in any case; fields in any
 * order; missing id or stat refused), the message_state TLV values
 * (2 delivered; 3, 4, 5, 8 undelivered; 1, 6, 7 no final state), and the
 * stat words; what the receipts of a message's parts add up to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/smpp_receipt.h"

#include <string.h>

static void test_text(void **state) {
    (void)state;
    const char *t = "id:0123456789 sub:001 dlvrd:001 submit date:0610191018 done "
                    "date:0610191018 stat:DELIVRD err:000 text:Hello";
    struct smpp_receipt r;
    assert_int_equal(smpp_receipt_from_text(t, strlen(t), &r), 0);
    assert_string_equal(r.id, "0123456789");
    assert_string_equal(r.stat, "DELIVRD");
    assert_string_equal(r.err, "000");
    assert_int_equal(r.state, SMPP_RECEIPT_DELIVERED);
    const char *u = "ID:abc-9 STAT:UNDELIV ERR:001 Text:x";
    assert_int_equal(smpp_receipt_from_text(u, strlen(u), &r), 0);
    assert_string_equal(r.id, "abc-9");
    assert_int_equal(r.state, SMPP_RECEIPT_UNDELIVERED);
    const char *e = "stat:EXPIRED id:7";
    assert_int_equal(smpp_receipt_from_text(e, strlen(e), &r), 0);
    assert_string_equal(r.id, "7");
    assert_int_equal(r.state, SMPP_RECEIPT_UNDELIVERED);
    const char *en = "id:8 stat:ENROUTE";
    assert_int_equal(smpp_receipt_from_text(en, strlen(en), &r), 0);
    assert_int_equal(r.state, SMPP_RECEIPT_OTHER);
    /* "submit date:" holds no stat, "xid:" is not id */
    const char *bad = "xid:1 stat:DELIVRD";
    assert_int_equal(smpp_receipt_from_text(bad, strlen(bad), &r), -1);
    assert_int_equal(smpp_receipt_from_text("id:1 err:0", 10, &r), -1);
    assert_int_equal(smpp_receipt_from_text("id: stat:DELIVRD", 16, &r), -1);
    /* not NUL-terminated: only len bytes read */
    const char cut[] = {'i', 'd', ':', '4', ' ', 's', 't', 'a', 't',
                        ':', 'R', 'E', 'J', 'E', 'C', 'T', 'D', 'X'};
    assert_int_equal(smpp_receipt_from_text(cut, 17, &r), 0);
    assert_string_equal(r.stat, "REJECTD");
    assert_int_equal(r.state, SMPP_RECEIPT_UNDELIVERED);
}

static void test_tlv(void **state) {
    (void)state;
    struct smpp_receipt r;
    int undelivered[] = {3, 4, 5, 8}, other[] = {0, 1, 6, 7, 99};
    assert_int_equal(smpp_receipt_from_tlv("m1", 2, &r), 0);
    assert_string_equal(r.id, "m1");
    assert_string_equal(r.stat, "DELIVRD");
    assert_int_equal(r.state, SMPP_RECEIPT_DELIVERED);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(smpp_receipt_from_tlv("m1", undelivered[i], &r), 0);
        assert_int_equal(r.state, SMPP_RECEIPT_UNDELIVERED);
    }
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(smpp_receipt_from_tlv("m1", other[i], &r), 0);
        assert_int_equal(r.state, SMPP_RECEIPT_OTHER);
    }
    assert_int_equal(smpp_receipt_from_tlv("", 2, &r), -1);
}

/* A message of several parts: delivered when all are, undelivered when
 * one is (even before the others' receipts), else still pending. */
static void test_segments_verdict(void **state) {
    (void)state;
    assert_int_equal(segments_verdict_of(1, 1, 0), SEGMENTS_DELIVERED);
    assert_int_equal(segments_verdict_of(3, 0, 0), SEGMENTS_PENDING);
    assert_int_equal(segments_verdict_of(3, 2, 0), SEGMENTS_PENDING);
    assert_int_equal(segments_verdict_of(3, 3, 0), SEGMENTS_DELIVERED);
    assert_int_equal(segments_verdict_of(3, 0, 1), SEGMENTS_UNDELIVERED);
    assert_int_equal(segments_verdict_of(3, 2, 1), SEGMENTS_UNDELIVERED);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_text), cmocka_unit_test(test_tlv),
                                       cmocka_unit_test(test_segments_verdict)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
