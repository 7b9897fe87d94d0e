// phone_plan.cc - the C shim over libphonenumber, see phone_plan.h. Every
// entry point catches everything (catch (...)): no C++ exception may
// cross into C.
//
// The input is already E.164 ("+" and digits), so instead of the general
// parser (which runs a dozen regular expressions to find a number in free
// text) the number is built directly: the country code is the one prefix of
// 1..3 digits libphonenumber knows (country codes are prefix-free), the rest
// is the national number, leading zeros kept as libphonenumber records them.
// Then the region is found once and the number checked against that
// region's plan, which is what IsValidNumber() does inside. This halves the
// cost of a check (see docs/benchmarks.md).
#include "domain/phone_plan.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <cstdlib>
#include <cstring>
#include <string>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

extern "C" void phone_plan_init(void) {
    try {
        (void)PhoneNumberUtil::GetInstance();
    } catch (...) {
    }
}

static bool build(const PhoneNumberUtil *util, const char *e164, PhoneNumber *number) {
    const char *digits = e164 + 1;
    size_t n = std::strlen(digits);
    for (size_t cc_len = 1; cc_len <= 3 && cc_len < n; cc_len++) {
        int cc = 0;
        for (size_t i = 0; i < cc_len; i++)
            cc = cc * 10 + (digits[i] - '0');
        std::string region;
        util->GetRegionCodeForCountryCode(cc, &region);
        if (region == "ZZ")
            continue;
        const char *nsn = digits + cc_len;
        size_t zeros = 0;
        while (nsn[zeros] == '0' && nsn[zeros + 1] != '\0')
            zeros++;
        number->set_country_code(cc);
        number->set_national_number(std::strtoull(nsn, nullptr, 10));
        if (zeros > 0) {
            number->set_italian_leading_zero(true);
            if (zeros > 1)
                number->set_number_of_leading_zeros(static_cast<int>(zeros));
        }
        return true;
    }
    return false;
}

extern "C" enum phone_plan_result phone_plan_check(const char *e164, char region[4]) {
    try {
        if (!e164 || e164[0] != '+')
            return PHONE_PLAN_INVALID;
        const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
        PhoneNumber number;
        if (!build(util, e164, &number))
            return PHONE_PLAN_INVALID;
        std::string code;
        util->GetRegionCodeForNumber(number, &code);
        if (code == "ZZ" || !util->IsValidNumberForRegion(number, code))
            return PHONE_PLAN_INVALID;
        std::strncpy(region, code.c_str(), 3);
        region[3] = '\0';
        return PHONE_PLAN_VALID;
    } catch (...) {
        return PHONE_PLAN_ERROR;
    }
}
