// phone_plan.cc - the C shim over libphonenumber, see phone_plan.h. Every
// entry point catches everything (catch (...)): no C++ exception may
// cross into C.
#include "domain/phone_plan.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

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

extern "C" enum phone_plan_result phone_plan_check(const char *e164, char region[4]) {
    try {
        const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
        PhoneNumber number;
        if (util->Parse(std::string(e164), "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR)
            return PHONE_PLAN_INVALID;
        if (!util->IsValidNumber(number))
            return PHONE_PLAN_INVALID;
        std::string code;
        util->GetRegionCodeForNumber(number, &code);
        std::strncpy(region, code.c_str(), 3);
        region[3] = '\0';
        return PHONE_PLAN_VALID;
    } catch (...) {
        return PHONE_PLAN_ERROR;
    }
}
