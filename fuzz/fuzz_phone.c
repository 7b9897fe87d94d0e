/* fuzz_phone.c - phone numbers and sender ids from request bodies: the
 * syntax checks of src/domain/phone.c (phone_number, caller_id, from), the
 * numbering-plan check of src/domain/phone_plan.cc (libphonenumber), and
 * the time-zone lookup of src/domain/tzmap.c that an accepted upload row
 * gets.
 * Input: the text (NUL cuts it short).
 * Invariants: E.164 is "+", a non-zero digit, 7..14 more digits; an E.164
 * number is also a valid sms sender; a sender id is 1..11 characters; a
 * number the plan accepts is E.164, has an ISO region and, for a region,
 * time zones. */
#include "fuzz.h"

#include "domain/phone.h"
#include "domain/phone_plan.h"
#include "domain/recipient.h"
#include "domain/tzmap.h"

#include <ctype.h>

static struct tzmap *map;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    phone_plan_init();
    map = tzmap_load(CAMPAIGND_TZ_TABLE);
    FUZZ_CHECK(map != NULL);
    return 0;
}

static int e164_by_hand(const char *s) {
    size_t n = strlen(s);
    if (n < 9 || n > 16 || s[0] != '+' || s[1] == '0')
        return 0;
    return strspn(s + 1, "0123456789") == n - 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fuzz_input in = {data, size};
    char *s = fuzz_rest(&in);
    int e164 = phone_is_e164(s);
    FUZZ_CHECK(e164 == e164_by_hand(s));
    if (phone_is_sms_sender(s))
        FUZZ_CHECK(e164 || (strlen(s) >= 1 && strlen(s) <= 11) || phone_is_messaging_service(s));
    else
        FUZZ_CHECK(!e164);
    char region[4] = "";
    enum reject_reason r = recipient_check_number(s, strlen(s), region);
    FUZZ_CHECK(e164 || r == REJECT_NOT_E164);
    if (r == REJECT_NONE) {
        FUZZ_CHECK(strcmp(region, "001") == 0 ||
                   (strlen(region) == 2 && isupper(region[0]) && isupper(region[1])));
        const char *zones = tzmap_lookup(map, s);
        char buf[4096];
        size_t n = tzmap_region_zones(region, buf, sizeof buf);
        FUZZ_CHECK(!zones || zones[0]);
        size_t joins = 0;
        for (const char *c = buf; *c; c++)
            joins += *c == '&';
        FUZZ_CHECK(n == 0 ? buf[0] == '\0' : joins == n - 1);
    }
    free(s);
    return 0;
}
